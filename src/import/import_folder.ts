/**
 * The backup folder around an import, as `backup` keeps it: proved
 * writable, locked (never two runs at once), swept of a killed run's
 * temporaries, one log file per run (same names and retention as
 * `backup`), and the file operations the import uses.
 *
 * @module
 */

import { join } from "node:path";
import { AppError, LocalFatalError } from "../errors.ts";
import type { Clock } from "../platform/clock.ts";
import { acquireLock } from "../platform/lock.ts";
import {
  atomicWriteFile,
  classifyFsError,
  linkOrCopy,
} from "../platform/fs.ts";
import { sweepTempFiles } from "../download/file_download.ts";
import { embedMetadata, setFileTimes } from "../metadata/embed.ts";
import { dateResolutionToLocalDate } from "../metadata/fields.ts";
import { albumFolderNames } from "../app/folder_names.ts";
import type { ImportDeps } from "./import_run.ts";

/** How many per-run log files are kept (as `backup`). */
export const KEPT_LOGS = 30;

/** An import's hold on the backup folder. */
export interface ImportFolder extends AsyncDisposable {
  /** Path of this run's log file (not created yet). */
  logPath: string;
  /** Leftover temporary files of a killed run that were removed. */
  swept: number;
  /** Writes `last_run.json` (the summary and the log's path), atomically. */
  writeLastRun(summary: unknown): Promise<void>;
}

/**
 * Makes the folder, proves it writable, takes the lock, sweeps leftovers
 * and picks the log file name. Dispose to release the lock and prune old
 * logs.
 */
export async function openImportFolder(
  dir: string,
  clock: Clock,
): Promise<ImportFolder> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test.${crypto.randomUUID()}.fbtmp`);
    await Deno.writeTextFile(probe, "ok");
    await Deno.remove(probe);
  } catch (error) {
    const classified = classifyFsError(error, dir);
    if (classified instanceof AppError) throw classified;
    throw new LocalFatalError(
      `Cannot write to the backup folder "${dir}": ${
        (error as Error).message
      }. Check that it exists, is writable, and is on a mounted disk`,
      { cause: error },
    );
  }
  const lock = await acquireLock(dir, { clock });
  try {
    const swept = await sweepTempFiles(dir);
    const name = logFileName(new Date(clock.now()));
    let logPath = join(dir, name);
    for (let n = 2; await exists(logPath); n++) {
      logPath = join(dir, name.replace(/\.log$/, `_${n}.log`));
    }
    return {
      logPath,
      swept: swept.length,
      writeLastRun: (summary) =>
        atomicWriteFile(
          join(dir, "last_run.json"),
          JSON.stringify({ ...summary as object, logFile: logPath }, null, 2) +
            "\n",
        ),
      async [Symbol.asyncDispose]() {
        await pruneLogs(dir, KEPT_LOGS).catch(() => undefined);
        await lock[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await lock[Symbol.asyncDispose]();
    throw error;
  }
}

/** The file operations of an import (as `backup` does them). */
export function importFiles(): ImportDeps["files"] {
  return {
    embedMetadata: async (path, meta) => {
      const result = await embedMetadata(path, meta);
      // The file's time is the date taken, as `backup` sets it.
      const taken = dateResolutionToLocalDate(result.date);
      if (taken) await setFileTimes(path, taken);
      const sidecar = result.sidecar;
      return {
        status: result.status,
        format: result.format,
        warnings: result.warnings,
        dateSource: result.dateSource,
        ...(result.date.xmpDate ? { dateValue: result.date.xmpDate } : {}),
        ...(sidecar && sidecar.status !== "skipped"
          ? { xmpSidecar: sidecar.path }
          : {}),
        ...(result.sha256 !== undefined && result.bytes !== undefined
          ? { written: { bytes: result.bytes, sha256: result.sha256 } }
          : {}),
      };
    },
    atomicWriteFile: (path, data) => atomicWriteFile(path, data),
    linkOrCopy: (source, dest, mode) => linkOrCopy(source, dest, mode),
    folderNames: (albums) => albumFolderNames(albums),
  };
}

/** `flickr_backup_YYYYMMDD_HHMMSS.log` for a local time (as `backup`). */
function logFileName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `flickr_backup_${date.getFullYear()}${pad(date.getMonth() + 1)}${
    pad(date.getDate())
  }_${pad(date.getHours())}${pad(date.getMinutes())}${
    pad(date.getSeconds())
  }.log`;
}

async function pruneLogs(dir: string, keep: number): Promise<void> {
  const logs: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (
      entry.isFile && /^flickr_backup_\d{8}_\d{6}(_\d+)?\.log$/.test(entry.name)
    ) {
      logs.push(entry.name);
    }
  }
  logs.sort();
  for (const name of logs.slice(0, Math.max(0, logs.length - keep))) {
    await Deno.remove(join(dir, name)).catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
