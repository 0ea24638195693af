/**
 * The state one backup run carries from stage to stage (listing, the
 * per-photo job, the summary), and the small helpers every stage uses:
 * warnings, listing problems, abort checks, album folders, error kinds.
 *
 * @module
 */

import { AppError, ExitCode, UnavailableError } from "../errors.ts";
import { Gate } from "../download/download_queue.ts";
import type { AlbumRow, StateStore } from "../state/state_store.ts";
import type { RawTagMap } from "./tags.ts";
import type { License } from "./licenses.ts";
import type { StateBatch } from "./state_batch.ts";
import type { SavedVariant } from "./sidecar.ts";
import { folderInside } from "../platform/safe_path.ts";
import { DownloadFailedError } from "../download/file_download.ts";
import type {
  BackupDeps,
  BackupOptions,
  BackupSummary,
} from "./backup_ports.ts";

/** The state of one run, shared by the functions of its stages. */
export interface RunContext {
  deps: BackupDeps;
  options: BackupOptions;
  store: StateStore;
  /** Finished photos' state writes, committed a batch at a time. */
  batch: StateBatch;
  runId: number;
  owner: { nsid: string; username: string; realname: string | undefined };
  warnings: string[];
  totals: BackupSummary["totals"];
  progress: { done: number; total: number; failed: number; bytes: number };
  /** Failed in this run for a reason that may pass (see retryFailed). */
  retryable: Set<string>;
  /** Limits downloads in flight (set when the downloads start). */
  network: Gate<SavedFile | undefined>;
  goneAlbums: AlbumRow[];
  /** Album folders checked and made in this run (one check each, not per file). */
  folders: Map<string, string>;
  /** What each folder held before this run wrote to it (see mediaNames). */
  listings: Map<string, Promise<FolderListing | undefined>>;
  /** Ids of every album deleted on Flickr (fixed once downloads start). */
  allGoneIds: Set<string> | undefined;
  listingSuspicious: boolean;
  /** Why this run's listing cannot be trusted (empty: it can). */
  listingProblems: string[];
  albumListIncomplete: boolean;
  /** Photos confirmed deleted on Flickr in this run (what --prune moves). */
  confirmedGone: Set<string>;
  deletions: { confirmed: number; stillOnFlickr: number; unconfirmed: number };
  /** One `getListUserRaw` per run, asked when a photo with tags is written. */
  rawTags: Promise<RawTagMap> | undefined;
  /** One `licenses.getInfo` per run, asked for a licence not in the state. */
  licenses: Promise<readonly License[]> | undefined;
  knownLicenses: License[] | undefined;
  /** Done photos whose sidecars are rewritten to the current schema. */
  upgrading: Set<string>;
  upgradeFailed: boolean;
  /** Videos saved per route (see flickr/video_source.ts). */
  videoRoutes: Record<string, number>;
  rememberedRoute: string | undefined;
  /** True once the listing is over (downloads may have started). */
  listed: boolean;
}

/** A fresh context for one attempt at a run. */
export function newRunContext(
  deps: BackupDeps,
  options: BackupOptions,
  store: StateStore,
  batch: StateBatch,
): RunContext {
  return {
    deps,
    options,
    store,
    batch,
    runId: 0,
    owner: { nsid: "", username: "", realname: undefined },
    warnings: [],
    totals: {
      listed: 0,
      present: 0,
      pending: 0,
      downloaded: 0,
      adopted: 0,
      alreadyDone: 0,
      failed: 0,
      skipped: 0,
      nonOriginal: 0,
      bytesDownloaded: 0,
      updated: 0,
    },
    progress: { done: 0, total: 0, failed: 0, bytes: 0 },
    retryable: new Set(),
    network: new Gate(1),
    goneAlbums: [],
    folders: new Map(),
    listings: new Map(),
    allGoneIds: undefined,
    listingSuspicious: false,
    listingProblems: [],
    albumListIncomplete: false,
    confirmedGone: new Set(),
    deletions: { confirmed: 0, stillOnFlickr: 0, unconfirmed: 0 },
    rawTags: undefined,
    licenses: undefined,
    knownLicenses: undefined,
    upgrading: new Set(),
    upgradeFailed: false,
    videoRoutes: {},
    rememberedRoute: undefined,
    listed: false,
  };
}

export function checkAborted(run: RunContext): void {
  if (run.options.signal.aborted) throw run.options.signal.reason;
}

export function warn(run: RunContext, message: string): void {
  run.warnings.push(message);
  run.deps.reporter.warn(message);
}

/** A listing that cannot be trusted: shown even with --quiet. */
export function listingProblem(run: RunContext, message: string): void {
  run.listingProblems.push(message);
  run.deps.reporter.error(message);
}

/** folderInside() once per folder and run: checked and made, then known. */
export async function albumDir(
  run: RunContext,
  folder: string,
): Promise<string> {
  let dir = run.folders.get(folder);
  if (dir === undefined) {
    dir = await folderInside(run.options.root, folder);
    run.folders.set(folder, dir);
  }
  return dir;
}

/**
 * A folder's media file names, its JSON sidecars, and its part files and
 * resume data.
 */
export interface FolderListing {
  dir: string;
  files: Set<string>;
  sidecars: Set<string>;
  parts: Set<string>;
}

export interface SavedFile {
  relPath: string;
  path: string;
  adopted: boolean;
  variant: SavedVariant;
  finalBytes: number;
  finalSha256: string;
  /**
   * Downloaded bytes still in memory: nothing is at `path` yet; finishing
   * writes them there once (with the metadata).
   */
  pending?: Uint8Array;
  /**
   * True when no sidecar can be beside `path` from before this run (its
   * folder was listed without one, or did not exist): finishing does not
   * look for one to carry facts from.
   */
  noSidecar?: boolean;
}

/** A failure that another try later may not repeat (network, 5xx, 429). */
export function mayPass(error: unknown): boolean {
  if (error instanceof DownloadFailedError) return error.transient;
  return error instanceof UnavailableError;
}

/** Errors that stop the whole run instead of failing one photo. */
export function isFatal(error: unknown): boolean {
  if (!(error instanceof AppError)) return !(error instanceof Error);
  return error.exitCode === ExitCode.Auth ||
    error.exitCode === ExitCode.LocalFatal ||
    error.exitCode === ExitCode.Locked ||
    error.exitCode === ExitCode.Interrupted ||
    error.exitCode === ExitCode.Terminated;
}
