/**
 * Rebuilds a JPEG header (the bytes before the first SOS) with our EXIF, XMP
 * and IPTC, and checks a rebuilt header. Pure: the file-level work (reading,
 * streaming the tail, temp file, rename) is in `embed.ts`.
 *
 * Each of the three blocks is updated independently: when one cannot be
 * updated safely (malformed, duplicated, too large) it is kept exactly as it
 * was and a warning says why; the others are still written.
 *
 * @module
 */

import {
  bytesEqual,
  concatBytes,
  decodeUtf8Strict,
  latin1,
  latin1Bytes,
  utf8,
} from "./_bytes.ts";
import { crossCheckWithPiexif } from "./cross_check_with_piexif.ts";
import type { ExifEdit } from "./exif_plan.ts";
import { mergeExif } from "./merge_exif.ts";
import { makerNoteInfo, readDateTimeOriginal, readExif } from "./read_exif.ts";
import {
  limitText,
  type PhotoMetadata,
  type PreparedFields,
  prepareFields,
} from "./fields.ts";
import {
  buildIim,
  findIim,
  iptcValuesFrom,
  mergePhotoshopIptc,
  parseIim,
  parsePhotoshopResources,
} from "./iptc.ts";
import {
  buildSegment,
  classifySegment,
  EXIF_SIGNATURE,
  jfifDensity,
  type JpegHeader,
  MAX_SEGMENT_PAYLOAD,
  parseJpegHeader,
  PHOTOSHOP_SIGNATURE,
  type SegmentKind,
  segmentPayload,
  shiftMpfOffsets,
  XMP_SIGNATURE,
} from "./jpeg_segments.ts";
import { findTailPointers, shiftTailPointers } from "./makernote_offsets.ts";
import { fitXmpPacket, xmpFieldsFrom } from "./xmp.ts";

/** Byte budgets for our text in EXIF (it is also in XMP and IPTC). */
export const EXIF_TEXT_LIMITS = {
  title: 1000,
  description: 4000,
  keywords: 4000,
  artist: 1000,
  copyright: 1000,
} as const;

/** What happened to one metadata block. */
export type BlockOutcome = "written" | "unchanged" | "kept" | "none";

/** Result of {@link rebuildJpegHeader}. */
export interface JpegRebuild {
  /** The new header (the old one when nothing changed). */
  header: Uint8Array;
  /** True when `header` differs from the input. */
  changed: boolean;
  /** The cleaned fields and resolved date. */
  fields: PreparedFields;
  /** EXIF, XMP and IPTC outcomes: "kept" means left alone for safety. */
  blocks: { exif: BlockOutcome; xmp: BlockOutcome; iptc: BlockOutcome };
  /** Values a re-read of the header must find. */
  expect: HeaderExpectations;
  /** Problems, each a sentence. */
  warnings: string[];
}

/** What {@link verifyJpegHeader} checks in a rebuilt header. */
export interface HeaderExpectations {
  /** EXIF values written. */
  exif?: ExifEdit;
  /** The XMP packet (after the XMP signature), byte for byte. */
  xmp?: Uint8Array;
  /** True when IPTC was written. */
  iptc: boolean;
}

const EXIF_SIGNATURE_BYTES = latin1Bytes(EXIF_SIGNATURE);
const XMP_SIGNATURE_BYTES = latin1Bytes(XMP_SIGNATURE);
const PHOTOSHOP_SIGNATURE_BYTES = latin1Bytes(PHOTOSHOP_SIGNATURE);

function exifEditFrom(
  fields: PreparedFields,
  warnings: string[],
): ExifEdit {
  const edit: ExifEdit = {};
  const limit = (text: string, max: number, where: string) =>
    limitText(text, max, where, warnings);
  if (fields.title !== undefined) {
    edit.xpTitle = limit(fields.title, EXIF_TEXT_LIMITS.title, "EXIF XPTitle");
  }
  if (fields.description !== undefined) {
    const text = limit(
      fields.description,
      EXIF_TEXT_LIMITS.description,
      "the EXIF description",
    );
    edit.imageDescription = text;
    edit.xpComment = text;
  }
  if (fields.tags.length > 0) {
    edit.xpKeywords = limit(
      fields.tags.join(";"),
      EXIF_TEXT_LIMITS.keywords,
      "EXIF XPKeywords",
    );
  }
  if (fields.creator !== undefined) {
    edit.artist = limit(fields.creator, EXIF_TEXT_LIMITS.artist, "EXIF Artist");
  }
  if (fields.rights !== undefined) {
    edit.copyright = limit(
      fields.rights,
      EXIF_TEXT_LIMITS.copyright,
      "EXIF Copyright",
    );
  }
  if (fields.date.exifDate !== undefined) {
    edit.dateTimeOriginal = fields.date.exifDate;
    edit.createDateIfAbsent = fields.date.exifDate;
  }
  if (fields.gps) edit.gps = fields.gps;
  return edit;
}

function isEmptyEdit(edit: ExifEdit): boolean {
  return Object.keys(edit).length === 0;
}

interface Piece {
  /** Index of the original segment this replaces, or -1 for an insert. */
  from: number;
  bytes: Uint8Array;
  kind: SegmentKind;
}

/**
 * Decodes an XMP packet: UTF-8, or UTF-16 (with a BOM, or recognised by the
 * zero bytes around its first "<"), which is rewritten as UTF-8 (what
 * ExifTool does too). Undefined when it is neither.
 */
export function decodeXmpPacket(bytes: Uint8Array): string | undefined {
  const utf8Text = decodeUtf8Strict(bytes);
  if (utf8Text !== undefined) return utf8Text;
  let encoding: "utf-16be" | "utf-16le" | undefined;
  if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
  else if (bytes[0] === 0 && bytes[1] === 0x3c) encoding = "utf-16be";
  else if (bytes[0] === 0x3c && bytes[1] === 0) encoding = "utf-16le";
  if (!encoding || bytes.length % 2 !== 0) return undefined;
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Rebuilds `bytes[0, header.tailOffset)` with `meta` merged in. `fileSize`
 * (the whole file's) tells which maker-note offsets point into the tail.
 */
export function rebuildJpegHeader(
  bytes: Uint8Array,
  header: JpegHeader,
  meta: PhotoMetadata,
  fileSize: number = Number.MAX_SAFE_INTEGER,
): JpegRebuild {
  const warnings: string[] = [];
  const segments = header.segments;
  const kinds = segments.map((s) => classifySegment(bytes, s));
  const indexes = (kind: SegmentKind) =>
    kinds.flatMap((k, i) => (k === kind ? [i] : []));
  const exifAt = indexes("exif");
  const xmpAt = indexes("xmp");
  const psAt = indexes("photoshop");
  const blocks: JpegRebuild["blocks"] = {
    exif: "none",
    xmp: "none",
    iptc: "none",
  };

  // The camera's EXIF, when there is exactly one readable copy.
  let tiff: Uint8Array | undefined;
  let exifUsable = true;
  if (exifAt.length > 1) {
    exifUsable = false;
    warnings.push(
      `Left EXIF untouched: the file has ${exifAt.length} Exif segments`,
    );
  } else if (exifAt.length === 1) {
    const payload = segmentPayload(bytes, segments[exifAt[0]!]!);
    if (latin1(payload, 0, 6) !== EXIF_SIGNATURE) {
      exifUsable = false;
      warnings.push('Left EXIF untouched: its identifier is not "Exif\\0\\0"');
    } else {
      tiff = payload.subarray(6);
    }
  }
  let cameraDate: string | undefined;
  let exifIptc: Uint8Array | undefined;
  if (tiff) {
    try {
      const summary = readExif(tiff);
      exifIptc = summary.iptcNaa;
      // A date we wrote on an earlier run is Flickr's, not the camera's;
      // counting it as the camera's would flip the policy on every rerun.
      if (!summary.dateTimeOriginalIsOurs) {
        cameraDate = summary.dateTimeOriginal;
      }
    } catch (error) {
      exifUsable = false;
      warnings.push(`Left EXIF untouched: ${(error as Error).message}`);
    }
  }
  const prepared = prepareFields(meta, cameraDate);
  warnings.push(...prepared.warnings);
  const fields = prepared.fields;
  const expect: HeaderExpectations = { iptc: false };

  // IPTC (before EXIF: a camera's second IPTC copy in EXIF gets the same).
  let newPhotoshop: Uint8Array | undefined;
  let writtenIim: Uint8Array | undefined;
  const iptcWarnings: string[] = [];
  const iptcValues = iptcValuesFrom(fields, iptcWarnings);
  const hasIptcValues = iptcValues.keywords.length > 0 ||
    Object.keys(iptcValues).length > 1;
  if (psAt.length > 1) {
    blocks.iptc = "kept";
    warnings.push(
      `Left IPTC untouched: the file has ${psAt.length} Photoshop segments`,
    );
  } else if (hasIptcValues) {
    warnings.push(...iptcWarnings);
    try {
      const resources = psAt.length === 1
        ? segmentPayload(bytes, segments[psAt[0]!]!).subarray(
          PHOTOSHOP_SIGNATURE.length,
        )
        : undefined;
      const iim = buildIim(
        iptcValues,
        (resources ? findIim(resources) : undefined) ?? exifIptc,
      );
      // The segment's payload is the signature, then these resources.
      const merged = mergePhotoshopIptc(resources, iim);
      if (PHOTOSHOP_SIGNATURE.length + merged.length > MAX_SEGMENT_PAYLOAD) {
        blocks.iptc = "kept";
        warnings.push(
          "Left IPTC untouched: the Photoshop segment would exceed 64 KB",
        );
      } else if (resources && bytesEqual(resources, merged)) {
        blocks.iptc = "unchanged";
        expect.iptc = true;
        writtenIim = iim;
      } else {
        newPhotoshop = merged;
        blocks.iptc = "written";
        expect.iptc = true;
        writtenIim = iim;
      }
    } catch (error) {
      blocks.iptc = "kept";
      warnings.push(`Left IPTC untouched: ${(error as Error).message}`);
    }
  }

  // EXIF.
  let newExif: Uint8Array | undefined;
  const edit = exifEditFrom(fields, warnings);
  if (writtenIim && exifIptc) edit.iptcNaa = writtenIim;
  if (exifUsable && !isEmptyEdit(edit)) {
    const density = kinds[1] === "jfif"
      ? jfifDensity(bytes, segments[1]!)
      : undefined;
    const merged = mergeExif(tiff, edit, {
      width: header.width,
      height: header.height,
      components: header.components,
      hasIccProfile: kinds.includes("icc"),
      ...(density ? { density } : {}),
    });
    warnings.push(...merged.warnings);
    if (merged.kind === "failed") {
      blocks.exif = "kept";
      warnings.push(`Left EXIF untouched: ${merged.reason}`);
    } else if (merged.kind === "unchanged") {
      blocks.exif = "unchanged";
    } else {
      // A second reader guards the camera's EXIF we merged into. EXIF we
      // built whole (the file had none) is read back by verifyJpegHeader
      // and, in the tests, by ExifTool.
      const problem = tiff
        ? crossCheckWithPiexif(tiff, merged.tiff, merged.applied)
        : undefined;
      if (problem) {
        blocks.exif = "kept";
        warnings.push(`Left EXIF untouched: ${problem}`);
      } else {
        newExif = merged.tiff;
        blocks.exif = "written";
        expect.exif = merged.applied;
      }
    }
  } else if (!exifUsable) {
    blocks.exif = "kept";
  }

  // XMP.
  let newXmp: Uint8Array | undefined;
  const xmpFields = xmpFieldsFrom(fields);
  if (xmpAt.length > 1) {
    blocks.xmp = "kept";
    warnings.push(
      `Left XMP untouched: the file has ${xmpAt.length} standard XMP segments`,
    );
  } else {
    let existing: string | undefined;
    let readable = true;
    if (xmpAt.length === 1) {
      const payload = segmentPayload(bytes, segments[xmpAt[0]!]!);
      existing = decodeXmpPacket(payload.subarray(XMP_SIGNATURE.length));
      if (existing === undefined) {
        readable = false;
        blocks.xmp = "kept";
        warnings.push("Left XMP untouched: the packet is not UTF-8 or UTF-16");
      }
    }
    const hasValues = xmpFields.tags.length > 0 ||
      Object.keys(xmpFields).length > 1;
    if (readable && (hasValues || existing !== undefined)) {
      const fit = fitXmpPacket(existing, xmpFields);
      if (fit.kind === "failed") {
        blocks.xmp = "kept";
        warnings.push(`Left XMP untouched: ${fit.reason}`);
      } else {
        warnings.push(...fit.warnings);
        const packet = fit.bytes ?? utf8(fit.packet);
        const old = xmpAt.length === 1
          ? segmentPayload(bytes, segments[xmpAt[0]!]!).subarray(
            XMP_SIGNATURE.length,
          )
          : undefined;
        if (old && bytesEqual(old, packet)) {
          blocks.xmp = "unchanged";
        } else {
          newXmp = packet;
          blocks.xmp = "written";
        }
        // Our description is in it (fitXmpPacket put it there); the re-read
        // finds these very bytes.
        expect.xmp = packet;
      }
    }
  }

  // Assemble: replace in place, insert what is new.
  const pieces: Piece[] = segments.map((s, i) => ({
    from: i,
    bytes: bytes.subarray(s.start, s.end),
    kind: kinds[i]!,
  }));
  const replace = (
    index: number,
    marker: number,
    payload: Uint8Array,
    prefix: Uint8Array,
  ) => {
    pieces[index] = {
      from: index,
      bytes: buildSegment(marker, payload, prefix),
      kind: kinds[index]!,
    };
  };
  const inserts: Array<{ before: number; piece: Piece }> = [];
  let leadingApp0 = 1;
  while (
    leadingApp0 < segments.length && segments[leadingApp0]!.marker === 0xe0
  ) {
    leadingApp0++;
  }
  if (newExif) {
    if (exifAt.length === 1) {
      replace(exifAt[0]!, 0xe1, newExif, EXIF_SIGNATURE_BYTES);
    } else {
      inserts.push({
        before: leadingApp0,
        piece: {
          from: -1,
          bytes: buildSegment(0xe1, newExif, EXIF_SIGNATURE_BYTES),
          kind: "exif",
        },
      });
    }
  }
  if (newXmp) {
    if (xmpAt.length === 1) {
      replace(xmpAt[0]!, 0xe1, newXmp, XMP_SIGNATURE_BYTES);
    } else {
      const before = exifAt.length === 1 ? exifAt[0]! + 1 : leadingApp0;
      inserts.push({
        before,
        piece: {
          from: -1,
          bytes: buildSegment(0xe1, newXmp, XMP_SIGNATURE_BYTES),
          kind: "xmp",
        },
      });
    }
  }
  if (newPhotoshop) {
    if (psAt.length === 1) {
      replace(psAt[0]!, 0xed, newPhotoshop, PHOTOSHOP_SIGNATURE_BYTES);
    } else {
      let before = 1;
      while (
        before < segments.length && segments[before]!.marker >= 0xe0 &&
        segments[before]!.marker <= 0xed
      ) before++;
      inserts.push({
        before,
        piece: {
          from: -1,
          bytes: buildSegment(
            0xed,
            newPhotoshop,
            PHOTOSHOP_SIGNATURE_BYTES,
          ),
          kind: "photoshop",
        },
      });
    }
  }
  const ordered: Piece[] = [];
  for (let i = 0; i <= pieces.length; i++) {
    for (const insert of inserts) {
      if (insert.before === i) ordered.push(insert.piece);
    }
    if (i < pieces.length) ordered.push(pieces[i]!);
  }

  // Maker-note offsets into the tail (previews after EOI) move with it.
  const exifStart = exifAt.length === 1 ? segments[exifAt[0]!]!.start + 10 : 0;
  const tailPointers = tiff
    ? findTailPointers(
      tiff,
      makerNoteInfo(tiff),
      exifStart,
      header.tailOffset,
      fileSize,
    )
    : [];
  const untouched = (why: string): JpegRebuild => ({
    header: bytes.subarray(0, header.tailOffset),
    changed: false,
    fields,
    blocks: { exif: "kept", xmp: "kept", iptc: "kept" },
    expect: { iptc: false },
    warnings: [...warnings, `Left the file untouched: ${why}`],
  });

  // MPF offsets count from the MPF segment to images after EOI: keep them
  // pointing at the same bytes when the distance to the tail changes.
  const total = ordered.reduce((n, p) => n + p.bytes.length, 0);
  let position = 0;
  for (const piece of ordered) {
    if (
      piece.kind === "exif" && piece.from >= 0 && tailPointers.length > 0
    ) {
      const shifted = shiftTailPointers(
        piece.bytes.subarray(10),
        tailPointers,
        total - header.tailOffset,
        position + 10 - exifStart,
      );
      if (!shifted) {
        return untouched(
          "its maker-note offsets into the image tail cannot be updated",
        );
      }
      piece.bytes = concatBytes([piece.bytes.subarray(0, 10), shifted]);
    }
    if (piece.kind === "mpf" && piece.from >= 0) {
      const old = segments[piece.from]!;
      const delta = (total - position) - (header.tailOffset - old.start);
      if (delta !== 0) {
        const payloadStart = piece.bytes.length - old.payloadLength;
        const shifted = shiftMpfOffsets(
          piece.bytes.subarray(payloadStart),
          delta,
        );
        if (!shifted) {
          return untouched("its MPF (multi-picture) offsets cannot be updated");
        }
        piece.bytes = concatBytes([
          piece.bytes.subarray(0, payloadStart),
          shifted,
        ]);
      }
    }
    position += piece.bytes.length;
  }
  const rebuilt = concatBytes(ordered.map((p) => p.bytes));
  const original = bytes.subarray(0, header.tailOffset);
  const changed = !bytesEqual(rebuilt, original);
  return {
    header: changed ? rebuilt : original,
    changed,
    fields,
    blocks,
    expect,
    warnings,
  };
}

/**
 * Checks a rebuilt header read back from disk: it parses, ends where the
 * scan begins, and holds what we wrote. `bytes` is the header plus at least
 * the 4 bytes of the SOS marker and length; `fileSize` is the new file's size.
 * Returns undefined when all is well, else the problem.
 */
export function verifyJpegHeader(
  bytes: Uint8Array,
  headerLength: number,
  fileSize: number,
  expect: HeaderExpectations,
): string | undefined {
  const parsed = parseJpegHeader(bytes, fileSize);
  if (parsed.kind !== "ok") {
    return `the new header does not parse (${
      parsed.kind === "invalid" ? parsed.reason : "incomplete"
    })`;
  }
  if (parsed.header.tailOffset !== headerLength) {
    return "the new header does not end where the image data starts";
  }
  const { segments } = parsed.header;
  const kinds = segments.map((s) => classifySegment(bytes, s));
  if (expect.exif) {
    const at = kinds.indexOf("exif");
    if (at < 0 || kinds.lastIndexOf("exif") !== at) {
      return "the new header does not have exactly one Exif segment";
    }
    try {
      const date = readDateTimeOriginal(
        segmentPayload(bytes, segments[at]!).subarray(6),
      );
      const want = expect.exif.dateTimeOriginal;
      if (want !== undefined && date !== want) {
        return "the new EXIF does not hold the date taken";
      }
    } catch (error) {
      return `the new EXIF does not parse (${(error as Error).message})`;
    }
  }
  if (expect.xmp !== undefined) {
    const at = kinds.indexOf("xmp");
    const packet = at < 0 ? undefined : segmentPayload(bytes, segments[at]!)
      .subarray(XMP_SIGNATURE.length);
    if (packet === undefined || !bytesEqual(packet, expect.xmp)) {
      return "the new XMP does not hold our description";
    }
  }
  if (expect.iptc) {
    const at = kinds.indexOf("photoshop");
    if (at < 0) return "the new header has no Photoshop segment";
    try {
      const iim = findIim(
        segmentPayload(bytes, segments[at]!).subarray(
          PHOTOSHOP_SIGNATURE.length,
        ),
      );
      if (!iim || parseIim(iim).length === 0) return "the new IPTC is empty";
      parsePhotoshopResources(
        segmentPayload(bytes, segments[at]!).subarray(
          PHOTOSHOP_SIGNATURE.length,
        ),
      );
    } catch (error) {
      return `the new IPTC does not parse (${(error as Error).message})`;
    }
  }
  return undefined;
}
