/**
 * The backup use case the CLI calls: the real parts composed (compose.ts)
 * and one run over the whole account (backup_run.ts). Also the sweep of a
 * killed run's leftovers, done under the lock before anything else.
 *
 * @module
 */

import { sweepTempFiles } from "../download/file_download.ts";
import { composeBackup, type ComposeBackupInput } from "./compose.ts";
import { runBackup } from "./backup_run.ts";
import type { BackupOptions, BackupSummary } from "./backup_ports.ts";

/** What one backup of an account needs besides the real parts. */
export type BackupAccountInput =
  & ComposeBackupInput
  & Omit<BackupOptions, "signal">;

/** Backs up the whole account into `input.root` with the real parts. */
export async function backupAccount(
  input: BackupAccountInput,
): Promise<BackupSummary> {
  return await runBackup(composeBackup(input), input);
}

/** Removes temporary files a killed run left; returns how many. */
export async function sweepLeftovers(dir: string): Promise<number> {
  return (await sweepTempFiles(dir)).length;
}
