/**
 * The JPEG path of `embed.ts`: rebuild the header (EXIF, XMP, IPTC) and keep
 * an AFCP trailer's offsets right.
 *
 * @module
 */

import { type OpenFile } from "../platform/local_files.ts";
import { type PhotoMetadata, prepareFields } from "./fields.ts";
import {
  afcpHeaderEntries,
  afcpPatches,
  parseAfcpEnd,
  type TailPatch,
} from "./afcp.ts";
import { rebuildJpegHeader, verifyJpegHeader } from "./jpeg_header.ts";
import { parseJpegHeader } from "./jpeg_segments.ts";
import { type EmbedOptions, type EmbedResult } from "./embed_types.ts";
import {
  endsWithEoi,
  eoiScanner,
  type Original,
  parseHeaderOrSkip,
  readAt,
  replaceOrSkip,
  skipped,
} from "./replace_file.ts";

/**
 * The rewrites that keep an AFCP trailer's offsets right when the header
 * changes by `delta` bytes: none without a trailer, or when its offsets are
 * already wrong (left as they were); undefined when they cannot be moved.
 */
async function afcpTailPatches(
  file: OpenFile,
  size: number,
  tailOffset: number,
  delta: number,
): Promise<TailPatch[] | undefined> {
  if (delta === 0 || size < tailOffset + 24) return [];
  const trailer = parseAfcpEnd(await readAt(file, size - 12, 12));
  if (!trailer) return [];
  if (trailer.start < tailOffset || trailer.start + 24 > size) return [];
  const count = afcpHeaderEntries(
    await readAt(file, trailer.start, 12),
    trailer,
  );
  if (count === undefined) return [];
  if (trailer.start + 12 + count * 12 > size - 12) return undefined;
  const directory = await readAt(file, trailer.start + 12, count * 12);
  return afcpPatches(trailer, directory, size, delta);
}
export async function embedJpeg(
  file: OpenFile,
  original: Original,
  first: Uint8Array,
  meta: PhotoMetadata,
  maxHeader: number,
  opts: EmbedOptions,
): Promise<
  { result: EmbedResult; needsSidecar: boolean; cameraDate?: string }
> {
  const plainDate = prepareFields(meta).fields.date;
  const read = await parseHeaderOrSkip(
    file,
    original,
    first,
    maxHeader,
    "jpeg",
    parseJpegHeader,
    plainDate,
  );
  if ("skip" in read) return read.skip;
  const header = read.parsed.header;
  const rebuild = rebuildJpegHeader(
    read.prefix,
    header,
    meta,
    original.info.size,
  );
  const date = rebuild.fields.date;
  const cameraDate = date.source === "camera" ? date.exifDate : undefined;
  const base = {
    format: "jpeg" as const,
    warnings: rebuild.warnings,
    dateSource: date.source,
    date,
  };
  const needsSidecar = rebuild.blocks.xmp === "kept";
  const extra = cameraDate === undefined ? {} : { cameraDate };
  if (!rebuild.changed) {
    return { result: { status: "unchanged", ...base }, needsSidecar, ...extra };
  }
  const tailPatches = await afcpTailPatches(
    file,
    original.info.size,
    header.tailOffset,
    rebuild.header.length - header.tailOffset,
  );
  if (!tailPatches) {
    return {
      result: skipped("jpeg", date, [
        ...rebuild.warnings,
        `Left "${original.path}" untouched: its AFCP trailer's offsets ` +
        "cannot be updated",
      ]),
      needsSidecar: true,
      ...extra,
    };
  }
  const result = await replaceOrSkip({
    original,
    file,
    header: rebuild.header,
    tailOffset: header.tailOffset,
    tailPatches,
    verifyExtra: 4,
    verify: (prefix, size) =>
      verifyJpegHeader(prefix, rebuild.header.length, size, rebuild.expect),
    ...(await endsWithEoi(file, original.info.size)
      ? {}
      : { scanTail: eoiScanner() }),
    ...(opts.mtime ? { mtime: opts.mtime } : {}),
  }, base);
  return {
    result,
    // A file left untouched gets its metadata in a sidecar instead.
    needsSidecar: result.status === "written" ? needsSidecar : true,
    ...extra,
  };
}
