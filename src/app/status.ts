/**
 * `status`: what the backup holds and how the last run went, from the local
 * state only (never calls Flickr). Nothing here prints; results are data,
 * shaped for `--json` as they are.
 *
 * @module
 */

import { localFiles } from "../platform/local_files.ts";
import { join } from "node:path";
import type { BackupInventory, FinishedRun } from "../state/state_reader.ts";

/** What `status` reads from the state (`StateReader`). */
export interface StatusSource {
  lastRun(): FinishedRun | undefined;
  unfinishedRun(): { id: number; startedAt: number } | undefined;
  lastCompleteListing():
    | { id: number; startedAt: number; mode: string }
    | undefined;
  inventory(): BackupInventory;
  goneAlbums(): { id: string; title: string; folder: string }[];
  getMeta(key: string): string | undefined;
}

/** The last finished run, from its recorded summary. */
export interface LastRunStatus {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** "complete", "partial" or "interrupted". */
  result: string;
  exitCode: number | null;
  account: string | null;
  /** Photos and videos Flickr listed in that run. */
  listed: number | null;
  downloaded: number | null;
  bytesDownloaded: number | null;
  failed: number | null;
  skipped: number | null;
  updated: number | null;
  apiCalls: number | null;
  warnings: string[];
}

/** The last `verify`, as it recorded itself in the state. */
export interface LastVerifyStatus {
  at: string;
  checked: number;
  problems: number;
  repaired: number;
}

/** Everything `status` shows. */
export interface BackupStatus {
  dir: string;
  lastRun: LastRunStatus | null;
  /**
   * A run newer than the last finished one that never recorded its end:
   * running now, killed, or stopped by an error (see its log).
   */
  unfinishedRun: { startedAt: string } | null;
  /** The latest run whose Flickr listing completed ("full" or "incremental"). */
  lastListing: { startedAt: string; mode: string } | null;
  photos: BackupInventory["photos"];
  /** Media files in the backup and the bytes the state records for them. */
  backup: { files: number; bytes: number };
  albums: {
    onFlickr: number;
    goneFromFlickr: number;
    /** Albums deleted on Flickr whose folders stay in the backup. */
    gone: { id: string; title: string; folder: string }[];
  };
  /**
   * What the next run fetches for sure (pending + failed); skipped items are
   * tried again too unless it runs with `--originals-only`. Anything new on
   * Flickr comes on top: unknown without asking Flickr.
   */
  nextRun: {
    pending: number;
    failed: number;
    skipped: number;
    toFetch: number;
  };
  lastVerify: LastVerifyStatus | null;
  /** Newest run log in the folder, or null. */
  logFile: string | null;
}

/** Meta key under which `verify` records its last result. */
export const LAST_VERIFY_KEY = "last_verify";

/** Collects the status of the backup in `root` from its state. */
export async function backupStatus(
  root: string,
  store: StatusSource,
): Promise<BackupStatus> {
  const inventory = store.inventory();
  const unfinished = store.unfinishedRun();
  const listing = store.lastCompleteListing();
  const gone = store.goneAlbums();
  return {
    dir: root,
    lastRun: lastRunStatus(store.lastRun()),
    unfinishedRun: unfinished
      ? { startedAt: new Date(unfinished.startedAt).toISOString() }
      : null,
    lastListing: listing
      ? {
        startedAt: new Date(listing.startedAt).toISOString(),
        mode: listing.mode,
      }
      : null,
    photos: inventory.photos,
    backup: { files: inventory.files.count, bytes: inventory.files.bytes },
    albums: { ...inventory.albums, gone },
    nextRun: {
      pending: inventory.photos.pending,
      failed: inventory.photos.failed,
      skipped: inventory.photos.skipped,
      toFetch: inventory.photos.pending + inventory.photos.failed,
    },
    lastVerify: lastVerifyStatus(store.getMeta(LAST_VERIFY_KEY)),
    logFile: await newestLog(root),
  };
}

function lastRunStatus(run: FinishedRun | undefined): LastRunStatus | null {
  if (!run) return null;
  const summary = record(run.summary);
  const totals = record(summary.totals);
  const account = record(summary.account);
  const num = (value: unknown) =>
    typeof value === "number" && Number.isFinite(value) ? value : null;
  return {
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: new Date(run.finishedAt).toISOString(),
    durationMs: Math.max(0, run.finishedAt - run.startedAt),
    result: run.result,
    exitCode: num(summary.exitCode),
    account: typeof account.username === "string" ? account.username : null,
    listed: num(totals.listed),
    downloaded: num(totals.downloaded),
    bytesDownloaded: num(totals.bytesDownloaded),
    failed: num(totals.failed),
    skipped: num(totals.skipped),
    updated: num(totals.updated),
    apiCalls: num(summary.apiCallsTotal),
    warnings: Array.isArray(summary.warnings)
      ? summary.warnings.filter((w): w is string => typeof w === "string")
      : [],
  };
}

function lastVerifyStatus(raw: string | undefined): LastVerifyStatus | null {
  if (!raw) return null;
  try {
    const value = record(JSON.parse(raw));
    if (typeof value.at !== "string") return null;
    return {
      at: value.at,
      checked: Number(value.checked ?? 0),
      problems: Number(value.problems ?? 0),
      repaired: Number(value.repaired ?? 0),
    };
  } catch {
    return null; // a value this build does not understand is not shown
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

const LOG_NAME = /^flickr_backup_\d{8}_\d{6}(_\d+)?\.log$/;

async function newestLog(root: string): Promise<string | null> {
  let newest: string | null = null;
  try {
    for await (const entry of localFiles.readDir(root)) {
      if (!entry.isFile || !LOG_NAME.test(entry.name)) continue;
      if (newest === null || logOrder(entry.name) > logOrder(newest)) {
        newest = entry.name;
      }
    }
  } catch {
    return null;
  }
  return newest === null ? null : join(root, newest);
}

/** Sort key: timestamp, then the `_N` of a second log in the same second. */
function logOrder(name: string): string {
  const match = /^flickr_backup_(\d{8}_\d{6})(?:_(\d+))?\.log$/.exec(name);
  return `${match?.[1] ?? ""}_${(match?.[2] ?? "1").padStart(6, "0")}`;
}
