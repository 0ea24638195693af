/**
 * The PNG path of `embed.ts`: rewrite the chunks before the first IDAT.
 *
 * @module
 */

import { type OpenFile } from "../platform/local_files.ts";
import { latin1 } from "./_bytes.ts";
import { type PhotoMetadata, prepareFields } from "./fields.ts";
import {
  parsePngHeader,
  rebuildPngHeader,
  verifyPngHeader,
  XMP_KEYWORD,
} from "./png.ts";
import { type EmbedOptions, type EmbedResult } from "./embed_types.ts";
import {
  type Original,
  parseHeaderOrSkip,
  readAt,
  replaceOrSkip,
  skipped,
} from "./replace_file.ts";

/** Lists the chunks after the first IDAT by seeking (PNG). */
async function scanPngTail(
  file: OpenFile,
  tailOffset: number,
  size: number,
): Promise<{ hasXmp: boolean } | { error: string }> {
  let pos = tailOffset;
  let hasXmp = false;
  while (pos + 12 <= size) {
    const head = await readAt(file, pos, 8);
    const length = ((head[0]! << 24) >>> 0) + (head[1]! << 16) +
      (head[2]! << 8) +
      head[3]!;
    const type = latin1(head, 4, 8);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      return { error: `bad PNG chunk at offset ${pos}` };
    }
    if (type === "iTXt") {
      const keyword = await readAt(file, pos + 8, Math.min(length, 18));
      if (latin1(keyword).startsWith(XMP_KEYWORD + "\0")) hasXmp = true;
    }
    pos += 12 + length;
    if (type === "IEND") {
      return pos <= size
        ? { hasXmp }
        : { error: "the PNG's IEND chunk is truncated" };
    }
  }
  return { error: "the PNG has no IEND chunk (truncated?)" };
}
export async function embedPng(
  file: OpenFile,
  original: Original,
  first: Uint8Array,
  meta: PhotoMetadata,
  maxHeader: number,
  opts: EmbedOptions,
): Promise<{ result: EmbedResult; needsSidecar: boolean }> {
  const plainDate = prepareFields(meta).fields.date;
  const read = await parseHeaderOrSkip(
    file,
    original,
    first,
    maxHeader,
    "png",
    parsePngHeader,
    plainDate,
  );
  if ("skip" in read) return read.skip;
  const { chunks, tailOffset } = read.parsed;
  const tail = await scanPngTail(file, tailOffset, original.info.size);
  if ("error" in tail) {
    return {
      result: skipped("png", plainDate, [
        `Left "${original.path}" untouched: ${tail.error}`,
      ]),
      needsSidecar: true,
    };
  }
  const rebuild = rebuildPngHeader(
    read.prefix,
    chunks,
    tailOffset,
    meta,
    tail.hasXmp,
  );
  const date = rebuild.fields.date;
  const base = {
    format: "png" as const,
    warnings: rebuild.warnings,
    dateSource: date.source,
    date,
  };
  if (!rebuild.changed) {
    return { result: { status: "unchanged", ...base }, needsSidecar: true };
  }
  const result = await replaceOrSkip({
    original,
    file,
    header: rebuild.header,
    tailOffset,
    verifyExtra: 8,
    verify: (prefix, size) =>
      verifyPngHeader(
        prefix,
        rebuild.header.length,
        size,
        rebuild.xmpDescription,
      ),
    ...(opts.mtime ? { mtime: opts.mtime } : {}),
  }, base);
  return { result, needsSidecar: true };
}
