/**
 * What the user sees: the terminal reporter (progress bar on a TTY, plain
 * lines when piped, nothing but errors and the summary with `--quiet`), the
 * per-run log file, and the final completeness report.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Progress, Reporter } from "../app/reporter.ts";
import type { BackupSummary } from "../app/backup_run.ts";
import { refreshOfflineSite, type SiteResult } from "../app/offline_site.ts";
import type { Clock } from "../platform/clock.ts";
import type { Terminal } from "../platform/terminal.ts";
import { redact } from "../redact.ts";

/** Options of the terminal reporter. */
export interface TerminalReporterOptions {
  terminal: Terminal;
  logger?: Logger;
  clock: Clock;
  quiet: boolean;
  /** Values that must never be shown (tokens, secrets). */
  secrets: string[];
}

/** Reporter writing to the terminal and the run's log file. */
export class TerminalReporter implements Reporter {
  #options: TerminalReporterOptions;
  #barShown = false;
  #lastLine = 0;
  #startedAt: number;
  #lastPercent = -1;

  constructor(options: TerminalReporterOptions) {
    this.#options = options;
    this.#startedAt = options.clock.now();
  }

  #clean(message: string): string {
    return stripControl(redact(message, this.#options.secrets));
  }

  #print(message: string, stream: "out" | "err"): void {
    this.#clearBar();
    this.#options.terminal[stream](message + "\n");
  }

  #clearBar(): void {
    if (this.#barShown) {
      this.#options.terminal.err("\r\x1b[2K");
      this.#barShown = false;
    }
  }

  info(message: string): void {
    const text = this.#clean(message);
    this.#options.logger?.info(text);
    if (!this.#options.quiet) this.#print(text, "out");
  }

  warn(message: string): void {
    const text = this.#clean(message);
    this.#options.logger?.warn(text);
    if (!this.#options.quiet) this.#print(`warning: ${text}`, "err");
  }

  /** A warning shown even with `--quiet` (e.g. a readable token file). */
  important(message: string): void {
    const text = this.#clean(message);
    this.#options.logger?.warn(text);
    this.#print(`warning: ${text}`, "err");
  }

  error(message: string): void {
    const text = this.#clean(message);
    this.#options.logger?.error(text);
    this.#print(`error: ${text}`, "err");
  }

  detail(message: string): void {
    this.#options.logger?.info(this.#clean(message));
  }

  progress(progress: Progress): void {
    if (this.#options.quiet || progress.total === 0) return;
    const { terminal, clock } = this.#options;
    const now = clock.now();
    const finished = progress.done + progress.failed;
    if (terminal.stderrIsTty) {
      if (now - this.#lastLine < 100 && finished < progress.total) return;
      this.#lastLine = now;
      terminal.err(`\r\x1b[2K${progressLine(progress, now - this.#startedAt)}`);
      this.#barShown = true;
      if (finished >= progress.total) this.#clearBar();
      return;
    }
    // Piped: a plain line every 10 % (and at the end), no control codes.
    const percent = Math.floor((finished / progress.total) * 10) * 10;
    if (percent !== this.#lastPercent || finished === progress.total) {
      if (percent === this.#lastPercent) return;
      this.#lastPercent = percent;
      terminal.out(progressLine(progress, now - this.#startedAt) + "\n");
    }
  }

  /** Removes a progress bar left on screen. */
  close(): void {
    this.#clearBar();
  }
}

/**
 * Removes control characters (C0 but tab and newline, DEL, C1) from text
 * from outside (album titles, Flickr's error messages) before it reaches a
 * terminal or a log: no escape sequence from Flickr is ever interpreted.
 */
export function stripControl(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}

/** One progress line: photos, bytes, rate and ETA. */
export function progressLine(progress: Progress, elapsedMs: number): string {
  const finished = progress.done + progress.failed;
  const width = 24;
  const filled = progress.total
    ? Math.min(
      width,
      Math.max(0, Math.round((finished / progress.total) * width)),
    )
    : width;
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const rate = elapsedMs > 0 ? progress.bytes / (elapsedMs / 1000) : 0;
  const remaining = progress.total - finished;
  const eta = finished > 0 && remaining > 0
    ? ` ETA ${formatDuration((elapsedMs / finished) * remaining)}`
    : "";
  const failed = progress.failed ? `, ${progress.failed} failed` : "";
  return `[${bar}] ${finished}/${progress.total} photos${failed}, ${
    formatBytes(progress.bytes)
  } at ${formatBytes(rate)}/s${eta}`;
}

/** "1.5 MB"-style sizes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** "1h 02m", "3m 05s", "12s". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** The completeness report printed (and logged) at the end of a run. */
export function renderSummary(
  summary: BackupSummary,
  logPath?: string,
): string {
  const t = summary.totals;
  const lines: string[] = [];
  const verdict = summary.result === "complete"
    ? "Backup complete"
    : summary.result === "interrupted"
    ? "Backup interrupted (run again to continue)"
    : t.failed === 0 && summary.listing && !summary.listing.complete
    ? "Backup finished, but Flickr's listing could not be trusted (nothing was marked deleted; run again)"
    : `Backup finished with ${t.failed} failed item(s) (run again to retry them)`;
  lines.push(`${verdict}: ${summary.account.username}`);
  const flickrCount = summary.account.flickrCount !== undefined
    ? ` (Flickr reports ${summary.account.flickrCount})`
    : "";
  lines.push(
    `  on Flickr: ${t.listed} photos and videos${flickrCount}; in the backup: ${t.present}`,
  );
  lines.push(
    `  this run: ${t.downloaded} downloaded (${
      formatBytes(t.bytesDownloaded)
    }), ${t.adopted} recognised on disk, ${t.alreadyDone} already done, ${t.failed} failed, ${t.skipped} skipped`,
  );
  const incomplete = summary.albums.filter((album) =>
    album.present !== album.listed
  );
  lines.push(
    `  albums: ${summary.albums.length}, ${
      summary.albums.length - incomplete.length
    } complete; Unsorted: ${summary.unsorted.present}/${summary.unsorted.listed}`,
  );
  for (const album of incomplete.slice(0, 20)) {
    lines.push(
      `    ${album.folder}: ${album.present} of ${album.listed} saved`,
    );
  }
  if (incomplete.length > 20) {
    lines.push(`    … and ${incomplete.length - 20} more albums`);
  }
  if (summary.nonOriginal.length) {
    lines.push(
      `  not original: ${summary.nonOriginal.length} item(s) saved at the largest size Flickr offers (no original available; free accounts are limited to 1024 px since 2025, and some videos have no original):`,
    );
    for (const item of summary.nonOriginal.slice(0, 10)) {
      lines.push(`    ${item.id} ${item.variant} ${item.url}`);
    }
    if (summary.nonOriginal.length > 10) {
      lines.push(`    … ${summary.nonOriginal.length - 10} more in the log`);
    }
  }
  if (summary.failedIds.length) {
    lines.push(`  failed: ${summary.failedIds.length} item(s):`);
    for (const item of summary.failedIds.slice(0, 20)) {
      lines.push(`    ${item.id} ${item.url}: ${item.error}`);
    }
    if (summary.failedIds.length > 20) {
      lines.push(`    … ${summary.failedIds.length - 20} more in the log`);
    }
  }
  if (summary.listing && !summary.listing.complete) {
    lines.push(`  listing not trusted (nothing marked deleted this run):`);
    for (const problem of summary.listing.problems.slice(0, 10)) {
      lines.push(`    ${problem}`);
    }
  }
  const deletions = summary.listing?.deletions;
  if (deletions && deletions.confirmed + deletions.stillOnFlickr > 0) {
    lines.push(
      `  missing from the listing: ${deletions.confirmed} confirmed deleted on Flickr, ${deletions.stillOnFlickr} still on Flickr (kept), ${deletions.unconfirmed} unconfirmed`,
    );
  }
  const routes = Object.entries(summary.videoRoutes ?? {});
  if (routes.length) {
    lines.push(
      `  videos: ${routes.map(([route, n]) => `${n} via ${route}`).join(", ")}`,
    );
  }
  lines.push(`  API calls: ${summary.apiCallsTotal}`);
  if (logPath) lines.push(`  log: ${logPath}`);
  // Album titles and Flickr's messages may carry terminal escape codes.
  return stripControl(lines.join("\n"));
}

/** One line about an offline-site generation, for `site` and after runs. */
export function renderSiteResult(result: SiteResult, ms: number): string {
  const missing = result.withoutThumbnail
    ? `, ${result.withoutThumbnail} shown without a thumbnail`
    : "";
  return `Offline site: ${result.photos} photos and videos in ${result.albums} albums; ${result.written} of ${result.files} files written, ${result.removed} removed${missing} (${
    (ms / 1000).toFixed(1)
  } s). Open ${result.indexPath}`;
}

/**
 * Refreshes the offline site after a `backup` (or `import`) run, under that
 * run's lock. A failure is reported and does not change the run's exit
 * code: the backup itself is complete.
 */
export async function refreshSiteAfterRun(
  deps: { terminal: Terminal; clock: Clock; version: string },
  dir: string,
  quiet: boolean,
): Promise<void> {
  const started = deps.clock.now();
  try {
    const result = await refreshOfflineSite(dir, deps.version);
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
