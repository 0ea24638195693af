/**
 * The backup use case the CLI calls: the real parts composed (compose.ts)
 * and one run over the whole account (backup_run.ts).
 *
 * @module
 */

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
