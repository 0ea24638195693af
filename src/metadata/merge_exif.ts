/**
 * EXIF (TIFF) editing that keeps every existing byte where it was.
 *
 * Camera EXIF is full of offsets: the MakerNote of most brands points at its
 * own data with offsets counted from the TIFF header, so moving it breaks it.
 * A general re-serialiser (piexifjs `dump`, for one) moves everything, writes
 * big-endian whatever the camera used, re-types values by its own table and
 * drops tags it does not know. This module never does that. It:
 *
 * 1. keeps the original TIFF bytes unchanged, in place (byte order included);
 * 2. appends a 16-byte signature, then new copies of only the IFDs it changes
 *    (IFD0 always, the Exif and GPS IFDs when needed) with the new values;
 * 3. points the TIFF header at the new IFD0. Entries it does not own are
 *    copied verbatim, so they still point at the original values.
 *
 * The old IFD tables become unused bytes. On a later run the signature marks
 * where the original bytes end, so everything after it is rebuilt from
 * scratch: rewriting never grows the segment, and the same input gives the
 * same bytes (idempotent).
 *
 * piexifjs is used as an independent reader to cross-check the result
 * ({@link crossCheckWithPiexif}).
 *
 * Pure: bytes in, bytes out.
 *
 * The parts, one job per file: `tiff_reader.ts` (parse), `exif_plan.ts`
 * (which values change), `build_exif.ts` with `emit_ifd.ts` (write the new
 * IFDs), `padding_cut.ts` (room from padding or the thumbnail),
 * `readable_tags.ts` (nothing of the camera's lost), and
 * `cross_check_with_piexif.ts`; `read_exif.ts` reads values for the policies.
 *
 * @module
 */

import { build, type NewExifContext } from "./build_exif.ts";
import { Encoder } from "./emit_ifd.ts";
import { type ExifEdit, planChanges, planIsEmpty } from "./exif_plan.ts";
import { MAX_SEGMENT_PAYLOAD } from "./jpeg_segments.ts";
import { PADDING_TAG, paddingCut, thumbnailCut } from "./padding_cut.ts";
import { lostTags, readableTags } from "./readable_tags.ts";
import { type ParsedTiff, parseTiff } from "./tiff_reader.ts";

/** Largest TIFF block that fits in one Exif APP1 ("Exif\0\0" + TIFF). */
export const MAX_EXIF_TIFF_BYTES = MAX_SEGMENT_PAYLOAD - 6;

/** Result of {@link mergeExif}. */
export type ExifMergeResult =
  | { kind: "unchanged"; warnings: string[] }
  | {
    kind: "changed";
    tiff: Uint8Array;
    /** The values actually written (fewer than asked when EXIF was full). */
    applied: ExifEdit;
    warnings: string[];
  }
  | { kind: "failed"; reason: string; warnings: string[] };

/**
 * Merges `edit` into existing EXIF (`original`: the TIFF block after
 * "Exif\0\0", or undefined when the file has none).
 *
 * Size rule, tried in order until the block fits in one APP1 segment
 * ({@link MAX_EXIF_TIFF_BYTES}): all our fields; only the date, GPS, Artist
 * and Copyright (title, description and keywords stay in XMP/IPTC); all
 * fields without the IFD1 thumbnail (only when provably safe); the short set
 * without the thumbnail. When nothing fits, EXIF is left untouched.
 *
 * Long (about 100 lines) because the size rule reads best as one loop over
 * the attempts, in the order above.
 */
export function mergeExif(
  original: Uint8Array | undefined,
  edit: ExifEdit,
  ctx: NewExifContext,
  maxTiffBytes: number = MAX_EXIF_TIFF_BYTES,
): ExifMergeResult {
  const warnings: string[] = [];
  let parsed: ParsedTiff | undefined;
  if (original) {
    try {
      parsed = parseTiff(original);
    } catch (error) {
      return {
        kind: "failed",
        reason: `existing EXIF is malformed (${(error as Error).message})`,
        warnings,
      };
    }
  }
  const enc = new Encoder(parsed ? parsed.reader.little : false);
  const short: ExifEdit = {};
  if (edit.artist !== undefined) short.artist = edit.artist;
  if (edit.copyright !== undefined) short.copyright = edit.copyright;
  if (edit.dateTimeOriginal !== undefined) {
    short.dateTimeOriginal = edit.dateTimeOriginal;
  }
  if (edit.createDateIfAbsent !== undefined) {
    short.createDateIfAbsent = edit.createDateIfAbsent;
  }
  if (edit.gps !== undefined) short.gps = edit.gps;
  if (edit.iptcNaa !== undefined) short.iptcNaa = edit.iptcNaa;
  const attempts: Array<{ edit: ExifEdit; drop: boolean; note?: string }> = [
    { edit, drop: false },
    {
      edit: short,
      drop: false,
      note: "EXIF keeps only the date, GPS, Artist and Copyright " +
        "(title, description and keywords are in XMP and IPTC)",
    },
    { edit, drop: true, note: "dropped the EXIF thumbnail to make room" },
    {
      edit: short,
      drop: true,
      note: "dropped the EXIF thumbnail and kept only the date, GPS, Artist " +
        "and Copyright in EXIF",
    },
  ];
  const before = original ? readableTags(original) : new Map();
  const reclaimable = parsed ? paddingCut(parsed) : undefined;
  const reclaimed = new Set(
    reclaimable?.dropped.map((d) => `${d.name}:0x${PADDING_TAG.toString(16)}`),
  );
  for (const attempt of attempts) {
    const plan = planChanges(parsed, attempt.edit, enc);
    if (!attempt.drop && planIsEmpty(plan)) {
      if (attempt.note) warnings.push(`EXIF is full: ${attempt.note}`);
      return { kind: "unchanged", warnings };
    }
    if (attempt.drop && (!parsed || thumbnailCut(parsed) === undefined)) {
      continue;
    }
    for (
      const reclaim of attempt.drop || !reclaimable ? [false] : [false, true]
    ) {
      let tiff: Uint8Array;
      try {
        tiff = build(original, parsed, plan, ctx, {
          dropThumbnail: attempt.drop,
          reclaimPadding: reclaim,
        });
      } catch (error) {
        return {
          kind: "failed",
          reason: `cannot update EXIF (${(error as Error).message})`,
          warnings,
        };
      }
      if (tiff.length > maxTiffBytes) continue;
      // Nothing readable before (no EXIF, or none a reader can read):
      // nothing can be lost, and the new block need not be walked.
      const lost = before.size === 0 ? undefined : lostTags(
        before,
        readableTags(tiff),
        attempt.drop,
        reclaim ? reclaimed : new Set(),
      );
      if (lost) {
        return {
          kind: "failed",
          reason:
            `the rewritten EXIF would hide or change the camera's ${lost}`,
          warnings,
        };
      }
      if (attempt.note) warnings.push(`EXIF is full: ${attempt.note}`);
      return { kind: "changed", tiff, applied: attempt.edit, warnings };
    }
  }
  return {
    kind: "failed",
    reason:
      `EXIF would exceed ${maxTiffBytes + 6} bytes; left EXIF untouched ` +
      "(the fields are in XMP and IPTC)",
    warnings,
  };
}
