/**
 * `flickr-backup import`: Flickr's own data export (the zips of "Request my
 * Flickr data") into the backup folder, offline: no API key, no network.
 * Locked, logged and interruptible like `backup`.
 *
 * @module
 */

import { resolve } from "node:path";
import { UsageError } from "../../errors.ts";
import type { ImportSummary } from "../../import/import_run.ts";
import { importExport } from "../../import/import_export.ts";
import { openImportFolder } from "../../import/import_folder.ts";
import { formatBytes } from "../output.ts";
import { runInShell } from "../run_shell.ts";
import { chooseBackupDir, type CliDeps } from "../options.ts";
import { testPause } from "../test_pause.ts";

/** Flags of `import`. */
export interface ImportCommandOptions {
  dir?: string | undefined;
  albumLinks: "hardlink" | "copy" | "symlink";
  embed: boolean;
  /** Refresh the offline site after the import (`--no-site` turns it off). */
  site?: boolean | undefined;
  quiet?: boolean | undefined;
}

/** Runs `import`; returns the exit code. */
export async function runImportCommand(
  deps: CliDeps,
  inputs: string[],
  options: ImportCommandOptions,
): Promise<number> {
  if (!inputs.length) {
    throw new UsageError(
      'Name the export to import: flickr-backup import --dir <backup folder> <zip or folder>... (the zips of "Request my Flickr data")',
    );
  }
  const paths = inputs.map((input) => resolve(deps.cwd, input));
  for (const [index, path] of paths.entries()) {
    try {
      await Deno.stat(path);
    } catch {
      throw new UsageError(
        `Cannot read "${
          inputs[index]
        }": no such zip or folder. Pass the zips Flickr sent (or the folder they are in)`,
      );
    }
  }
  const dir = await chooseBackupDir(deps, options.dir);
  await using folder = await openImportFolder(dir, deps.clock);
  return await runInShell(
    deps,
    {
      dir,
      folder,
      quiet: options.quiet ?? false,
      site: options.site !== false,
      startLine: `flickr-backup ${deps.version}: import into "${dir}" of ${
        paths.join(", ")
      }`,
      stopping: "stopping after the current file",
      failure: "import failed",
      render: renderImportSummary,
    },
    ({ reporter, signal }) =>
      importExport({
        clock: deps.clock,
        reporter,
        checkpoint: testPause(deps.terminal),
        root: dir,
        inputs: paths,
        albumLinks: options.albumLinks,
        embed: options.embed,
        signal,
      }),
  );
}

/** The end-of-import report: what is in the backup and what is missing. */
export function renderImportSummary(
  summary: ImportSummary,
  logPath?: string,
): string {
  const t = summary.totals;
  const lines: string[] = [];
  lines.push(
    summary.result === "complete"
      ? `Import complete: ${summary.account.username || "Flickr export"}`
      : summary.result === "interrupted"
      ? "Import interrupted (run the same command again to continue)"
      : `Import finished with problems (see below)`,
  );
  lines.push(
    `  in the export's metadata: ${t.listed} photos and videos; in the backup: ${t.present}`,
  );
  lines.push(
    `  this run: ${t.imported} copied from the export (${
      formatBytes(t.bytesImported)
    }), ${t.replaced} 1024 px copies replaced by originals, ${t.alreadyPresent} already in the backup, ${t.updated} updated, ${t.failed} failed`,
  );
  lines.push(
    `  albums: ${summary.albums.length}; Unsorted: ${summary.unsorted.present}/${summary.unsorted.listed}`,
  );
  for (const source of summary.sources.filter((s) => s.damaged)) {
    lines.push(`  DAMAGED: ${source.path}: ${source.damaged}`);
  }
  const list = (
    title: string,
    items: { id: string; title?: string; where?: string; url?: string }[],
  ) => {
    if (!items.length) return;
    lines.push(`  ${title}: ${items.length}`);
    for (const item of items.slice(0, 10)) {
      lines.push(
        `    ${item.id || "?"}${item.title ? ` "${item.title}"` : ""}${
          item.where ? ` (${item.where})` : ""
        }${item.url ? ` ${item.url}` : ""}`,
      );
    }
    if (items.length > 10) lines.push(`    … and ${items.length - 10} more`);
  };
  list("metadata but no file in the export", summary.missingMedia);
  list(
    "videos Flickr never processed (no file exists)",
    summary.neverProcessed,
  );
  list("empty (zero-byte) files in the export", summary.zeroByte);
  list("files without metadata (kept in Unsorted/)", summary.orphans);
  list(
    `images of ${1024} px or less (may not be originals)`,
    summary.small.map((s) => ({ ...s, title: `${s.width}×${s.height}` })),
  );
  list(
    "failed",
    summary.failedIds.map((f) => ({ id: f.id, title: f.error })),
  );
  if (summary.albumEntriesWithoutPhoto) {
    lines.push(
      `  albums.json lists ${summary.albumEntriesWithoutPhoto} photo id(s) with no metadata (Flickr writes "0" for some)`,
    );
  }
  const missing = summary.missingMedia.length + summary.zeroByte.length +
    summary.sources.filter((s) => s.damaged).length;
  if (missing) {
    lines.push(
      `  What to do: request your data again in Flickr's account settings ("Request my Flickr data") and import the new zips into the same folder; what is already here is kept${
        summary.account.nsid ? "" : ""
      }. With a Flickr API key (Pro), "flickr-backup backup" fetches what the export lacks.`,
    );
  }
  if (summary.warnings.length) {
    lines.push(`  warnings: ${summary.warnings.length} (see the log)`);
  }
  if (logPath) lines.push(`  log: ${logPath}`);
  return lines.join("\n");
}
