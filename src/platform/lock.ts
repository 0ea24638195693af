/**
 * The run lock: one flickr-backup run per backup folder. It is a kernel
 * advisory lock (`flock` on POSIX, `LockFileEx` on Windows) taken with
 * `Deno.FsFile.tryLock`, so the kernel releases it when the process dies,
 * even on `kill -9`; there is no stale-lock detection to get wrong.
 *
 * @module
 */

import * as path from "node:path";
import { LockedError } from "../errors.ts";
import { type Clock, systemClock } from "./clock.ts";
import { classifyFsError } from "./fs.ts";
import { refuseLink, UnsafePathError } from "./safe_path.ts";

/** Name of the lock file inside the backup folder. */
export const LOCK_FILE_NAME = ".flickr_backup.lock";

/** What the holder writes into the lock file, for the other run's message. */
export interface LockInfo {
  pid: number;
  hostname?: string;
  startedAt: string;
}

/** A held run lock. Release it, or let `await using` do it. */
export interface Lock extends AsyncDisposable {
  /** Path of the lock file. */
  readonly path: string;
  /** Releases the lock; safe to call more than once. */
  release(): Promise<void>;
}

/** Options of {@link acquireLock}. */
export interface AcquireLockOptions {
  /** Source of the `startedAt` time; defaults to the system clock. */
  clock?: Clock;
}

/**
 * Takes the exclusive run lock of `dir` without waiting.
 *
 * The lock file `<dir>/.flickr_backup.lock` is kept after release: deleting a
 * flock file would let two runs lock two different inodes.
 *
 * @param dir The backup folder; it must exist.
 * @throws {LockedError} when another process holds the lock.
 * @throws {LocalFatalError} when the lock file cannot be created.
 */
export async function acquireLock(
  dir: string,
  options: AcquireLockOptions = {},
): Promise<Lock> {
  const clock = options.clock ?? systemClock;
  const lockPath = path.join(dir, LOCK_FILE_NAME);
  // A link (or FIFO) planted at the lock's name is refused, never followed:
  // truncating it would damage the file it points to.
  await refuseLink(lockPath, "file");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPath, { read: true, write: true, create: true });
  } catch (err) {
    throw classifyFsError(err, lockPath);
  }
  try {
    // Swapped for a link between the check and the open: refuse too.
    const [opened, named] = [await file.stat(), await Deno.lstat(lockPath)];
    if (
      !opened.isFile || named.isSymlink || opened.ino !== named.ino ||
      opened.dev !== named.dev
    ) {
      throw new UnsafePathError(
        `"${lockPath}" changed while it was opened (a symbolic link?); run again`,
      );
    }
  } catch (err) {
    file.close();
    throw classifyFsError(err, lockPath);
  }

  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (err) {
    file.close();
    throw classifyFsError(err, lockPath);
  }
  if (!locked) {
    const holder = await readHolder(file);
    file.close();
    throw new LockedError(
      `Another flickr-backup run (${
        describeHolder(holder)
      }) is using "${dir}"; wait for it to finish or stop it`,
    );
  }

  try {
    const info: LockInfo = {
      pid: Deno.pid,
      ...(await hostnameIfAllowed()),
      startedAt: new Date(clock.now()).toISOString(),
    };
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    const bytes = new TextEncoder().encode(JSON.stringify(info) + "\n");
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
  } catch (err) {
    await file.unlock().catch(() => {});
    file.close();
    throw classifyFsError(err, lockPath);
  }

  let released = false;
  async function release(): Promise<void> {
    if (released) return;
    released = true;
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  }
  return { path: lockPath, release, [Symbol.asyncDispose]: release };
}

async function readHolder(file: Deno.FsFile): Promise<Partial<LockInfo>> {
  try {
    await file.seek(0, Deno.SeekMode.Start);
    const buf = new Uint8Array(4096);
    let filled = 0;
    while (filled < buf.length) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    const parsed: unknown = JSON.parse(
      new TextDecoder().decode(buf.subarray(0, filled)),
    );
    if (typeof parsed !== "object" || parsed === null) return {};
    const record = parsed as Record<string, unknown>;
    return {
      ...(typeof record.pid === "number" ? { pid: record.pid } : {}),
      ...(typeof record.hostname === "string"
        ? { hostname: record.hostname }
        : {}),
      ...(typeof record.startedAt === "string"
        ? { startedAt: record.startedAt }
        : {}),
    };
  } catch {
    // The holder may not have written its details yet (or, on Windows, the
    // locked range cannot be read): the message then says "unknown".
    return {};
  }
}

function describeHolder(holder: Partial<LockInfo>): string {
  const pid = holder.pid !== undefined ? `pid ${holder.pid}` : "pid unknown";
  const host = holder.hostname !== undefined
    ? ` on host "${holder.hostname}"`
    : "";
  const started = holder.startedAt !== undefined
    ? `, started ${holder.startedAt}`
    : "";
  return `${pid}${host}${started}`;
}

async function hostnameIfAllowed(): Promise<{ hostname?: string }> {
  try {
    // Query first: calling Deno.hostname() without the permission would
    // prompt on a terminal under `deno run`.
    const status = await Deno.permissions.query({
      name: "sys",
      kind: "hostname",
    });
    if (status.state !== "granted") return {};
    return { hostname: Deno.hostname() };
  } catch {
    return {};
  }
}
