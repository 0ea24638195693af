/**
 * Partial downloads on disk: the `.<name>.fbpart` file, its resume data in
 * `.<name>.fbpart.json`, local file operations that never retry, and the
 * sweep of leftovers.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import * as path from "node:path";
import { AppError, LocalFatalError } from "../errors.ts";
import {
  classifyFsError,
  readFull,
  TEMP_SUFFIX,
  truncateUtf8,
} from "../platform/fs.ts";
import { isStrongEtag } from "./_http_headers.ts";
import { AttemptError, errorMessage } from "./_attempt_error.ts";

/** Suffix of a partial download (`.<name>.fbpart`). */
export const PART_SUFFIX = ".fbpart";
/** Suffix of a partial download's resume data (`.<name>.fbpart.json`). */
export const PART_META_SUFFIX = ".fbpart.json";
/** Longest part-file base name kept verbatim (NAME_MAX is 255 bytes). */
const PART_BASE_MAX_BYTES = 200;
const HASH_READ_CHUNK = 1024 * 1024;
/** Paths of the part file and its resume data for a target. */
export interface PartPaths {
  part: string;
  meta: string;
}

/**
 * Names the part file of `dest`: `.<basename>.fbpart` in the same directory,
 * deterministic so a rerun finds it. A base name over 200 bytes is cut on a
 * UTF-8 boundary and tagged with a hash of the full name, so the part and
 * its `.json` stay under 255 bytes and distinct targets never share a part.
 */
export function partPathsFor(dest: string): PartPaths {
  const dir = path.dirname(dest);
  let base = path.basename(dest);
  if (new TextEncoder().encode(base).length > PART_BASE_MAX_BYTES) {
    const digest = createHash("sha256").update(base).digest("hex").slice(0, 8);
    base = `${truncateUtf8(base, PART_BASE_MAX_BYTES - 10)}~${digest}`;
  }
  const part = path.join(dir, `.${base}${PART_SUFFIX}`);
  return { part, meta: part + ".json" };
}
/** What the part file holds: `hash` covers exactly bytes [0, offset). */
export interface PartState {
  offset: number;
  hash: Hash;
  /** Strong ETag of the entity in the part; undefined: not resumable. */
  etag: string | undefined;
  /** Full size of that entity, when known. */
  total: number | undefined;
  /** Bytes in the part came from before this attempt. */
  carried: boolean;
  /** The resume data file may exist. */
  metaOnDisk: boolean;
}

interface PartMeta {
  version: 1;
  url: string;
  etag: string;
  size: number | null;
}
export function isResumable(state: PartState): boolean {
  return state.etag !== undefined && state.offset > 0;
}
// ---------------------------------------------------------------------------
// Part file and resume data

/** The state of a download with nothing on disk yet. */
export function newPartState(): PartState {
  return {
    offset: 0,
    hash: createHash("sha256"),
    etag: undefined,
    total: undefined,
    carried: false,
    metaOnDisk: false,
  };
}

export async function loadPart(
  paths: PartPaths,
  safeUrl: string,
  signal: AbortSignal | undefined,
): Promise<PartState> {
  const state = newPartState();
  let size: number | undefined;
  try {
    const info = await Deno.stat(paths.part);
    size = info.isFile ? info.size : undefined;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw classifyFsError(err, paths.part);
    }
    // No part (the usual case): only resume data may be left over.
    await removeFile(paths.meta);
    return state;
  }
  const meta = await readMeta(paths.meta);
  const usable = meta !== undefined && size !== undefined && size > 0 &&
    meta.url === safeUrl && isStrongEtag(meta.etag) &&
    (meta.size === null || size <= meta.size);
  if (!usable || size === undefined || meta === undefined) {
    await removePart(paths);
    return state;
  }
  // A part already as long as the file was killed before its rename: fetch
  // the last byte again, so the server confirms (If-Range) it is unchanged.
  const offset = meta.size !== null && size === meta.size ? size - 1 : size;
  if (offset <= 0) {
    await removePart(paths);
    return state;
  }
  await local(paths.part, async () => {
    using file = await Deno.open(paths.part, { read: true });
    const buf = new Uint8Array(HASH_READ_CHUNK);
    let remaining = offset;
    while (remaining > 0) {
      signal?.throwIfAborted();
      const n = await readFull(
        file,
        buf.subarray(0, Math.min(buf.length, remaining)),
      );
      if (n === 0) break;
      state.hash.update(buf.subarray(0, n));
      remaining -= n;
    }
    if (remaining > 0) throw new Error("the partial file shrank while read");
  });
  state.offset = offset;
  state.etag = meta.etag;
  state.total = meta.size ?? undefined;
  state.carried = true;
  state.metaOnDisk = true;
  return state;
}

async function readMeta(metaPath: string): Promise<PartMeta | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(metaPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw classifyFsError(err, metaPath);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const r = parsed as Record<string, unknown>;
    if (
      r.version !== 1 || typeof r.url !== "string" ||
      typeof r.etag !== "string" ||
      !(r.size === null || (typeof r.size === "number" &&
        Number.isSafeInteger(r.size) && r.size >= 0))
    ) {
      return undefined;
    }
    return { version: 1, url: r.url, etag: r.etag, size: r.size };
  } catch {
    // A torn write (kill -9 mid-write) just means: start again from 0.
    return undefined;
  }
}

export async function writeMeta(
  paths: PartPaths,
  meta: PartMeta,
): Promise<void> {
  // Not fsynced or atomic on purpose: a lost or torn file only costs a
  // restart from byte 0, and this runs once per download.
  await local(
    paths.meta,
    () => Deno.writeTextFile(paths.meta, JSON.stringify(meta) + "\n"),
  );
}

export async function resetPart(
  state: PartState,
  paths: PartPaths,
): Promise<void> {
  if (state.metaOnDisk || state.offset > 0 || state.etag !== undefined) {
    await removeFile(paths.meta);
  }
  state.metaOnDisk = false;
  state.offset = 0;
  state.hash = createHash("sha256");
  state.etag = undefined;
  state.total = undefined;
  state.carried = false;
}

export async function removePart(paths: PartPaths): Promise<void> {
  await removeFile(paths.part);
  await removeFile(paths.meta);
}

export async function removeFile(filePath: string): Promise<void> {
  try {
    await Deno.remove(filePath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw classifyFsError(err, filePath);
  }
}

export async function readHead(
  filePath: string,
  bytes: number,
): Promise<Uint8Array> {
  return await local(filePath, async () => {
    using file = await Deno.open(filePath, { read: true });
    const buf = new Uint8Array(bytes);
    const n = await readFull(file, buf);
    return buf.subarray(0, n);
  });
}

export async function readTail(
  filePath: string,
  size: number,
  bytes: number,
): Promise<Uint8Array> {
  return await local(filePath, async () => {
    using file = await Deno.open(filePath, { read: true });
    const start = Math.max(0, size - bytes);
    await file.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    const n = await readFull(file, buf);
    return buf.subarray(0, n);
  });
}

/**
 * Runs a local file operation; any failure becomes a LocalFatalError naming
 * the path (never retried: a full disk does not empty itself).
 */
export async function local<T>(
  filePath: string,
  op: () => Promise<T>,
): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof AttemptError || err instanceof AppError) throw err;
    const classified = classifyFsError(err, filePath);
    if (classified instanceof LocalFatalError) throw classified;
    throw new LocalFatalError(
      `Cannot write "${filePath}": ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

// ---------------------------------------------------------------------------
// Sweeping leftovers

/** Options of {@link sweepTempFiles}. */
export interface SweepOptions {
  /**
   * Also remove resumable partial downloads (a `.fbpart` with valid resume
   * data). By default they are kept so the next download resumes them.
   */
  includeResumable?: boolean;
}

/**
 * Removes this program's leftovers under `dir` (recursively, not following
 * symlinks): `.*.fbtmp` temp files, `.*.fbpart` files that cannot be resumed,
 * and `.*.fbpart.json` files without their part. Nothing else is touched.
 * Call it only while holding the run lock: a running download owns its part.
 *
 * @returns The removed paths.
 */
export async function sweepTempFiles(
  dir: string,
  options: SweepOptions = {},
): Promise<string[]> {
  const removed: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === undefined) break;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(current));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw classifyFsError(err, current);
    }
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory && !entry.isSymlink) {
        pending.push(full);
        continue;
      }
      if (!entry.isFile || !entry.name.startsWith(".")) continue;
      if (entry.name.endsWith(TEMP_SUFFIX)) {
        await removeFile(full);
        removed.push(full);
      } else if (entry.name.endsWith(PART_SUFFIX)) {
        const metaPath = full + ".json";
        const meta = options.includeResumable
          ? undefined
          : await readMeta(metaPath);
        if (meta !== undefined && isStrongEtag(meta.etag)) continue;
        await removeFile(full);
        removed.push(full);
        if (names.has(entry.name + ".json")) {
          await removeFile(metaPath);
          removed.push(metaPath);
        }
      } else if (entry.name.endsWith(PART_META_SUFFIX)) {
        const partName = entry.name.slice(0, -".json".length);
        if (!names.has(partName)) {
          await removeFile(full);
          removed.push(full);
        }
      }
    }
  }
  return removed.sort();
}
/** A disk-full error that also says how much more this file needs. */
export function withRoomNeeded(err: unknown, bytes: number): unknown {
  if (!(err instanceof LocalFatalError) || !/^Disk full/.test(err.message)) {
    return err;
  }
  if (bytes <= 0) return err;
  const mb = Math.max(1, Math.ceil(bytes / 1024 / 1024));
  return new LocalFatalError(
    err.message.replace(
      / and run again$/,
      ` (at least ${mb} MB more for this file) and run again`,
    ),
    { cause: err.cause },
  );
}
