/**
 * `flickr-backup site [--dir]`: writes or refreshes the offline site of a
 * backup (`index.html` in the backup folder, the rest in `.flickr_site/`).
 * Reads the sidecars and the state; never calls Flickr. Takes the run lock,
 * so it never reads a folder a backup is changing.
 *
 * @module
 */

import { ExitCode, UsageError } from "../../errors.ts";
import { generateSite, type SiteResult } from "../../site/generate_site.ts";
import { acquireLock } from "../../platform/lock.ts";
import { backupDir, type CliDeps } from "../cli.ts";

/** Flags of `site`. */
export interface SiteCommandOptions {
  dir?: string | undefined;
  quiet?: true | undefined;
}

/** One line about a generation, for `site` and after `backup`. */
export function renderSiteResult(result: SiteResult, ms: number): string {
  const missing = result.withoutThumbnail
    ? `, ${result.withoutThumbnail} shown without a thumbnail`
    : "";
  return `Offline site: ${result.photos} photos and videos in ${result.albums} albums; ${result.written} of ${result.files} files written, ${result.removed} removed${missing} (${
    (ms / 1000).toFixed(1)
  } s). Open ${result.indexPath}`;
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
  await using _lock = await acquireLock(dir, { clock: deps.clock });
  const started = deps.clock.now();
  const result = await generateSite(dir, { generator: deps.version });
  if (!options.quiet) {
    deps.terminal.out(
      renderSiteResult(result, deps.clock.now() - started) + "\n",
    );
  }
  return ExitCode.Ok;
}

/**
 * Refreshes the site after a `backup` (or `import`) run, under that run's
 * lock. A failure is reported and does not change the run's exit code: the
 * backup itself is complete.
 */
export async function refreshSiteAfterRun(
  deps: CliDeps,
  dir: string,
  quiet: boolean,
): Promise<void> {
  const started = deps.clock.now();
  try {
    const result = await generateSite(dir, { generator: deps.version });
    if (!quiet) {
      deps.terminal.out(
        renderSiteResult(result, deps.clock.now() - started) + "\n",
      );
    }
  } catch (error) {
    deps.terminal.err(
      `warning: ${
        error instanceof Error ? error.message : String(error)
      } (run "flickr-backup site --dir ${dir}" to try again)\n`,
    );
  }
}
