/**
 * `flickr-backup site [--dir]`: writes or refreshes the offline site of a
 * backup (`index.html` in the backup folder, the rest in `.flickr_site/`).
 * Reads the sidecars and the state; never calls Flickr. Takes the run lock,
 * so it never reads a folder a backup is changing.
 *
 * @module
 */

import { ExitCode, UsageError } from "../../errors.ts";
import { writeOfflineSite } from "../../app/offline_site.ts";
import { renderSiteResult } from "../output.ts";
import { backupDir, type CliDeps } from "../options.ts";

/** Flags of `site`. */
export interface SiteCommandOptions {
  dir?: string | undefined;
  quiet?: true | undefined;
}

/** Runs `site`; returns the exit code. */
export async function runSiteCommand(
  deps: CliDeps,
  options: SiteCommandOptions,
): Promise<number> {
  const dir = backupDir(deps, options.dir);
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new Error("not a folder");
  } catch {
    throw new UsageError(
      `No backup in "${dir}": the folder does not exist (choose the backup folder with --dir or FLICKR_BACKUP_DIR)`,
    );
  }
  const started = deps.clock.now();
  const result = await writeOfflineSite(dir, {
    clock: deps.clock,
    generator: deps.version,
  });
  if (!options.quiet) {
    deps.terminal.out(
      renderSiteResult(result, deps.clock.now() - started) + "\n",
    );
  }
  return ExitCode.Ok;
}
