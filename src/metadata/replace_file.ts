/**
 * The shared replace-or-skip of `embed.ts`: read a file's header, stream the
 * unchanged rest into a temp file beside it with the new header, check the
 * result (length, header read back, SHA-256, original unchanged), then rename
 * it over the original; on any failure leave the original as it was and
 * report "skipped".
 *
 * @module
 */

import {
  type FileInfo,
  IS_WINDOWS,
  localFiles,
  type OpenFile,
  SEEK_START,
} from "../platform/local_files.ts";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { bytesEqual } from "./_bytes.ts";
import { type DateResolution } from "./fields.ts";
import { type TailPatch } from "./afcp.ts";
import {
  classifyFsError,
  fsyncDir,
  removeQuietly,
  tempPathFor,
  writeAll,
} from "../platform/fs.ts";
import { LocalFatalError } from "../errors.ts";
import { type EmbedResult, type FileFormat } from "./embed_types.ts";

const COPY_CHUNK_BYTES = 256 * 1024;
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function readAt(
  file: OpenFile,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  await file.seek(offset, SEEK_START);
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
  file: OpenFile,
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
export async function readHeader<T extends { kind: string }>(
  file: OpenFile,
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

/** A header parse: parsed, more bytes wanted, or not a header we know. */
type HeaderParse<Ok extends { kind: "ok" }> =
  | Ok
  | { kind: "need-more"; needBytes: number }
  | { kind: "invalid"; reason: string };

/**
 * Reads and parses the header of `original` ({@link readHeader}); one that
 * cannot be read or parsed leaves the file untouched: a "skipped" result
 * asking for an XMP sidecar instead.
 */
export async function parseHeaderOrSkip<Ok extends { kind: "ok" }>(
  file: OpenFile,
  original: Original,
  first: Uint8Array,
  maxHeader: number,
  format: "jpeg" | "png",
  parse: (prefix: Uint8Array, size: number) => HeaderParse<Ok>,
  plainDate: DateResolution,
): Promise<
  | { prefix: Uint8Array; parsed: Ok }
  | { skip: { result: EmbedResult; needsSidecar: true } }
> {
  const read = await readHeader(
    file,
    original.info.size,
    first,
    maxHeader,
    parse,
  );
  if (!("error" in read) && read.result.kind === "ok") {
    return { prefix: read.prefix, parsed: read.result as Ok };
  }
  const reason = "error" in read
    ? read.error
    : read.result.kind === "invalid"
    ? read.result.reason
    : "incomplete header";
  return {
    skip: {
      result: skipped(format, plainDate, [
        `Left "${original.path}" untouched: not a ${format.toUpperCase()} we can safely rewrite (${reason})`,
      ]),
      needsSidecar: true,
    },
  };
}

export interface Original {
  path: string;
  info: FileInfo;
  /** Closes our read handle (before the rename: Windows refuses otherwise). */
  release: () => void;
}

interface ReplaceJob {
  original: Original;
  file: OpenFile;
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
export function eoiScanner(): TailScanner {
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
export async function endsWithEoi(
  file: OpenFile,
  size: number,
): Promise<boolean> {
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
  let temp: OpenFile | undefined;
  try {
    temp = await localFiles.open(tempPath, {
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
    await file.seek(tailOffset, SEEK_START);
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
    const check = await localFiles.open(tempPath, { read: true });
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
      await check.seek(0, SEEK_START);
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
    const now = await localFiles.stat(original.path);
    if (
      now.size !== original.info.size ||
      now.mtime?.getTime() !== original.info.mtime?.getTime()
    ) {
      throw new Error("the file changed while metadata was being written");
    }
    if (!IS_WINDOWS && original.info.mode !== null) {
      await localFiles.chmod(tempPath, original.info.mode & 0o7777);
    }
    const mtime = job.mtime ?? original.info.mtime;
    if (mtime) {
      await localFiles.utime(
        tempPath,
        job.mtime ?? original.info.atime ?? mtime,
        mtime,
      );
    }
    original.release();
    await localFiles.rename(tempPath, original.path);
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
export function skipped(
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
export async function replaceOrSkip(
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
 * Fsyncs the folder of a file just renamed into place. The new file is
 * already there: a failed folder fsync cannot be undone and must not be
 * reported as "left untouched", so it is ignored here (the one place that
 * knows how to fsync a folder is platform/fs.ts).
 */
export async function syncDirBestEffort(dir: string): Promise<void> {
  await fsyncDir(dir).catch(() => undefined);
}
