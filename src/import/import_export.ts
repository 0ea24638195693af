/**
 * The import use case the CLI calls: Flickr's data export into a backup
 * folder with the real parts (the file operations `backup` uses), like
 * app/backup_account.ts `backupAccount` for a backup.
 *
 * @module
 */

import { realFiles } from "../app/compose.ts";
import {
  type ImportDeps,
  type ImportOptions,
  type ImportSummary,
  runImport,
} from "./import_run.ts";

/** What {@link importExport} needs: the run's outside parts and options. */
export type ImportExportInput = Omit<ImportDeps, "files"> & ImportOptions;

/** Imports the export `input.inputs` into `input.root`. */
export async function importExport(
  input: ImportExportInput,
): Promise<ImportSummary> {
  const { clock, reporter, checkpoint, ...options } = input;
  return await runImport(
    { files: realFiles(), clock, reporter, checkpoint },
    options,
  );
}
