/**
 * Small file-system helpers with the durability and safety rules of
 * RELIABILITY §0: temp file in the same directory, fsync, close, rename,
 * fsync the directory; local failures become {@link LocalFatalError} with the
 * path and the fix.
 *
 * @module
 */

import * as path from "node:path";
import { LocalFatalError } from "../errors.ts";
import { smallFileFsync } from "./fsync_pace.ts";

const IS_WINDOWS = Deno.build.os === "windows";

/** Bytes kept from a file name when a temp name is derived from it. */
const TEMP_BASE_MAX_BYTES = 200;

/** Suffix of our atomic-write temp files (`.<name>.<rand>.fbtmp`). */
export const TEMP_SUFFIX = ".fbtmp";

/** Options of {@link atomicWriteFile}. */
export interface AtomicWriteOptions {
  /** File mode for the new file (POSIX only; ignored on Windows). */
  mode?: number;
  /**
   * Fsync the directory after the rename (default true). False: the caller
   * does it, once for several files it writes there.
   */
  syncDir?: boolean;
  /** Access and modification time of the new file (set before the fsync). */
  mtime?: Date;
}

/**
 * Writes `data` to `filePath` atomically: a temp file `.<name>.<rand>.fbtmp`
 * in the same directory is created (never reusing an existing one), written,
 * fsynced, closed and renamed over `filePath`; then the directory is fsynced.
 * Readers see the old content or the new one, never a mix.
 *
 * @param filePath Final path; its directory must exist.
 * @param data Bytes, or a string written as UTF-8.
 * @param options `mode` applies to the new file on POSIX only.
 * @throws {LocalFatalError} disk full, read-only or permission problems.
 */
export async function atomicWriteFile(
  filePath: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const dir = path.dirname(filePath);
  const tmp = tempPathFor(filePath);
  let file: Deno.FsFile | undefined;
  try {
    // Only the fsync waits on the disk (and only where the disk is slow:
    // fsync_pace.ts); the other calls are quick and made synchronously: an
    // async file call costs a thread hand-off (tens of µs of CPU) that a
    // sync one does not.
    // deno-lint-ignore no-sync-fn-in-async-fn
    file = Deno.openSync(tmp, {
      write: true,
      createNew: true,
      ...(options.mode !== undefined && !IS_WINDOWS
        ? { mode: options.mode }
        : {}),
    });
    writeAllSync(file, bytes);
    if (options.mtime) file.utimeSync(options.mtime, options.mtime);
    await smallFileFsync.sync(file);
    file.close();
    file = undefined;
    // Close before rename: Windows refuses to rename an open file.
    // deno-lint-ignore no-sync-fn-in-async-fn
    Deno.renameSync(tmp, filePath);
  } catch (err) {
    closeQuietly(file);
    await removeQuietly(tmp);
    throw classifyFsError(err, filePath);
  }
  if (options.syncDir !== false) await fsyncDir(dir);
}

/**
 * Fsyncs a directory so a rename or create inside it survives power loss.
 * Does nothing on Windows; ignores file systems that cannot fsync a directory
 * (EINVAL, ENOTSUP).
 *
 * @throws {LocalFatalError} for disk-full or permission problems.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (IS_WINDOWS) return;
  let file: Deno.FsFile | undefined;
  try {
    // Opening is quick (no disk wait): made synchronously, like the file
    // calls of atomicWriteFile; only the fsync is awaited.
    // deno-lint-ignore no-sync-fn-in-async-fn
    file = Deno.openSync(dir, { read: true });
    await file.sync();
  } catch (err) {
    const code = errorCode(err);
    // Some network and FUSE file systems cannot fsync a directory (borg
    // sync_dir ignores EINVAL too); that is not a reason to stop the run.
    if (
      code === "EINVAL" || code === "ENOTSUP" || code === "EOPNOTSUPP" ||
      err instanceof Deno.errors.NotSupported
    ) {
      return;
    }
    throw classifyFsError(err, dir);
  } finally {
    closeQuietly(file);
  }
}

/**
 * Whether anything is at `path`: a file, a folder, or a link (even a broken
 * one: links are not followed). Any error reads as "nothing there".
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reports whether `candidate` is strictly below `root` once both are resolved
 * lexically (`..` segments collapsed; symlinks are not followed). The root
 * itself is not "inside".
 */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(candidate));
  if (rel === "" || path.isAbsolute(rel)) return false;
  return rel !== ".." && !rel.startsWith(".." + path.sep) &&
    !rel.startsWith("../");
}

/** How {@link linkOrCopy} placed the file. */
export type LinkOutcome = "hardlink" | "copy" | "symlink" | "unchanged";

/**
 * Places `src` at `dest` as a hard link, a copy or a relative symlink.
 *
 * - `hardlink` falls back to a copy when the file system refuses (EXDEV,
 *   EPERM, EMLINK, not supported); `symlink` falls back to a copy when
 *   symlinks are not allowed (e.g. Windows without the privilege). The result
 *   says what was done.
 * - If `dest` already is the same file (same inode, the same symlink target,
 *   or the same bytes) nothing is touched and `"unchanged"` is returned.
 * - Otherwise `dest` is replaced atomically (temp name + rename), never
 *   written in place, and its folder is fsynced unless `syncDir` is false
 *   (the caller does it, once for several files placed there). A hard link
 *   to a name not yet taken is made there at once (link(2) creates the name
 *   whole or fails): one call where the general path makes four.
 *
 * @throws {LocalFatalError} disk full, read-only or permission problems.
 */
export async function linkOrCopy(
  src: string,
  dest: string,
  mode: "hardlink" | "copy" | "symlink",
  options: { syncDir?: boolean } = {},
): Promise<LinkOutcome> {
  // Name operations are quick and made synchronously (see atomicWriteFile).
  if (mode === "hardlink" && linkIfFree(src, dest)) {
    if (options.syncDir !== false) await fsyncDir(path.dirname(dest));
    return "hardlink";
  }
  const srcInfo = statOrThrow(src);
  const linkTarget = path.relative(path.dirname(dest), src);
  const existing = lstatOrUndefined(dest);
  if (existing !== undefined) {
    if (await isSameFile(src, srcInfo, dest, existing, linkTarget)) {
      return "unchanged";
    }
  }

  const tmp = tempPathFor(dest);
  let outcome: LinkOutcome;
  try {
    if (mode === "hardlink") {
      try {
        // deno-lint-ignore no-sync-fn-in-async-fn
        Deno.linkSync(src, tmp);
        outcome = "hardlink";
      } catch (err) {
        if (!isLinkUnsupported(err)) throw err;
        await copyToTemp(src, tmp);
        outcome = "copy";
      }
    } else if (mode === "symlink") {
      try {
        // deno-lint-ignore no-sync-fn-in-async-fn
        Deno.symlinkSync(linkTarget, tmp, { type: "file" });
        outcome = "symlink";
      } catch (err) {
        if (!isLinkUnsupported(err)) throw err;
        await copyToTemp(src, tmp);
        outcome = "copy";
      }
    } else {
      await copyToTemp(src, tmp);
      outcome = "copy";
    }
    // deno-lint-ignore no-sync-fn-in-async-fn
    Deno.renameSync(tmp, dest);
  } catch (err) {
    await removeQuietly(tmp);
    throw classifyFsError(err, dest);
  }
  // rename(2) is a no-op when tmp and dest are already the same inode; make
  // sure no temp name is left behind then. Only a dest that was there can
  // be that inode (one this run's lock keeps anyone else from placing).
  if (existing !== undefined) removeQuietlySync(tmp);
  if (options.syncDir !== false) await fsyncDir(path.dirname(dest));
  return outcome;
}

/**
 * Maps a local file-system error to a {@link LocalFatalError} that names the
 * path and the fix: disk full (ENOSPC, EDQUOT), read-only file system
 * (EROFS), permissions (EACCES, EPERM, `PermissionDenied`), a write this
 * program was not granted (`NotCapable`) and a system location Deno keeps
 * from every program without --allow-all (`NotCapable` under /dev, /proc and
 * /sys). Any other error is returned unchanged, so callers write
 * `throw classifyFsError(err, path)`.
 *
 * @param err The caught error.
 * @param filePath The path that was being written or created.
 * @returns A LocalFatalError, or `err` itself when it is not one of these.
 */
export function classifyFsError(err: unknown, filePath: string): unknown {
  if (err instanceof LocalFatalError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const options = { cause: err };
  if (
    code === "ENOSPC" || code === "EDQUOT" || /\(os error 28\)/.test(message)
  ) {
    return new LocalFatalError(
      `Disk full: cannot write "${filePath}"; free space on "${
        path.dirname(filePath)
      }" and run again`,
      options,
    );
  }
  if (code === "EROFS" || /\(os error 30\)/.test(message)) {
    return new LocalFatalError(
      `Cannot write to "${filePath}": the file system is read-only; check permissions or choose another folder`,
      options,
    );
  }
  if (
    err instanceof Deno.errors.NotCapable && /Requires all access/.test(message)
  ) {
    // Deno refuses any program short of --allow-all under /dev, /proc and
    // /sys (e.g. a backup folder in /dev/shm), whatever --allow-write says.
    return new LocalFatalError(
      `Cannot write to "${filePath}": this is a system location (under /dev, /proc or /sys) where flickr-backup may not write; choose a backup folder elsewhere (a RAM disk mounted outside /dev works)`,
      options,
    );
  }
  if (err instanceof Deno.errors.NotCapable) {
    return new LocalFatalError(
      `Cannot write to "${filePath}": this program was not granted access there (--allow-write); check permissions`,
      options,
    );
  }
  if (
    code === "EACCES" || code === "EPERM" ||
    err instanceof Deno.errors.PermissionDenied
  ) {
    return new LocalFatalError(
      `Cannot write to "${filePath}": check permissions`,
      options,
    );
  }
  return err;
}

/** The POSIX error code (`ENOSPC`, ...) Deno attaches to I/O errors. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A temp path next to `filePath`: `.<name>.<8 hex>.fbtmp`, with the name cut
 * to at most 200 UTF-8 bytes so the result stays under NAME_MAX.
 */
export function tempPathFor(filePath: string): string {
  const base = truncateUtf8(path.basename(filePath), TEMP_BASE_MAX_BYTES);
  return path.join(
    path.dirname(filePath),
    `.${base}.${randomHex(4)}${TEMP_SUFFIX}`,
  );
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a code
 * point.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short names need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let bytes = 0;
  let out = "";
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}

/** Writes every byte of `data`, looping over short writes. */
export async function writeAll(
  file: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    offset += await file.write(data.subarray(offset));
  }
}

/** {@link readFull}, synchronously. */
export function readFullSync(
  file: { readSync(p: Uint8Array): number | null },
  buf: Uint8Array,
): number {
  let filled = 0;
  while (filled < buf.length) {
    const n = file.readSync(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

/** Writes every byte of `data` synchronously, looping over short writes. */
export function writeAllSync(
  file: { writeSync(p: Uint8Array): number },
  data: Uint8Array,
): void {
  let offset = 0;
  while (offset < data.length) {
    offset += file.writeSync(data.subarray(offset));
  }
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buf) out += (b < 16 ? "0" : "") + b.toString(16);
  return out;
}

function closeQuietly(file: Deno.FsFile | undefined): void {
  try {
    file?.close();
  } catch {
    // Already closed; nothing to release.
  }
}

/** Removes a file, ignoring every error (it may never have been created). */
export async function removeQuietly(filePath: string): Promise<void> {
  try {
    await Deno.remove(filePath);
  } catch {
    // Best effort: the temp file may never have been created.
  }
}

function removeQuietlySync(filePath: string): void {
  try {
    Deno.removeSync(filePath);
  } catch {
    // Gone already: the usual case.
  }
}

/**
 * Hard-links `src` at `dest` when nothing is there yet. False on any
 * failure (a name taken, links refused, a missing source): the general path
 * of {@link linkOrCopy} then looks and reports.
 */
function linkIfFree(src: string, dest: string): boolean {
  try {
    Deno.linkSync(src, dest);
    return true;
  } catch {
    return false;
  }
}

function statOrThrow(filePath: string): Deno.FileInfo {
  try {
    return Deno.statSync(filePath);
  } catch (err) {
    throw classifyFsError(err, filePath);
  }
}

function lstatOrUndefined(
  filePath: string,
): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(filePath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw classifyFsError(err, filePath);
  }
}

async function isSameFile(
  src: string,
  srcInfo: Deno.FileInfo,
  dest: string,
  destInfo: Deno.FileInfo,
  linkTarget: string,
): Promise<boolean> {
  if (destInfo.isSymlink) {
    try {
      const target = await Deno.readLink(dest);
      if (
        target === linkTarget || path.resolve(path.dirname(dest), target) ===
          path.resolve(src)
      ) {
        return true;
      }
    } catch {
      return false;
    }
    return false;
  }
  if (!destInfo.isFile) return false;
  if (
    srcInfo.ino !== null && destInfo.ino !== null &&
    srcInfo.ino === destInfo.ino && srcInfo.dev === destInfo.dev
  ) {
    return true;
  }
  if (srcInfo.size !== destInfo.size) return false;
  return await sameBytes(src, dest);
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  using fa = await Deno.open(a, { read: true });
  using fb = await Deno.open(b, { read: true });
  const bufA = new Uint8Array(64 * 1024);
  const bufB = new Uint8Array(64 * 1024);
  while (true) {
    const na = await readFull(fa, bufA);
    const nb = await readFull(fb, bufB);
    if (na !== nb) return false;
    if (na === 0) return true;
    for (let i = 0; i < na; i++) {
      if (bufA[i] !== bufB[i]) return false;
    }
  }
}

/** Reads until `buf` is full or the file ends; returns the count. */
export async function readFull(
  file: { read(p: Uint8Array): Promise<number | null> },
  buf: Uint8Array,
): Promise<number> {
  let filled = 0;
  while (filled < buf.length) {
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

async function copyToTemp(src: string, tmp: string): Promise<void> {
  await Deno.copyFile(src, tmp);
  const file = await Deno.open(tmp, { read: true, write: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}

function isLinkUnsupported(err: unknown): boolean {
  const code = errorCode(err);
  return code === "EXDEV" || code === "EPERM" || code === "EMLINK" ||
    code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS" ||
    err instanceof Deno.errors.NotSupported ||
    // Windows without the symlink privilege reports ERROR_PRIVILEGE_NOT_HELD.
    (IS_WINDOWS && err instanceof Deno.errors.PermissionDenied);
}
