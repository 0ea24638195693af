/**
 * The backup folder of a run: made and proved writable, locked (never two
 * runs on one folder), swept of a killed run's temporaries, a fresh
 * timestamped log file name, `last_run.json`, and old logs pruned
 * afterwards.
 *
 * @module
 */

import { localFiles } from "../platform/local_files.ts";
import { join } from "node:path";
import { AppError, LocalFatalError } from "../errors.ts";
import { atomicWriteFile, classifyFsError, exists } from "../platform/fs.ts";
import { sweepTempFiles } from "../download/file_download.ts";
import { acquireLock, type Lock } from "../platform/lock.ts";
import type { Clock } from "../platform/clock.ts";

/** How many per-run log files are kept in the backup folder. */
export const KEPT_LOGS = 30;

/** `flickr_backup_YYYYMMDD_HHMMSS.log` for a local time. */
export function logFileName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `flickr_backup_${date.getFullYear()}${pad(date.getMonth() + 1)}${
    pad(date.getDate())
  }_${pad(date.getHours())}${pad(date.getMinutes())}${
    pad(date.getSeconds())
  }.log`;
}

/** Makes the folder and proves it is writable before any download. */
async function prepareFolder(dir: string): Promise<void> {
  try {
    await localFiles.mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test.${crypto.randomUUID()}.fbtmp`);
    await localFiles.writeTextFile(probe, "ok");
    await localFiles.remove(probe);
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
}

/** Removes the oldest per-run log files, keeping `keep`. */
export async function pruneLogs(
  dir: string,
  keep = KEPT_LOGS,
): Promise<void> {
  const logs: string[] = [];
  for await (const entry of localFiles.readDir(dir)) {
    if (
      entry.isFile && /^flickr_backup_\d{8}_\d{6}(_\d+)?\.log$/.test(entry.name)
    ) {
      logs.push(entry.name);
    }
  }
  logs.sort();
  for (const name of logs.slice(0, Math.max(0, logs.length - keep))) {
    await localFiles.remove(join(dir, name)).catch(() => undefined);
  }
}

/**
 * Makes and checks the folder, takes its lock, and names this run's log
 * file (`_2`, `_3`… when a run started in the same second).
 */
export async function openBackupFolder(
  dir: string,
  clock: Clock,
): Promise<{ lock: Lock; startedAt: Date; logPath: string }> {
  await prepareFolder(dir);
  const lock = await acquireLock(dir, { clock });
  try {
    const startedAt = new Date(clock.now());
    let logPath = join(dir, logFileName(startedAt));
    for (let n = 2; await exists(logPath); n++) {
      logPath = join(
        dir,
        logFileName(startedAt).replace(/\.log$/, `_${n}.log`),
      );
    }
    return { lock, startedAt, logPath };
  } catch (error) {
    await lock[Symbol.asyncDispose]();
    throw error;
  }
}

/** A run's hold on the backup folder (`backup` and `import`). */
export interface RunFolder extends AsyncDisposable {
  /** Path of this run's log file (not created yet). */
  logPath: string;
  /** Leftover temporary files of a killed run that were removed. */
  swept: number;
  /** Writes `last_run.json` (the summary and the log's path), atomically. */
  writeLastRun(summary: unknown): Promise<void>;
}

/**
 * Makes the folder, proves it writable, takes the lock, picks the log file
 * name and sweeps a killed run's leftovers (only our own patterns, only
 * under the lock). Dispose to prune old logs and release the lock.
 */
export async function openRunFolder(
  dir: string,
  clock: Clock,
): Promise<RunFolder> {
  const { lock, logPath } = await openBackupFolder(dir, clock);
  try {
    const swept = await sweepTempFiles(dir);
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
        await pruneLogs(dir).catch(() => undefined);
        await lock[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await lock[Symbol.asyncDispose]();
    throw error;
  }
}
