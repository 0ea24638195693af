/**
 * The backup folder around an import, as `backup` keeps it: the same
 * folder check, lock and log naming (app/backup_folder.ts), swept of a
 * killed run's temporaries, old logs pruned, and the same file operations
 * (app/compose.ts).
 *
 * @module
 */

import { join } from "node:path";
import type { Clock } from "../platform/clock.ts";
import { atomicWriteFile } from "../platform/fs.ts";
import { sweepTempFiles } from "../download/file_download.ts";
import { openBackupFolder, pruneLogs } from "../app/backup_folder.ts";
import { realFiles } from "../app/compose.ts";
import type { ImportDeps } from "./import_run.ts";

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
 * Makes the folder, proves it writable, takes the lock, picks the log file
 * name and sweeps leftovers. Dispose to prune old logs and release the lock.
 */
export async function openImportFolder(
  dir: string,
  clock: Clock,
): Promise<ImportFolder> {
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

/** The file operations of an import: the ones `backup` uses. */
export function importFiles(): ImportDeps["files"] {
  return realFiles();
}
