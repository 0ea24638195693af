/**
 * What the parts of an import share: its inputs and outputs (deps, options,
 * summary), the run's state while it goes (the {@link ImportContext} every
 * step takes), and small helpers.
 *
 * @module
 */

import type { FlickrPhoto } from "../flickr/api_types.ts";
import type { Clock } from "../platform/clock.ts";
import type { Reporter } from "../app/reporter.ts";
import type { BackupFiles } from "../app/backup_run.ts";
import { StateStore } from "../state/state_store.ts";
import { type ExportEntry, ExportSources } from "./export_sources.ts";
import type { ExportAccount } from "./export_json.ts";

/** Longest edge at or below which an image may not be an original. */
export const SMALL_EDGE = 1024;

/** What the import needs from the outside. */
export interface ImportDeps {
  files: Pick<
    BackupFiles,
    "embedMetadata" | "atomicWriteFile" | "linkOrCopy" | "folderNames"
  >;
  clock: Clock;
  reporter: Reporter;
  /**
   * Awaited at known points, for tests that stop the process there:
   * "copied" (a file's temp copy is complete, not yet renamed).
   */
  checkpoint?: ((point: string, id: string) => Promise<void>) | undefined;
}

/** Options of one import. */
export interface ImportOptions {
  /** Absolute path of the backup folder. */
  root: string;
  /** Zips and folders of the export. */
  inputs: string[];
  albumLinks: "hardlink" | "copy" | "symlink";
  embed: boolean;
  signal: AbortSignal;
}

/** One item in the "what is missing" lists. */
export interface MissingItem {
  id: string;
  title?: string;
  where?: string;
  url?: string;
}

/** What an import did. */
export interface ImportSummary {
  command: "import";
  result: "complete" | "partial" | "interrupted";
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  account: { nsid: string; username: string };
  sources: { path: string; kind: string; holds: string; damaged?: string }[];
  totals: {
    /** Photos and videos the export's metadata describes. */
    listed: number;
    /** Of them, with their file in the backup now. */
    present: number;
    /** Files copied from the export this run. */
    imported: number;
    /** API copies of 1024 px replaced by the export's original. */
    replaced: number;
    /** Files the backup already had (not copied twice). */
    alreadyPresent: number;
    /** Done items whose metadata, sidecars or album copies changed. */
    updated: number;
    failed: number;
    bytesImported: number;
  };
  albums: {
    id: string;
    title: string;
    folder: string;
    listed: number;
    present: number;
  }[];
  unsorted: { listed: number; present: number };
  missingMedia: MissingItem[];
  neverProcessed: MissingItem[];
  zeroByte: MissingItem[];
  orphans: MissingItem[];
  small: (MissingItem & { width: number; height: number })[];
  failedIds: { id: string; error: string; url: string }[];
  /** Ids in `albums.json` without a photo JSON ("0" included). */
  albumEntriesWithoutPhoto: number;
  /** Whether the export's albums and titles won over an API backup's. */
  exportNewer: boolean;
  warnings: string[];
}

export interface Work {
  id: string;
  entry: ExportEntry;
  /** No photo JSON: metadata unknown (orphan). */
  orphan: boolean;
}

/** The state of one import run, shared by its steps. */
export interface ImportContext {
  deps: ImportDeps;
  options: ImportOptions;
  store: StateStore;
  sources: ExportSources;
  runId: number;
  owner: ExportAccount;
  warnings: string[];
  exportNewer: boolean;
  /** Photo JSON entries by id. */
  photoJson: Map<string, ExportEntry>;
  /** Media entries by id. */
  media: Map<string, ExportEntry>;
  /** Ids whose media is known only from an API backup's state. */
  apiOnly: Set<string>;
  missingMedia: MissingItem[];
  neverProcessed: MissingItem[];
  zeroByte: MissingItem[];
  orphans: MissingItem[];
  small: (MissingItem & { width: number; height: number })[];
  failed: { id: string; error: string; url: string }[];
  albumDropped: number;
  /** Ids of the albums of this run, once pass 2 asks (read once, not per file). */
  albumsOfRun?: Set<string>;
  totals: {
    imported: number;
    replaced: number;
    alreadyPresent: number;
    updated: number;
    bytesImported: number;
  };
  progress: { done: number; total: number; failed: number; bytes: number };
}

/** A fresh context. */
export function newContext(
  deps: ImportDeps,
  options: ImportOptions,
  store: StateStore,
  sources: ExportSources,
): ImportContext {
  return {
    deps,
    options,
    store,
    sources,
    runId: 0,
    owner: { nsid: "", username: "" },
    warnings: [],
    exportNewer: true,
    photoJson: new Map(),
    media: new Map(),
    apiOnly: new Set(),
    missingMedia: [],
    neverProcessed: [],
    zeroByte: [],
    orphans: [],
    small: [],
    failed: [],
    albumDropped: 0,
    totals: {
      imported: 0,
      replaced: 0,
      alreadyPresent: 0,
      updated: 0,
      bytesImported: 0,
    },
    progress: { done: 0, total: 0, failed: 0, bytes: 0 },
  };
}

export function checkAborted(ctx: ImportContext): void {
  if (ctx.options.signal.aborted) throw ctx.options.signal.reason;
}

export function warn(ctx: ImportContext, message: string): void {
  ctx.warnings.push(message);
  ctx.deps.reporter.warn(message);
}
export function damaged(
  ctx: ImportContext,
  entry: ExportEntry,
  error: unknown,
): void {
  const message = error instanceof Error ? error.message : String(error);
  entry.source.damaged ??= `entry ${entry.name}: ${message}`;
  warn(
    ctx,
    `${entry.where} cannot be read (${message}): the zip is damaged; download it again from Flickr`,
  );
}

export function pageUrl(
  ctx: ImportContext,
  photo: Pick<FlickrPhoto, "id" | "pathAlias">,
): string {
  return `https://www.flickr.com/photos/${
    photo.pathAlias || ctx.owner.pathAlias || ctx.owner.nsid ||
    "me"
  }/${photo.id}/`;
}
export function byKey<T>(a: [string, T], b: [string, T]): number {
  return byNumber(a[0], b[0]);
}

export function byNumber(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
