/**
 * Where the camera's bytes may be cut to make room when the EXIF segment is
 * full: the zero padding and Microsoft `Padding` blocks at their end
 * ({@link paddingCut}), or the IFD1 thumbnail ({@link thumbnailCut}),
 * each only when nothing the IFDs reach is lost.
 *
 * @module
 */

import {
  type Entry,
  EXIF_SIGNATURE_BYTES,
  findEntry,
  type Ifd,
  type ParsedTiff,
  TAG,
} from "./tiff_reader.ts";

/** Where the camera's bytes end (before a previous run's signature). */
export function cameraEnd(parsed: ParsedTiff): number {
  return parsed.signed
    ? parsed.baseEnd - EXIF_SIGNATURE_BYTES.length
    : parsed.reader.bytes.length;
}

/**
 * The end of everything the camera's IFDs reach (tables, values, the
 * thumbnail), or undefined when an entry's size is unknown. Entries for
 * which `skip` is true do not count.
 */
function knownReach(
  parsed: ParsedTiff,
  regionEnd: number,
  skip: (ifd: Ifd, entry: Entry) => boolean = () => false,
): number | undefined {
  const { reader } = parsed;
  let reach = 8;
  const ifds = [
    parsed.ifd0,
    parsed.exif,
    parsed.gps,
    parsed.interop,
    parsed.ifd1,
    parsed.exif1,
  ];
  for (const ifd of ifds) {
    if (!ifd) continue;
    if (ifd.offset < regionEnd) {
      reach = Math.max(reach, ifd.offset + 2 + ifd.entries.length * 12 + 4);
    }
    for (const entry of ifd.entries) {
      if (skip(ifd, entry)) continue;
      const at = reader.valueOffset(entry);
      const size = reader.valueSize(entry);
      if (size === undefined) return undefined;
      if (at !== undefined && at < regionEnd) {
        reach = Math.max(reach, at + size);
      }
    }
  }
  const start = findEntry(parsed.ifd1, TAG.ThumbnailOffset);
  const length = findEntry(parsed.ifd1, TAG.ThumbnailLength);
  if (start && length) {
    const at = reader.u32(start.fieldOffset);
    if (at < regionEnd) {
      reach = Math.max(reach, at + reader.u32(length.fieldOffset));
    }
  }
  return reach;
}

/** Microsoft's reserved-space tag (IFD0 and ExifIFD), often 2 KB. */
export const PADDING_TAG = 0xea1c;

/** A cut that reuses padding, and the Padding entries it reclaims. */
export interface PaddingCut {
  cut: number;
  /** IFDs whose Padding block's bytes are reused (the entry is dropped). */
  dropped: Array<{ ifd: Ifd; name: "IFD0" | "ExifIFD" }>;
}

/**
 * Where the camera's bytes may be cut to reuse the padding at their end:
 * zeros (Nikon fills its 64 KiB Exif segment with them) and Microsoft
 * `Padding` blocks lying there; undefined when there is none. Nothing else
 * the IFDs reach is cut.
 */
export function paddingCut(parsed: ParsedTiff): PaddingCut | undefined {
  const { reader } = parsed;
  const bytes = reader.bytes;
  const regionEnd = cameraEnd(parsed);
  const blocks: Array<
    { ifd: Ifd; name: "IFD0" | "ExifIFD"; at: number; end: number }
  > = [];
  const named = [[parsed.ifd0, "IFD0"], [parsed.exif, "ExifIFD"]] as const;
  for (const [ifd, name] of named) {
    const entry = findEntry(ifd, PADDING_TAG);
    const at = entry ? reader.valueOffset(entry) : undefined;
    const size = entry ? reader.valueSize(entry) : undefined;
    if (ifd && at !== undefined && size !== undefined) {
      blocks.push({ ifd, name, at, end: at + size });
    }
  }
  const reach = knownReach(
    parsed,
    regionEnd,
    (ifd, entry) =>
      entry.tag === PADDING_TAG && blocks.some((b) => b.ifd === ifd),
  );
  if (reach === undefined || reach >= regionEnd) return undefined;
  let end = regionEnd;
  const dropped: PaddingCut["dropped"] = [];
  while (true) {
    while (end > reach && bytes[end - 1] === 0) end--;
    // A Padding block reaching to here is reserved space too.
    const block = blocks.find((b) =>
      !dropped.some((d) => d.ifd === b.ifd) && b.at >= reach && b.at < end &&
      b.end >= end
    );
    if (!block) break;
    dropped.push({ ifd: block.ifd, name: block.name });
    end = block.at;
  }
  end += end & 1;
  if (end >= regionEnd - 16) return undefined;
  // A Padding block not reused must stay whole.
  const kept = blocks.filter((b) => !dropped.some((d) => d.ifd === b.ifd));
  if (kept.some((b) => b.end > end)) return undefined;
  return { cut: end, dropped };
}

/**
 * Where the base may be cut to drop the IFD1 thumbnail, or undefined when that
 * is not provably safe: the thumbnail must be the last thing in the camera's
 * bytes, nothing else we know of may reach past its start, and there must be
 * no MakerNote (its private offsets could point anywhere) and no second
 * ExifIFD hanging from IFD1.
 */
export function thumbnailCut(parsed: ParsedTiff): number | undefined {
  const { reader, ifd1 } = parsed;
  if (!ifd1 || findEntry(parsed.exif, TAG.MakerNote)) return undefined;
  if (findEntry(ifd1, TAG.ExifIfd)) return undefined;
  const offsetEntry = findEntry(ifd1, TAG.ThumbnailOffset);
  const lengthEntry = findEntry(ifd1, TAG.ThumbnailLength);
  if (!offsetEntry || !lengthEntry) return undefined;
  const start = reader.u32(offsetEntry.fieldOffset);
  const length = reader.u32(lengthEntry.fieldOffset);
  const regionEnd = cameraEnd(parsed);
  if (start + length < regionEnd - 1 || start + length > regionEnd) {
    return undefined;
  }
  let reach = 8;
  for (const ifd of [parsed.ifd0, parsed.exif, parsed.gps, parsed.interop]) {
    if (!ifd) continue;
    if (ifd.offset < regionEnd) {
      reach = Math.max(reach, ifd.offset + 2 + ifd.entries.length * 12 + 4);
    }
    for (const entry of ifd.entries) {
      const at = reader.valueOffset(entry);
      const size = reader.valueSize(entry);
      if (size === undefined) return undefined;
      if (at !== undefined && at < regionEnd) {
        reach = Math.max(reach, at + size);
      }
    }
  }
  return reach <= start ? start : undefined;
}
