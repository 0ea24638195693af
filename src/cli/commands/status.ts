/**
 * `flickr-backup status [--dir] [--json]`: what the backup holds, from the
 * local state only. Never calls Flickr, never takes the lock (a backup may
 * be running), never writes: the state is opened read-only.
 *
 * @module
 */

import { ExitCode } from "../../errors.ts";
import { type BackupStatus, backupStatus } from "../../app/status.ts";
import { formatBytes, formatDuration } from "../output.ts";
import { openExistingState } from "../../app/open_state.ts";
import { backupDir, type CliDeps } from "../options.ts";

/** Flags of `status`. */
export interface StatusCommandOptions {
  dir?: string | undefined;
  json?: true | undefined;
}

/** Runs `status`; returns the exit code. */
export async function runStatusCommand(
  deps: CliDeps,
  options: StatusCommandOptions,
): Promise<number> {
  const dir = backupDir(deps, options.dir);
  const reader = await openExistingState(dir);
  let status: BackupStatus;
  try {
    status = await backupStatus(dir, reader);
  } finally {
    reader.close();
  }
  deps.terminal.out(
    options.json
      ? JSON.stringify(status, null, 2) + "\n"
      : renderStatus(status, deps.clock.now()) + "\n",
  );
  return ExitCode.Ok;
}

/** The readable `status` block. */
export function renderStatus(status: BackupStatus, now: number): string {
  const lines = [`Backup in ${status.dir}`];
  const row = (label: string, text: string) =>
    lines.push(`  ${(label + ":").padEnd(19)}${text}`);
  const run = status.lastRun;
  if (run) {
    const verdict = run.result === "complete"
      ? "complete"
      : run.result === "partial"
      ? `finished with ${run.failed ?? "some"} failed item(s)`
      : run.result;
    const parts = [
      `${when(run.finishedAt, now)}: ${verdict} in ${
        formatDuration(run.durationMs)
      }`,
    ];
    if (run.downloaded !== null) {
      parts.push(
        `${run.downloaded} downloaded${
          run.bytesDownloaded !== null
            ? ` (${formatBytes(run.bytesDownloaded)})`
            : ""
        }`,
      );
    }
    if (run.updated) parts.push(`${run.updated} updated`);
    if (run.apiCalls !== null) parts.push(`${run.apiCalls} API calls`);
    row("last run", parts.join(", "));
    if (run.account) row("account", run.account);
    if (run.warnings.length) {
      row("warnings", `${run.warnings.length} (see the log)`);
    }
  } else {
    row("last run", "none has finished yet");
  }
  if (status.unfinishedRun) {
    row(
      "unfinished run",
      `started ${
        when(status.unfinishedRun.startedAt, now)
      } and has not recorded its end: it is running now, or it stopped (see its log)`,
    );
  }
  if (status.lastListing) {
    row(
      "last listing",
      `${when(status.lastListing.startedAt, now)} (${status.lastListing.mode})`,
    );
  }
  const p = status.photos;
  row(
    "on Flickr",
    `${p.onFlickr} photos and videos: ${p.done} backed up${
      p.nonOriginal ? ` (${p.nonOriginal} not original)` : ""
    }, ${p.failed} failed, ${p.pending} pending, ${p.skipped} skipped`,
  );
  if (p.deletedOnFlickr || p.pruned) {
    row(
      "deleted on Flickr",
      `${p.deletedOnFlickr} kept in the backup${
        p.pruned ? `, ${p.pruned} moved to .trash/ by --prune` : ""
      }`,
    );
  }
  row(
    "in the backup",
    `${status.backup.files} files, ${formatBytes(status.backup.bytes)}`,
  );
  const gone = status.albums.gone;
  row(
    "albums",
    `${status.albums.onFlickr}${
      gone.length
        ? `; ${gone.length} gone from Flickr, folder kept: ${
          gone.slice(0, 5).map((album) => `"${album.folder || album.title}"`)
            .join(", ")
        }${gone.length > 5 ? `, … ${gone.length - 5} more` : ""}`
        : ""
    }`,
  );
  const next = status.nextRun;
  row(
    "next run",
    `fetches ${next.toFetch} (${next.pending} pending + ${next.failed} failed)${
      next.skipped
        ? `, retries ${next.skipped} skipped unless run with --originals-only`
        : ""
    }, plus anything new on Flickr (not checked)`,
  );
  const verify = status.lastVerify;
  row(
    "last verify",
    verify
      ? `${when(verify.at, now)}: ${verify.checked} photos and videos, ${
        verify.problems
          ? `${verify.problems} problem(s)${
            verify.repaired ? `, ${verify.repaired} fetched again` : ""
          }`
          : "no problems"
      }`
      : "never (flickr-backup verify checks every file)",
  );
  if (status.logFile) row("log", status.logFile);
  return lines.join("\n");
}

/** "2026-11-25 09:30:00 (3h 05m ago)" in local time. */
function when(iso: string, now: number): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${
    pad(date.getDate())
  } ${pad(date.getHours())}:${pad(date.getMinutes())}:${
    pad(date.getSeconds())
  }`;
  const ago = now - date.getTime();
  if (!Number.isFinite(ago) || ago < 0) return text;
  const days = Math.floor(ago / 86_400_000);
  return `${text} (${
    ago < 60_000
      ? "just now"
      : days >= 2
      ? `${days} days ago`
      : `${formatDuration(ago)} ago`
  })`;
}
