/**
 * XMP packets: building ours and merging it into an existing packet.
 *
 * Our properties live in one `rdf:Description` that declares the
 * flickr-backup namespace ({@link FLICKR_BACKUP_NS}); that declaration is how
 * a later run finds and replaces it.
 *
 * This file fits a packet into its size ({@link fitXmpPacket}) and finds
 * our description again. The merge rule is in `merge_xmp_packet.ts`; our
 * description is built in `build_description.ts`, and `parse_xml.ts` is the
 * small XML reader both rely on.
 *
 * Size rule for JPEG (one APP1 segment, {@link MAX_JPEG_XMP_PACKET_BYTES}):
 * the packet's trailing padding goes first, then the description is cut on a
 * UTF-8 boundary with {@link TRUNCATION_MARKER}; the JSON and XMP sidecars
 * keep the full text. If it still does not fit, XMP is not written.
 *
 * Pure: strings in, strings out.
 *
 * @module
 */

import { utf8 } from "./_bytes.ts";
import type { XmpFields } from "./build_description.ts";
import { type PreparedFields, TRUNCATION_MARKER } from "./fields.ts";
import {
  EMPTY_PACKET,
  freshXmpPacket,
  isOurs,
  mergeXmpPacket,
  rdfShape,
  whitespaceStart,
} from "./merge_xmp_packet.ts";

/** Largest XMP packet stored in one JPEG APP1 segment (Adobe XMP Part 3). */
export const MAX_JPEG_XMP_PACKET_BYTES = 65502;

/** Maps prepared fields to XMP fields. */
export function xmpFieldsFrom(fields: PreparedFields): XmpFields {
  const out: XmpFields = { tags: fields.tags };
  if (fields.title !== undefined) out.title = fields.title;
  if (fields.description !== undefined) out.description = fields.description;
  if (fields.creator !== undefined) out.creator = fields.creator;
  if (fields.rights !== undefined) out.rights = fields.rights;
  if (fields.date.xmpDate !== undefined) out.date = fields.date.xmpDate;
  if (fields.gps) out.gps = fields.gps;
  if (fields.flickrUrl !== undefined) out.flickrUrl = fields.flickrUrl;
  return out;
}

/** Removes the padding whitespace before `<?xpacket end=...?>`. */
function stripPadding(packet: string): string {
  const end = packet.lastIndexOf("<?xpacket end=");
  if (end < 0) return packet;
  const start = whitespaceStart(packet, end);
  return packet.slice(0, start) + "\n" + packet.slice(end);
}

/** Result of {@link fitXmpPacket}. */
export type XmpFit =
  | {
    kind: "ok";
    packet: string;
    warnings: string[];
    /** `packet` in UTF-8, when already encoded. */
    bytes?: Uint8Array;
  }
  | { kind: "failed"; reason: string };

/**
 * Merges `fields` into `existing` (or a fresh packet) and enforces
 * `maxBytes` (see the module doc's size rule).
 */
export function fitXmpPacket(
  existing: string | undefined,
  fields: XmpFields,
  maxBytes: number = MAX_JPEG_XMP_PACKET_BYTES,
): XmpFit {
  const base = existing ?? EMPTY_PACKET;
  const size = (text: string) => utf8(text).length;
  if (existing === undefined) {
    // A file with no XMP: our packet is built without parsing anything.
    const packet = freshXmpPacket(fields).packet;
    const bytes = utf8(packet);
    if (bytes.length <= maxBytes) {
      return { kind: "ok", packet, warnings: [], bytes };
    }
  }
  let merged: string;
  try {
    merged = mergeXmpPacket(base, fields);
  } catch (error) {
    return {
      kind: "failed",
      reason: `existing XMP cannot be merged (${(error as Error).message})`,
    };
  }
  if (size(merged) <= maxBytes) {
    return { kind: "ok", packet: merged, warnings: [] };
  }
  const unpadded = stripPadding(base);
  const merge = (f: XmpFields) => stripPadding(mergeXmpPacket(unpadded, f));
  merged = merge(fields);
  if (size(merged) <= maxBytes) {
    return { kind: "ok", packet: merged, warnings: [] };
  }
  const description = fields.description;
  if (description !== undefined) {
    // Binary search on the number of UTF-16 units kept (whole code points).
    const points = Array.from(description);
    let low = 0;
    let high = points.length;
    let best: string | undefined;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const cut = points.slice(0, mid).join("") + TRUNCATION_MARKER;
      const candidate = merge({ ...fields, description: cut });
      if (size(candidate) <= maxBytes) {
        best = candidate;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (best !== undefined) {
      return {
        kind: "ok",
        packet: best,
        warnings: [
          `Truncated the XMP description to fit the ${maxBytes}-byte XMP ` +
          "segment (the sidecar keeps the full text)",
        ],
      };
    }
  }
  return {
    kind: "failed",
    reason: `XMP would exceed ${maxBytes} bytes even without the description`,
  };
}

/**
 * Returns our rdf:Description from a packet, exactly as stored, or undefined
 * when the packet has none (used to verify a written file).
 */
export function findOurDescription(packet: string): string | undefined {
  try {
    const { descriptions } = rdfShape(packet);
    const ours = descriptions.find(isOurs);
    return ours ? packet.slice(ours.start, ours.end) : undefined;
  } catch {
    // A packet we cannot read has no description of ours.
    return undefined;
  }
}
