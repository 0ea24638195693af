/**
 * Writes Flickr metadata into files on disk: the only module in
 * `src/metadata/` that does I/O.
 *
 * JPEG and PNG get a header-only rewrite. The header (segments before the
 * first SOS, chunks before the first IDAT) is read and rebuilt in memory; the
 * rest of the file is streamed unchanged, in chunks of up to 256 KiB, into
 * `.<name>.<random>.fbtmp` beside the original. Memory and CPU do not depend
 * on the file size beyond that copy. Before the temp file replaces the
 * original:
 *
 * 1. the temp file's length is checked and its header is read back, parsed
 *    and compared byte for byte with what was built;
 * 2. the SHA-256 of the temp file, read back from disk, is compared with the
 *    SHA-256 of the new header followed by the original's tail as it was
 *    copied (so every byte from the first SOS/IDAT to the end, trailers
 *    after EOI included, is identical, except the absolute offsets of an
 *    AFCP trailer, moved by the header's change in size: see `afcp.ts`); it
 *    is returned, so callers need not hash the file again;
 * 3. the original's size and mtime must not have changed meanwhile;
 * 4. the temp file is fsynced, given the original's mode and times, renamed
 *    over the original, and the directory is fsynced.
 *
 * On any failure the temp file is removed, the original is left as it was,
 * and the result is "skipped" with a warning. Embedding the same metadata
 * again finds nothing to change and leaves the file alone ("unchanged").
 *
 * Other formats (video, GIF, …) are never modified; they get an XMP sidecar
 * `<file>.xmp` (as do PNGs, and JPEGs whose XMP could not be written).
 *
 * This file is the entry point; the work is split by job: `embed_jpeg.ts`,
 * `embed_png.ts`, `xmp_sidecar.ts`, the shared replace-or-skip in
 * `replace_file.ts`, and the shapes in `embed_types.ts`.
 *
 * @module
 */

import { localFiles, type OpenFile } from "../platform/local_files.ts";
import { type PhotoMetadata, prepareFields } from "./fields.ts";
import { isJpeg } from "./jpeg_segments.ts";
import { isPng } from "./png.ts";
import { TEMP_SUFFIX } from "../platform/fs.ts";
import { LocalFatalError } from "../errors.ts";
import { embedJpeg } from "./embed_jpeg.ts";
import { embedPng } from "./embed_png.ts";
import {
  type EmbedOptions,
  type EmbedResult,
  type FileFormat,
} from "./embed_types.ts";
import { errorText, type Original, readAt, skipped } from "./replace_file.ts";
import { writeXmpSidecar } from "./xmp_sidecar.ts";

export type {
  EmbedOptions,
  EmbedResult,
  FileFormat,
  SidecarOptions,
  SidecarResult,
} from "./embed_types.ts";
export { syncDirBestEffort } from "./replace_file.ts";
export { writeXmpSidecar } from "./xmp_sidecar.ts";

/** Default cap on the header size read into memory. */
export const DEFAULT_MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Suffix of every temporary file this module creates. */
export { TEMP_SUFFIX };
/**
 * Writes `meta` into the file at `path` (see the module doc for how), and
 * an XMP sidecar when {@link EmbedOptions.xmpSidecar} asks for one. Never
 * throws for a bad file: problems come back as warnings.
 */
export async function embedMetadata(
  path: string,
  meta: PhotoMetadata,
  opts: EmbedOptions = {},
): Promise<EmbedResult> {
  const sidecarMode = opts.xmpSidecar ?? "auto";
  const result = await embedInFile(path, meta, opts);
  const wantSidecar = sidecarMode === "always" ||
    (sidecarMode === "auto" && result.needsSidecar);
  const out = result.result;
  if (wantSidecar) {
    const sidecar = await writeXmpSidecar(
      path + ".xmp",
      meta,
      result.cameraDate === undefined
        ? {}
        : { cameraDateTimeOriginal: result.cameraDate },
    );
    out.sidecar = sidecar;
    for (const warning of sidecar.warnings) {
      if (!out.warnings.includes(warning)) out.warnings.push(warning);
    }
  }
  return out;
}

async function embedInFile(
  path: string,
  meta: PhotoMetadata,
  opts: EmbedOptions,
): Promise<
  { result: EmbedResult; needsSidecar: boolean; cameraDate?: string }
> {
  const plainDate = prepareFields(meta).fields.date;
  const fail = (format: FileFormat, warning: string, date = plainDate) => ({
    result: skipped(format, date, [warning]),
    needsSidecar: true,
  });
  let real: string;
  let file: OpenFile;
  let format: FileFormat = "other";
  try {
    real = await localFiles.realPath(path);
    file = await localFiles.open(real, { read: true });
  } catch (error) {
    return fail("other", `Cannot open "${path}": ${errorText(error)}`);
  }
  let closed = false;
  const release = () => {
    if (closed) return;
    closed = true;
    file.close();
  };
  try {
    const info = await file.stat();
    if (!info.isFile) return fail("other", `"${path}" is not a regular file`);
    const first = await readAt(file, 0, Math.min(info.size, 64 * 1024));
    format = isJpeg(first) ? "jpeg" : isPng(first) ? "png" : "other";
    if (format === "other") {
      return {
        result: skipped("other", plainDate, []),
        needsSidecar: true,
      };
    }
    const original: Original = { path: real, info, release };
    const maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    if (format === "jpeg") {
      return await embedJpeg(file, original, first, meta, maxHeader, opts);
    }
    return await embedPng(file, original, first, meta, maxHeader, opts);
  } catch (error) {
    if (error instanceof LocalFatalError) throw error; // full disk: stop
    return fail(
      format,
      `Cannot write metadata into "${path}": ${errorText(error)}`,
    );
  } finally {
    release();
  }
}
/**
 * Sets a file's access and modification times, e.g. to the date taken
 * (see `dateResolutionToLocalDate` in `fields.ts`).
 */
export async function setFileTimes(path: string, date: Date): Promise<void> {
  await localFiles.utime(path, date, date);
}
