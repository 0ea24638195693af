/**
 * The fast path of {@link embedMetadata} for a backup's typical photo: a
 * small JPEG whose header we can rewrite (no XMP block kept aside, an EOI at
 * the end). The file is read once; the header is rebuilt, parsed back and
 * checked in memory; the new file is written once (temp file, times set on
 * the open handle, fsync, rename, directory fsync). The tail is the very
 * bytes read, so it is identical by construction, and the SHA-256 returned
 * is that of the bytes written.
 *
 * Anything else (other formats, large files, a header that does not parse,
 * a block that must be kept, a file with other hard links) returns
 * `undefined`: the caller then uses {@link embedMetadata}, which handles and
 * reports every case.
 *
 * @module
 */

import { localFiles } from "../platform/local_files.ts";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { type EmbedResult, syncDirBestEffort } from "./embed.ts";
import { tempPathFor, writeAll } from "../platform/fs.ts";
import type { DateResolution, PhotoMetadata } from "./fields.ts";
import { rebuildJpegHeader, verifyJpegHeader } from "./jpeg_header.ts";
import { isJpeg, parseJpegHeader } from "./jpeg_segments.ts";

/** Files up to this size are embedded in memory. */
export const SMALL_FILE_BYTES = 4 * 1024 * 1024;

/** Options of {@link embedSmallJpeg}. */
export interface SmallEmbedOptions {
  /** Modification time for the new file, from the resolved date. */
  mtimeFor?: (date: DateResolution) => Date | undefined;
  /**
   * Fsync the folder after the rename (default true). False: the caller
   * does it, once for several files it writes there.
   */
  syncDir?: boolean;
}

/**
 * Embeds `meta` into the small JPEG at `path` in memory, or returns
 * `undefined` when the general path must do it (nothing was changed then).
 */
export async function embedSmallJpeg(
  path: string,
  meta: PhotoMetadata,
  options: SmallEmbedOptions = {},
): Promise<EmbedResult | undefined> {
  // Kept open until the rename: its stat then tells whether the file
  // changed while we worked (closed first: Windows refuses otherwise).
  using original = await localFiles.open(path, { read: true });
  const info = await original.stat();
  if (
    !info.isFile || info.size > SMALL_FILE_BYTES || info.size < 4 ||
    (info.nlink ?? 1) > 1
  ) return undefined;
  const bytes = new Uint8Array(info.size);
  let filled = 0;
  while (filled < bytes.length) {
    const n = await original.read(bytes.subarray(filled));
    if (n === null) return undefined; // shrank while read
    filled += n;
  }
  const done = embedJpegBytes(bytes, meta);
  if (!done) return undefined;
  const mtime = options.mtimeFor?.(done.result.date);
  if (!done.next) {
    if (mtime) await localFiles.utime(path, mtime, mtime);
    return done.result;
  }
  const next = done.next;

  const temp = tempPathFor(path);
  try {
    {
      using file = await localFiles.open(temp, {
        write: true,
        createNew: true,
        mode: (info.mode ?? 0o644) & 0o777,
      });
      await writeAll(file, next);
      const times = mtime ?? info.mtime;
      if (times) await file.utime(mtime ?? info.atime ?? times, times);
      await file.sync();
      // The original must not have changed while we worked.
      const now = await original.stat();
      if (
        now.size !== info.size ||
        now.mtime?.getTime() !== info.mtime?.getTime()
      ) {
        throw new Error("changed while embedding");
      }
    }
    original.close();
    await localFiles.rename(temp, path);
  } catch {
    // Nothing changed: the general path tries again and reports the cause.
    await localFiles.remove(temp).catch(() => undefined);
    return undefined;
  }
  if (options.syncDir !== false) await syncDirBestEffort(dirname(path));
  return done.result;
}

/**
 * The in-memory core of {@link embedSmallJpeg}: `meta` written into the
 * JPEG `bytes`, the new header parsed back and checked. `next` holds the new
 * file ("written"), or is absent when the bytes already hold these values
 * ("unchanged"); `undefined` when the general path must do it. The result
 * of "written" carries the SHA-256 and size of `next`.
 */
export function embedJpegBytes(
  bytes: Uint8Array,
  meta: PhotoMetadata,
): { result: EmbedResult; next?: Uint8Array } | undefined {
  const size = bytes.length;
  if (
    size < 4 || !isJpeg(bytes) || bytes[size - 2] !== 0xff ||
    bytes[size - 1] !== 0xd9
  ) return undefined;
  const parsed = parseJpegHeader(bytes, size);
  if (parsed.kind !== "ok") return undefined;
  const { tailOffset } = parsed.header;
  const rebuild = rebuildJpegHeader(bytes, parsed.header, meta, size);
  if (rebuild.blocks.xmp === "kept") return undefined; // needs an XMP sidecar
  const date = rebuild.fields.date;
  const base = {
    format: "jpeg" as const,
    warnings: rebuild.warnings,
    dateSource: date.source,
    date,
  };
  if (!rebuild.changed) return { result: { status: "unchanged", ...base } };
  const header = rebuild.header;
  const next = new Uint8Array(header.length + size - tailOffset);
  next.set(header, 0);
  next.set(bytes.subarray(tailOffset), header.length);
  const problem = verifyJpegHeader(
    next.subarray(0, Math.min(next.length, header.length + 4)),
    header.length,
    next.length,
    rebuild.expect,
  );
  if (problem) return undefined;
  const sha256 = createHash("sha256").update(next).digest("hex");
  return {
    result: { status: "written", ...base, sha256, bytes: next.length },
    next,
  };
}
