/**
 * The backup folder around an import, as `backup` keeps it: the same
 * folder check, lock and log naming (app/backup_folder.ts), swept of a
 * killed run's temporaries, old logs pruned.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";
import { openRunFolder, type RunFolder } from "../app/backup_folder.ts";

/** An import's hold on the backup folder: the one a backup run takes. */
export type ImportFolder = RunFolder;

/**
 * Makes the folder, proves it writable, takes the lock, picks the log file
 * name and sweeps leftovers. Dispose to prune old logs and release the lock.
 */
export function openImportFolder(
  dir: string,
  clock: Clock,
): Promise<ImportFolder> {
  return openRunFolder(dir, clock);
}
