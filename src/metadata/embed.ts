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
 * @module
 */

import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { bytesEqual, decodeUtf8Strict, latin1, utf8 } from "./_bytes.ts";
import {
  type DateResolution,
  type DateSource,
  type PhotoMetadata,
  prepareFields,
} from "./fields.ts";
import {
  afcpHeaderEntries,
  afcpPatches,
  parseAfcpEnd,
  type TailPatch,
} from "./afcp.ts";
import { rebuildJpegHeader, verifyJpegHeader } from "./jpeg_header.ts";
import { isJpeg, parseJpegHeader } from "./jpeg_segments.ts";
import {
  isPng,
  parsePngHeader,
  rebuildPngHeader,
  verifyPngHeader,
  XMP_KEYWORD,
} from "./png.ts";
import { fitXmpPacket, xmpFieldsFrom } from "./xmp.ts";
import {
  classifyFsError,
  fsyncDir,
  removeQuietly,
  TEMP_SUFFIX,
  tempPathFor,
  writeAll,
} from "../platform/fs.ts";
import { LocalFatalError } from "../errors.ts";

/** Default cap on the header size read into memory. */
export const DEFAULT_MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Largest existing XMP sidecar that is read for merging. */
const MAX_SIDECAR_BYTES = 16 * 1024 * 1024;
const COPY_CHUNK_BYTES = 256 * 1024;
/** Suffix of every temporary file this module creates. */
export { TEMP_SUFFIX };

/** Options for {@link embedMetadata}. */
export interface EmbedOptions {
  /**
   * When to write `<file>.xmp`: "auto" (default) for formats whose own
   * metadata we do not write (video, GIF, …), for PNG, and for JPEGs whose
   * XMP could not be written; "always"; or "never".
   */
  xmpSidecar?: "auto" | "always" | "never";
  /** Largest header read into memory; bigger headers are skipped. */
  maxHeaderBytes?: number;
  /**
   * Modification (and access) time for a rewritten file. By default the
   * original's times are kept; see {@link setFileTimes} to set the date taken.
   */
  mtime?: Date;
}

/** Detected file format (by magic bytes, never by extension). */
export type FileFormat = "jpeg" | "png" | "other";

/** Outcome of {@link embedMetadata}. */
export interface EmbedResult {
  /**
   * What happened to the file itself: "written" (rewritten and verified),
   * "unchanged" (it already held these values), or "skipped" (not touched:
   * a format we do not write into, which is expected and has no warning, or a
   * problem, which has a warning).
   */
  status: "written" | "unchanged" | "skipped";
  /** Detected format. */
  format: FileFormat;
  /** Problems, each a sentence; empty when all went to plan. */
  warnings: string[];
  /** Where the date written came from (for the JSON sidecar). */
  dateSource: DateSource;
  /** The resolved date in each format's notation. */
  date: DateResolution;
  /**
   * SHA-256 (hex) of the whole file as written and read back, present when
   * the file was written (so callers need not read it again).
   */
  sha256?: string;
  /** Final file size, present when the file was written. */
  bytes?: number;
  /** The XMP sidecar, when one was considered. */
  sidecar?: SidecarResult;
}

/** Outcome of {@link writeXmpSidecar}. */
export interface SidecarResult {
  /** Sidecar path. */
  path: string;
  /** "skipped" means an existing sidecar could not be merged (kept as is). */
  status: "written" | "unchanged" | "skipped";
  /** Problems, each a sentence. */
  warnings: string[];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const out = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled === length ? out : out.subarray(0, filled);
}

/**
 * Reads `file` from its current position to the end, handing each chunk to
 * `consume` while the next chunk is already being read (two buffers, so
 * reading overlaps hashing and writing). Returns the number of bytes read.
 */
async function forEachChunk(
  file: Deno.FsFile,
  buffers: [Uint8Array, Uint8Array],
  consume: (chunk: Uint8Array) => Promise<void> | void,
): Promise<number> {
  const fill = async (buffer: Uint8Array) => {
    const n = await file.read(buffer);
    return n === null ? null : buffer.subarray(0, n);
  };
  let total = 0;
  let index = 0;
  let pending = fill(buffers[0]);
  try {
    while (true) {
      const chunk = await pending;
      if (chunk === null) return total;
      index ^= 1;
      pending = fill(buffers[index]!);
      await consume(chunk);
      total += chunk.length;
    }
  } catch (error) {
    // Let an in-flight read finish before the buffers go away.
    await pending.catch(() => undefined);
    throw error;
  }
}

/** Reads a growing prefix until `parse` stops asking for more. */
async function readHeader<T extends { kind: string }>(
  file: Deno.FsFile,
  size: number,
  first: Uint8Array,
  maxBytes: number,
  parse: (
    prefix: Uint8Array,
    size: number,
  ) => T | { kind: "need-more"; needBytes: number },
): Promise<{ prefix: Uint8Array; result: T } | { error: string }> {
  let prefix = first.subarray(0, Math.min(first.length, maxBytes));
  while (true) {
    const result = parse(prefix, size);
    if (result.kind !== "need-more") return { prefix, result: result as T };
    const need = (result as { needBytes: number }).needBytes;
    if (need > maxBytes) {
      return { error: `the header is larger than ${maxBytes} bytes` };
    }
    const length = Math.min(size, Math.max(need, prefix.length * 2), maxBytes);
    prefix = await readAt(file, 0, length);
    if (prefix.length < Math.min(need, size)) {
      return { error: "the file shrank while being read" };
    }
  }
}

interface Original {
  path: string;
  info: Deno.FileInfo;
  /** Closes our read handle (before the rename: Windows refuses otherwise). */
  release: () => void;
}

interface ReplaceJob {
  original: Original;
  file: Deno.FsFile;
  header: Uint8Array;
  tailOffset: number;
  /** Bytes of the next structure to read back with the header. */
  verifyExtra: number;
  verify: (prefix: Uint8Array, size: number) => string | undefined;
  /** Checks each tail chunk (e.g. looks for the JPEG EOI marker). */
  scanTail?: TailScanner;
  /** Offsets in the tail to rewrite (AFCP), at original file positions. */
  tailPatches?: TailPatch[];
  mtime?: Date;
}

interface TailScanner {
  feed(chunk: Uint8Array): void;
  finish(): string | undefined;
}

/** Finds an EOI marker (FF D9) anywhere in the tail. */
function eoiScanner(): TailScanner {
  let found = false;
  let previousWasFF = false;
  return {
    feed(chunk) {
      if (found || chunk.length === 0) return;
      if (previousWasFF && chunk[0] === 0xd9) {
        found = true;
        return;
      }
      let at = chunk.indexOf(0xff);
      while (at >= 0 && at + 1 < chunk.length) {
        if (chunk[at + 1] === 0xd9) {
          found = true;
          return;
        }
        at = chunk.indexOf(0xff, at + 1);
      }
      previousWasFF = chunk[chunk.length - 1] === 0xff;
    },
    finish() {
      return found
        ? undefined
        : "the JPEG has no end-of-image marker (truncated?)";
    },
  };
}

/** True when the file's last two bytes are the EOI marker (the usual case). */
async function endsWithEoi(file: Deno.FsFile, size: number): Promise<boolean> {
  if (size < 2) return false;
  const last = await readAt(file, size - 2, 2);
  return last[0] === 0xff && last[1] === 0xd9;
}

/**
 * Streams `header + original[tailOffset..]` into a temp file, verifies it and
 * renames it over the original. Returns the tail SHA-256 and final size.
 */
async function replaceFile(
  job: ReplaceJob,
): Promise<{ sha256: string; bytes: number }> {
  const { original, file, header, tailOffset } = job;
  const links = original.info.nlink;
  if (links !== null && links > 1) {
    // Renaming a new file over this path would leave the other links with
    // the old content; the caller should embed before linking.
    throw new Error(
      `it has ${links} hard links and rewriting it would split them ` +
        "(embed before linking)",
    );
  }
  const tailLength = original.info.size - tailOffset;
  const tempPath = tempPathFor(original.path);
  let temp: Deno.FsFile | undefined;
  try {
    temp = await Deno.open(tempPath, {
      write: true,
      createNew: true,
      mode: 0o600,
    });
    await writeAll(temp, header);
    // The hash of header + original tail as read: the temp file, read back
    // from disk, must hash the same (so every tail byte is identical).
    const expectedHash = createHash("sha256").update(header);
    // Small files get small buffers: a backup embeds into thousands of them.
    const chunk = Math.max(
      1,
      Math.min(COPY_CHUNK_BYTES, header.length + tailLength),
    );
    const buffers: [Uint8Array, Uint8Array] = [
      new Uint8Array(chunk),
      new Uint8Array(chunk),
    ];
    await file.seek(tailOffset, Deno.SeekMode.Start);
    let chunkAt = tailOffset;
    const copied = await forEachChunk(file, buffers, async (read) => {
      const chunk = applyPatches(read, chunkAt, job.tailPatches);
      chunkAt += read.length;
      expectedHash.update(chunk);
      job.scanTail?.feed(chunk);
      await writeAll(temp!, chunk);
    });
    if (copied !== tailLength) {
      throw new Error(
        `read ${copied} bytes of image data, expected ${tailLength}`,
      );
    }
    const tailProblem = job.scanTail?.finish();
    if (tailProblem) throw new Error(tailProblem);
    await temp.sync();
    temp.close();
    temp = undefined;
    const expectedSha = expectedHash.digest("hex");

    // Read the temp file back: length, header, tail hash.
    const expectedSize = header.length + tailLength;
    const check = await Deno.open(tempPath, { read: true });
    try {
      const size = (await check.stat()).size;
      if (size !== expectedSize) {
        throw new Error(
          `the new file has ${size} bytes, expected ${expectedSize}`,
        );
      }
      const prefix = await readAt(
        check,
        0,
        Math.min(size, header.length + job.verifyExtra),
      );
      if (!bytesEqual(prefix.subarray(0, header.length), header)) {
        throw new Error("the new header reads back differently");
      }
      const problem = job.verify(prefix, size);
      if (problem) throw new Error(problem);
      const tempHash = createHash("sha256");
      await check.seek(0, Deno.SeekMode.Start);
      await forEachChunk(check, buffers, (chunk) => {
        tempHash.update(chunk);
      });
      if (tempHash.digest("hex") !== expectedSha) {
        throw new Error(
          "the image data changed while copying (SHA-256 differs)",
        );
      }
    } finally {
      check.close();
    }

    // The original must not have changed while we worked.
    const now = await Deno.stat(original.path);
    if (
      now.size !== original.info.size ||
      now.mtime?.getTime() !== original.info.mtime?.getTime()
    ) {
      throw new Error("the file changed while metadata was being written");
    }
    if (Deno.build.os !== "windows" && original.info.mode !== null) {
      await Deno.chmod(tempPath, original.info.mode & 0o7777);
    }
    const mtime = job.mtime ?? original.info.mtime;
    if (mtime) {
      await Deno.utime(
        tempPath,
        job.mtime ?? original.info.atime ?? mtime,
        mtime,
      );
    }
    original.release();
    await Deno.rename(tempPath, original.path);
    await syncDirBestEffort(dirname(original.path));
    return { sha256: expectedSha, bytes: expectedSize };
  } catch (error) {
    try {
      temp?.close();
    } catch {
      // Closing a file that failed mid-write can fail too; removal follows.
    }
    await removeQuietly(tempPath);
    throw error;
  }
}

/** `chunk` (at `at` in the original) with the patches that overlap it. */
function applyPatches(
  chunk: Uint8Array,
  at: number,
  patches: TailPatch[] | undefined,
): Uint8Array {
  let out = chunk;
  for (const patch of patches ?? []) {
    const from = Math.max(patch.at, at);
    const to = Math.min(patch.at + patch.bytes.length, at + chunk.length);
    if (from >= to) continue;
    if (out === chunk) out = chunk.slice();
    out.set(patch.bytes.subarray(from - patch.at, to - patch.at), from - at);
  }
  return out;
}

/**
 * The rewrites that keep an AFCP trailer's offsets right when the header
 * changes by `delta` bytes: none without a trailer, or when its offsets are
 * already wrong (left as they were); undefined when they cannot be moved.
 */
async function afcpTailPatches(
  file: Deno.FsFile,
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

/** Lists the chunks after the first IDAT by seeking (PNG). */
async function scanPngTail(
  file: Deno.FsFile,
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

function skipped(
  format: FileFormat,
  date: DateResolution,
  warnings: string[],
): EmbedResult {
  return { status: "skipped", format, warnings, dateSource: date.source, date };
}

/**
 * Replaces the file as `job` says: "written", or "skipped" with a warning
 * saying why the original was left untouched.
 */
async function replaceOrSkip(
  job: ReplaceJob,
  base: Omit<EmbedResult, "status">,
): Promise<EmbedResult> {
  try {
    return { status: "written", ...base, ...await replaceFile(job) };
  } catch (error) {
    // A full disk or a read-only folder is not a bad file: the caller stops
    // and keeps the photo pending, so a later run writes the metadata.
    const local = classifyFsError(error, job.original.path);
    if (local instanceof LocalFatalError) throw local;
    return {
      status: "skipped",
      ...base,
      warnings: [
        ...base.warnings,
        `Left "${job.original.path}" untouched: ${errorText(error)}`,
      ],
    };
  }
}

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
  let file: Deno.FsFile;
  let format: FileFormat = "other";
  try {
    real = await Deno.realPath(path);
    file = await Deno.open(real, { read: true });
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

async function embedJpeg(
  file: Deno.FsFile,
  original: Original,
  first: Uint8Array,
  meta: PhotoMetadata,
  maxHeader: number,
  opts: EmbedOptions,
): Promise<
  { result: EmbedResult; needsSidecar: boolean; cameraDate?: string }
> {
  const plainDate = prepareFields(meta).fields.date;
  const read = await readHeader(
    file,
    original.info.size,
    first,
    maxHeader,
    parseJpegHeader,
  );
  if ("error" in read || read.result.kind !== "ok") {
    const reason = "error" in read
      ? read.error
      : read.result.kind === "invalid"
      ? read.result.reason
      : "incomplete header";
    return {
      result: skipped("jpeg", plainDate, [
        `Left "${original.path}" untouched: not a JPEG we can safely rewrite (${reason})`,
      ]),
      needsSidecar: true,
    };
  }
  const header = read.result.header;
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

async function embedPng(
  file: Deno.FsFile,
  original: Original,
  first: Uint8Array,
  meta: PhotoMetadata,
  maxHeader: number,
  opts: EmbedOptions,
): Promise<{ result: EmbedResult; needsSidecar: boolean }> {
  const plainDate = prepareFields(meta).fields.date;
  const read = await readHeader(
    file,
    original.info.size,
    first,
    maxHeader,
    parsePngHeader,
  );
  if ("error" in read || read.result.kind !== "ok") {
    const reason = "error" in read
      ? read.error
      : read.result.kind === "invalid"
      ? read.result.reason
      : "incomplete header";
    return {
      result: skipped("png", plainDate, [
        `Left "${original.path}" untouched: not a PNG we can safely rewrite (${reason})`,
      ]),
      needsSidecar: true,
    };
  }
  const { chunks, tailOffset } = read.result;
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

/** Options for {@link writeXmpSidecar}. */
export interface SidecarOptions {
  /** The camera's DateTimeOriginal, for the date policy. */
  cameraDateTimeOriginal?: string;
}

/**
 * Writes (or updates) the XMP sidecar at `sidecarPath` with the same fields
 * as the embedded XMP, the description in full. An existing sidecar written
 * by another tool (darktable, digiKam, Lightroom) is merged with the XMP
 * rule, keeping its other properties; one that cannot be parsed is left
 * alone. Written atomically (temp file, fsync, rename).
 */
export async function writeXmpSidecar(
  sidecarPath: string,
  meta: PhotoMetadata,
  opts: SidecarOptions = {},
): Promise<SidecarResult> {
  const { fields, warnings } = prepareFields(meta, opts.cameraDateTimeOriginal);
  let existing: string | undefined;
  try {
    const info = await Deno.stat(sidecarPath);
    if (!info.isFile || info.size > MAX_SIDECAR_BYTES) {
      return {
        path: sidecarPath,
        status: "skipped",
        warnings: [
          ...warnings,
          `Left "${sidecarPath}" untouched: not a small regular file`,
        ],
      };
    }
    const bytes = await Deno.readFile(sidecarPath);
    existing = decodeUtf8Strict(bytes);
    if (existing === undefined) {
      return {
        path: sidecarPath,
        status: "skipped",
        warnings: [
          ...warnings,
          `Left "${sidecarPath}" untouched: it is not UTF-8`,
        ],
      };
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return {
        path: sidecarPath,
        status: "skipped",
        warnings: [
          ...warnings,
          `Cannot read "${sidecarPath}": ${errorText(error)}`,
        ],
      };
    }
  }
  const xmpFields = xmpFieldsFrom(fields);
  if (
    existing === undefined && xmpFields.tags.length === 0 &&
    Object.keys(xmpFields).length === 1
  ) {
    // Nothing to say and no sidecar yet: do not create an empty one.
    return { path: sidecarPath, status: "skipped", warnings };
  }
  const fit = fitXmpPacket(existing, xmpFields, Number.POSITIVE_INFINITY);
  if (fit.kind === "failed") {
    return {
      path: sidecarPath,
      status: "skipped",
      warnings: [...warnings, `Left "${sidecarPath}" untouched: ${fit.reason}`],
    };
  }
  if (fit.packet === existing) {
    return { path: sidecarPath, status: "unchanged", warnings };
  }
  const tempPath = tempPathFor(sidecarPath);
  try {
    const temp = await Deno.open(tempPath, {
      write: true,
      createNew: true,
      mode: 0o644,
    });
    try {
      await writeAll(temp, utf8(fit.packet));
      await temp.sync();
    } finally {
      temp.close();
    }
    await Deno.rename(tempPath, sidecarPath);
    await syncDirBestEffort(dirname(sidecarPath));
  } catch (error) {
    await removeQuietly(tempPath);
    return {
      path: sidecarPath,
      status: "skipped",
      warnings: [
        ...warnings,
        `Cannot write "${sidecarPath}": ${errorText(error)}`,
      ],
    };
  }
  return { path: sidecarPath, status: "written", warnings };
}

/**
 * Sets a file's access and modification times, e.g. to the date taken
 * (see `dateResolutionToLocalDate` in `fields.ts`).
 */
export async function setFileTimes(path: string, date: Date): Promise<void> {
  await Deno.utime(path, date, date);
}

/**
 * Fsyncs the folder of a file just renamed into place. The new file is
 * already there: a failed folder fsync cannot be undone and must not be
 * reported as "left untouched", so it is ignored here (the one place that
 * knows how to fsync a folder is platform/fs.ts).
 */
export async function syncDirBestEffort(dir: string): Promise<void> {
  await fsyncDir(dir).catch(() => undefined);
}
