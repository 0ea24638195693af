/**
 * Opening the state of a backup that must already exist (status, verify),
 * with the message that tells a wrong folder from one not backed up yet.
 *
 * @module
 */

import { type FileInfo, localFiles } from "../platform/local_files.ts";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { exists } from "../platform/fs.ts";
import { StateReader } from "../state/state_reader.ts";
import { STATE_FILE } from "../state/state_store.ts";
import { TOKENS_FILE } from "./tokens_file.ts";

/**
 * Refuses a `--dir` that does not exist or is not a folder (exit 2), with
 * the fix, before anything is opened or locked there.
 */
export async function requireBackupFolder(dir: string): Promise<void> {
  let info: FileInfo;
  try {
    info = await localFiles.stat(dir);
  } catch {
    throw new UsageError(
      `No backup in "${dir}": the folder does not exist (choose the backup folder with --dir or FLICKR_BACKUP_DIR)`,
    );
  }
  if (!info.isDirectory) {
    throw new UsageError(
      `No backup in "${dir}": it is a file, not a folder (choose the backup folder with --dir or FLICKR_BACKUP_DIR)`,
    );
  }
}

/**
 * Opens the state of an existing backup read-only.
 *
 * @throws {UsageError} (exit 2) when `dir` holds no backup: a wrong `--dir`
 * must not look like an empty, healthy backup to a script.
 * @throws {LocalFatalError} (exit 7) when the state file is damaged.
 */
export async function openExistingState(dir: string): Promise<StateReader> {
  await requireBackupFolder(dir);
  const path = join(dir, STATE_FILE);
  if (!(await exists(path))) {
    const signedIn = await exists(join(dir, TOKENS_FILE));
    throw new UsageError(
      `No backup in "${dir}" yet: run ${
        signedIn ? "" : `"flickr-backup login --dir ${dir}", then `
      }"flickr-backup backup --dir ${dir}"`,
    );
  }
  return StateReader.open(path);
}
