/**
 * The backup run: list the whole account (about one API call per 500
 * photos), plan from the local state, download what is missing, write
 * metadata and sidecars, link album copies, and report completeness.
 *
 * This file holds the orchestration; the stages live beside it:
 * `list_account.ts` (listing), `account_changes.ts` (deletions, renames,
 * trash), `photo_job.ts` → `save_media.ts` → `finish_photo.ts` (one photo),
 * `run_summary.ts` (the summary), `file_checks.ts` (file helpers), with the
 * ports in `backup_ports.ts` and the shared run state in `run_context.ts`.
 *
 * @module
 */

import { join } from "node:path";
import type { FlickrPhoto } from "../flickr/api_types.ts";
import { AppError, ExitCode } from "../errors.ts";
import { Gate } from "../download/download_queue.ts";
import { type DownloadPace, downloadPace } from "../download/download_pace.ts";
import { STATE_FILE, StateStore } from "../state/state_store.ts";
import type { PlannedItem, PlannedJob } from "../state/state_items.ts";
import { sqliteLocalError } from "../state/sqlite_errors.ts";
import { StateBatch } from "./state_batch.ts";
import { photoPageUrl, SIDECAR_SCHEMA_VERSION } from "./sidecar.ts";
import { refuseLink } from "../platform/safe_path.ts";
import { collectGarbageIfGrown } from "../platform/collect_garbage.ts";
import { retryPasses } from "./retry_passes.ts";
import {
  type BackupDeps,
  type BackupOptions,
  type BackupSummary,
  UNSORTED,
} from "./backup_ports.ts";
import {
  checkAborted,
  newRunContext,
  type RunContext,
  type SavedFile,
  warn,
} from "./run_context.ts";
import {
  listAlbums,
  listAlbumSets,
  listNotInSet,
  listRecentlyUpdated,
} from "./list_account.ts";
import {
  applyFolderNames,
  findDeleted,
  findDeletedAlbums,
  prune,
} from "./account_changes.ts";
import { processPhoto } from "./photo_job.ts";
import { summarize } from "./run_summary.ts";

// What the CLI and the import use, from where it lives now.
export type {
  AlbumReport,
  BackupDeps,
  BackupDownloader,
  BackupFiles,
  BackupFlickr,
  BackupListOptions,
  BackupOptions,
  BackupSummary,
  DownloadOutcome,
  EmbedInput,
  EmbedOutcome,
} from "./backup_ports.ts";
export { UNSORTED } from "./backup_ports.ts";
export { AUTO_CAP, AUTO_FLOOR } from "../download/download_pace.ts";
export { embedInput } from "./finish_photo.ts";
export { breakHardLinks, hashFile, inspectFile } from "./file_checks.ts";

/** Runs one backup of the whole account into `options.root`. */
export async function runBackup(
  deps: BackupDeps,
  options: BackupOptions,
): Promise<BackupSummary> {
  const { flickr, reporter, clock } = deps;
  const startedAt = new Date(clock.now());
  const statePath = join(options.root, STATE_FILE);
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    await refuseLink(statePath + suffix, "file");
  }
  await refuseLink(join(options.root, UNSORTED), "folder");
  await refuseLink(join(options.root, ".trash"), "folder");
  const store = StateStore.open(statePath);
  const batch = new StateBatch(store, clock, {
    syncDir: (dir) => deps.files.syncDir(dir),
  });
  try {
    deps.pacer?.attachLog(store);
    // A listing that Flickr breaks off (every try of one call failed) is
    // started again after a wait, within --retry-for: on a flaky network
    // other calls get through, so a later listing usually completes.
    const budgetEnd = clock.now() + (options.retryForMs ?? 600_000);
    let delay = options.retryFirstDelayMs ?? 15_000;
    // At most 3 restarts (15 + 30 + 60 s): a real outage still ends with
    // exit 5 in a few minutes.
    for (let restarts = 0;; restarts++) {
      const run = newRunContext(deps, options, store, batch);
      try {
        return await runOnce(run, startedAt);
      } catch (error) {
        if (
          !(error instanceof AppError &&
            error.exitCode === ExitCode.Unavailable) ||
          run.listed ||
          options.signal.aborted || clock.now() + delay > budgetEnd ||
          restarts >= 3
        ) throw error;
        reporter.info(
          `Listing broke off (${error.message}); listing again in ${
            Math.round(delay / 1000)
          } s`,
        );
        await clock.sleep(delay, options.signal);
        delay *= 2;
      }
    }
  } catch (error) {
    // A run stopped by an error still records the files already durable;
    // if that fails too, the first error is the one to report.
    try {
      await batch.flush();
    } catch {
      // The next run recognises those files on disk.
    }
    // SQLite's "disk full" is a local problem (exit 7), not a bug.
    throw sqliteLocalError(error, statePath) ?? error;
  } finally {
    store.close();
    void flickr;
    void reporter;
  }
}

/**
 * Signs in and lists the account (the whole of it, or the changes since the
 * last complete listing), then deletions, album renames and --prune.
 */
async function listAccount(
  run: RunContext,
  startedAt: Date,
): Promise<{ full: boolean; flickrCount: number | undefined }> {
  const { flickr, reporter } = run.deps;
  const previous = run.store.lastCompleteListing();
  run.runId = run.store.beginRun(startedAt.getTime());

  const login = await flickr.testLogin();
  const person = await flickr.getPersonInfo(login.nsid);
  run.owner = {
    nsid: login.nsid,
    username: person.username || login.username,
    realname: person.realname,
  };
  let full = run.options.full || run.options.prune || !previous;
  reporter.info(
    `Signed in as ${run.owner.username} (${login.nsid}); ${
      full ? "listing the whole account" : "looking for changes"
    }`,
  );

  const sets = await listAlbumSets(run);
  await listAlbums(run, sets, full);
  if (!full && previous) {
    const since = Math.floor(previous.startedAt / 1000) - RECENT_MARGIN_S;
    await listRecentlyUpdated(run, since);
    const known = run.store.aliveCount();
    if (person.photosCount !== undefined && known !== person.photosCount) {
      reporter.info(
        `Flickr counts ${person.photosCount} photos and videos, the backup knows ${known}: listing the whole account to find what changed`,
      );
      full = true;
      await listAlbums(run, sets, true);
    } else {
      run.store.carryPhotos(run.runId);
    }
  }
  if (full) {
    await listNotInSet(run);
    await findDeleted(run);
  }
  checkAborted(run);
  await findDeletedAlbums(run);
  run.goneAlbums = run.store.markAlbumsGone(run.runId);
  if (run.listingProblems.length === 0) {
    run.store.markListingComplete(
      run.runId,
      full ? "full" : "incremental",
    );
  }
  await applyFolderNames(run);
  if (run.options.prune) await prune(run);

  return { full, flickrCount: person.photosCount };
}

/**
 * What the downloads do: photos to fetch, then done ones to update. The
 * plan is kept in the state and read a page at a time as the queue goes,
 * so that no list of the whole account is held in memory.
 */
function planWork(
  run: RunContext,
  full: boolean,
  flickrCount: number | undefined,
): Iterable<{ id: string; refresh: boolean; planned: PlannedJob }> {
  const { reporter } = run.deps;
  // Sidecars of an older schema are rewritten in place (no download).
  const schema = String(SIDECAR_SCHEMA_VERSION);
  const upgrade = run.store.getMeta(SIDECAR_SCHEMA_KEY) !== schema;
  const planned = run.store.planWork(run.runId, upgrade);
  if (upgrade) {
    if (planned.upgrade === 0) run.store.setMeta(SIDECAR_SCHEMA_KEY, schema);
    else {
      reporter.info(
        `Upgrading the sidecars and metadata of ${planned.upgrade} item(s) to sidecar schema ${schema} (no download)`,
      );
    }
  }
  const updates = planned.refresh + planned.upgrade;
  const counts = run.store.counts(run.runId);
  run.totals.listed = counts.total;
  run.totals.alreadyDone = counts.total - planned.todo;
  if (
    full && flickrCount !== undefined &&
    flickrCount !== counts.total
  ) {
    warn(
      run,
      `Flickr reports ${flickrCount} photos and videos but the listing returned ${counts.total}; the report below shows what is on disk`,
    );
  }
  reporter.info(
    `${counts.total} photos and videos on Flickr: ${run.totals.alreadyDone} already backed up, ${planned.todo} to fetch${
      updates ? `, ${updates} to update` : ""
    }`,
  );

  run.progress = {
    done: 0,
    total: planned.todo + updates,
    failed: 0,
    bytes: 0,
  };
  reporter.progress(run.progress);
  return plannedItems(run);
}

/** Items of the run's plan, a page at a time. */
function* plannedItems(
  run: RunContext,
): Generator<{ id: string; refresh: boolean; planned: PlannedJob }> {
  let after: PlannedItem | undefined;
  for (;;) {
    // Each item with its photo row and albums: two queries per page.
    const page = run.store.plannedJobs(after, PLAN_PAGE, run.runId);
    for (const item of page) {
      // Known as an upgrade from here on (its job and the end of the run).
      if (item.kind === "upgrade") run.upgrading.add(item.id);
      yield { id: item.id, refresh: item.kind !== "todo", planned: item };
    }
    after = page.at(-1);
    if (page.length < PLAN_PAGE) return;
    // The page's jobs leave promoted garbage: collect it if it grew.
    collectGarbageIfGrown();
  }
}

/** Planned items read from the state at a time. */
const PLAN_PAGE = 500;

/** One attempt at a run: list, plan, download and finish, summarize. */
async function runOnce(
  run: RunContext,
  startedAt: Date,
): Promise<BackupSummary> {
  const { full, flickrCount } = await listAccount(run, startedAt);
  run.listed = true;
  const work = planWork(run, full, flickrCount);
  let interrupted = false;
  // Downloads at once: `--concurrency`, or by default adapted to the
  // files' sizes (download_pace.ts). More workers than downloads: finished
  // files are checked, tagged and recorded meanwhile, outside the gate, so
  // local work overlaps the network instead of pausing it.
  const pace = downloadPace(run.options.concurrency);
  const workers = pace.workers;
  run.network = pacedGate(pace);
  try {
    await run.deps.files.runQueue(
      work,
      (item, signal) =>
        processPhoto(run, item.id, item.refresh, signal, item.planned),
      { concurrency: workers, signal: run.options.signal },
    );
  } catch (error) {
    if (!run.options.signal.aborted) throw error;
    interrupted = true;
  }
  if (run.options.signal.aborted) interrupted = true;
  await run.batch.flush();
  if (pace.cap > pace.floor && pace.meanBytes !== undefined) {
    run.deps.reporter.detail(
      `Downloads at once: up to ${pace.peak} (automatic, ${pace.floor} to ${pace.cap} by file size; recent files ${
        Math.round(pace.meanBytes / 1000)
      } KB on average)`,
    );
  }
  if (!interrupted) interrupted = await retryFailed(run, workers);
  await run.batch.flush();
  if (!interrupted && !run.upgradeFailed && run.upgrading.size) {
    run.store.setMeta(SIDECAR_SCHEMA_KEY, String(SIDECAR_SCHEMA_VERSION));
  }
  return summarize(run, startedAt, flickrCount, interrupted);
}

/** Extra passes over this run's retryable failures; true if aborted. */
async function retryFailed(
  run: RunContext,
  workers: number,
): Promise<boolean> {
  const store = run.store;
  const stillFailed = () =>
    [...run.retryable].filter((id) => store.photo(id)?.status === "failed");
  try {
    await retryPasses(
      stillFailed,
      async (ids) => {
        run.retryable.clear();
        run.progress.failed -= ids.length;
        await run.deps.files.runQueue(
          ids,
          (id, signal) => processPhoto(run, id, false, signal),
          { concurrency: workers, signal: run.options.signal },
        );
      },
      ({ count, delayMs, pass }) =>
        run.deps.reporter.info(
          `${count} item(s) failed for a reason that may pass; pass ${pass} in ${
            Math.round(delayMs / 1000)
          } s`,
        ),
      {
        clock: run.deps.clock,
        signal: run.options.signal,
        budgetMs: run.options.retryForMs ?? 600_000,
        firstDelayMs: run.options.retryFirstDelayMs ?? 15_000,
        maxPasses: 6,
      },
    );
  } catch (error) {
    if (!run.options.signal.aborted) throw error;
    return true;
  }
  // Only now are these final: say so (they were details until here).
  for (const id of stillFailed()) {
    const row = store.photo(id);
    run.deps.reporter.warn(
      `Cannot back up ${
        photoPageUrl(
          JSON.parse(row!.infoJson) as FlickrPhoto,
          run.owner.nsid,
        )
      }: ${row!.lastError}`,
    );
  }
  return false;
}

/**
 * The run's download gate: its limit follows `pace`, fed the size of every
 * file downloaded (not of one adopted from disk, which cost no download).
 */
function pacedGate(pace: DownloadPace): Gate<SavedFile | undefined> {
  const gate = new Gate<SavedFile | undefined>(pace.limit, {
    settled: (saved) => {
      if (saved && !saved.adopted) {
        gate.setLimit(pace.record(saved.variant.bytes));
      }
    },
  });
  return gate;
}

/** State keys: sidecar schema of the files, cached raw tags and licences. */
const SIDECAR_SCHEMA_KEY = "sidecar_schema";

/** How far back `recentlyUpdated` looks before the last listing (clock skew). */
const RECENT_MARGIN_S = 3600;
