/**
 * The backup run: list the whole account (about one API call per 500
 * photos), plan from the local state, download what is missing, write
 * metadata and sidecars, link album copies, and report completeness.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import type { Clock } from "../platform/clock.ts";
import { exists } from "../platform/fs.ts";
import type {
  FlickrPhoto,
  PhotoSize,
  VideoStream,
} from "../flickr/api_types.ts";
import { LISTING_EXTRAS } from "../flickr/api_types.ts";
import type { PhotoMetadata } from "../metadata/fields.ts";
import { AppError, ExitCode, UnavailableError } from "../errors.ts";
import { Gate } from "../download/download_queue.ts";
import {
  type AlbumRow,
  type PhotoRow,
  STATE_FILE,
  StateStore,
} from "../state/state_store.ts";
import type { Reporter } from "./reporter.ts";
import { hasOwnTags, presentTags, type RawTagMap } from "./tags.ts";
import {
  type License,
  licenseFor,
  rightsText as licenseRights,
} from "./licenses.ts";
import { sqliteLocalError } from "../state/sqlite_errors.ts";
import { FlickrNotFoundError } from "../flickr/errors.ts";
import {
  confirmDeletions,
  declaredMinimum,
  type ListingVerdict,
  verdictProblem,
} from "./listing.ts";
import { StateBatch } from "./state_batch.ts";
import {
  buildSidecar,
  photoPageUrl,
  type SavedVariant,
  SIDECAR_SCHEMA_VERSION,
  type SidecarContext,
} from "./sidecar.ts";
import {
  type PhotoSource,
  sourceFromListing,
  sourceFromSizes,
} from "./sources.ts";
import {
  bestStreams,
  isOriginalRoute,
  originalFromSizes,
  originalFromStreams,
  routeOrder,
  type StreamSource,
  type VideoRoute,
} from "./video_source.ts";
import {
  folderInside,
  isFlickrId,
  knownExtension,
  pathInside,
  refuseLink,
} from "../platform/safe_path.ts";
import {
  chooseExtension,
  DownloadFailedError,
} from "../download/file_download.ts";
import { retryPasses } from "./retry_passes.ts";

/** Folder for photos in no album. */
export const UNSORTED = "Unsorted";

/** Options of a listing call: its signal, and where its verdict goes. */
export interface BackupListOptions {
  signal?: AbortSignal;
  onVerdict?: (verdict: ListingVerdict) => void;
}

/** The Flickr calls a run needs (implemented by `src/flickr/client.ts`). */
export interface BackupFlickr {
  testLogin(): Promise<{ nsid: string; username: string }>;
  getPersonInfo(
    nsid: string,
  ): Promise<
    { username: string; realname?: string; photosCount?: number }
  >;
  listPhotosets(options?: BackupListOptions): AsyncIterable<{
    id: string;
    title: string;
    description: string;
    countPhotos: number;
    countVideos: number;
    dateUpdate: number;
  }>;
  listPhotosetPhotos(
    photosetId: string,
    options: { extras: string } & BackupListOptions,
  ): AsyncIterable<FlickrPhoto>;
  listNotInSet(
    options: { extras: string } & BackupListOptions,
  ): AsyncIterable<FlickrPhoto>;
  listRecentlyUpdated(
    minDateUnix: number,
    options: { extras: string } & BackupListOptions,
  ): AsyncIterable<FlickrPhoto>;
  /** Resolves when the photo exists; `FlickrNotFoundError` when gone. */
  getPhotoInfo(photoId: string): Promise<unknown>;
  /** Resolves when the album exists; `FlickrNotFoundError` when gone. */
  getPhotosetInfo(photosetId: string): Promise<unknown>;
  /** Clean tag → raw spellings (`flickr.tags.getListUserRaw`). */
  getRawTags(): Promise<Map<string, string[]>>;
  /** Every licence with its name and URL (`flickr.photos.licenses.getInfo`). */
  getLicenses(): Promise<License[]>;
  getSizes(photoId: string): Promise<PhotoSize[]>;
  getVideoStreams(
    photoId: string,
    secret: string,
  ): Promise<{ type: string; url: string }[]>;
  signedGet(url: string, signal?: AbortSignal): Promise<Response>;
  stats(): Record<string, number>;
}

/** Result of one file download (implemented by `src/download/`). */
export interface DownloadOutcome {
  bytes: number;
  sha256: string;
  suggestedExtension?: string;
  kind: string;
}

/** The download engine a run needs. */
export interface BackupDownloader {
  download(request: {
    url: string;
    dest: string;
    expect: "image" | "video" | "any";
    signal?: AbortSignal;
    onProgress?: (deltaBytes: number) => void;
    openResponse?: (url: string, init: RequestInit) => Promise<Response>;
    /** False: the caller fsyncs the folder (see BackupFiles.syncDir). */
    syncDir?: boolean;
  }): Promise<DownloadOutcome>;
}

/** Metadata fields written into files: what `src/metadata/` takes. */
export type EmbedInput = PhotoMetadata;

/** What embedding did to a file. */
export interface EmbedOutcome {
  status: "written" | "unchanged" | "skipped";
  format: string;
  warnings: string[];
  dateSource?: "flickr" | "camera" | "none";
  dateValue?: string;
  /** Path of the XMP sidecar written beside the file, if any. */
  xmpSidecar?: string;
  /** Size and SHA-256 of the file as rewritten and read back: set exactly when status is "written". */
  written?: { bytes: number; sha256: string };
}

/** The file-system and metadata operations a run needs. */
export interface BackupFiles {
  /** Writes metadata into the file (or an XMP sidecar) and sets its mtime. */
  embedMetadata(
    path: string,
    meta: EmbedInput,
    /** The file's size, when known (small files take a faster path). */
    size?: number,
    /** False: the caller fsyncs the folder afterwards. */
    syncDir?: boolean,
  ): Promise<EmbedOutcome>;
  atomicWriteFile(
    path: string,
    data: string,
    options?: { syncDir?: boolean },
  ): Promise<void>;
  /** Fsyncs a folder, making the renames into it durable. */
  syncDir(dir: string): Promise<void>;
  linkOrCopy(
    source: string,
    dest: string,
    mode: "hardlink" | "copy" | "symlink",
  ): Promise<unknown>;
  folderNames(albums: { id: string; title: string }[]): Map<string, string>;
  runQueue<T>(
    items: Iterable<T>,
    worker: (item: T, signal: AbortSignal) => Promise<void>,
    options: { concurrency: number; signal: AbortSignal },
  ): Promise<void>;
}

/** Everything a run is given. */
export interface BackupDeps {
  flickr: BackupFlickr;
  downloader: BackupDownloader;
  files: BackupFiles;
  clock: Clock;
  reporter: Reporter;
  /**
   * The API pacer (`src/http/pacer.ts`): given the state's record of recent
   * calls, so that runs on this folder share one hourly budget.
   */
  pacer?: {
    attachLog(log: {
      callsSince(since: number): number[];
      recordCall(at: number): void;
    }): void;
  };
}

/** Options of one run. */
export interface BackupOptions {
  /** Absolute path of the backup folder. */
  root: string;
  concurrency: number;
  albumLinks: "hardlink" | "copy" | "symlink";
  originalsOnly: boolean;
  embed: boolean;
  /** List the whole account even if an incremental run would do. */
  full?: boolean;
  /** Move photos deleted on Flickr to `.trash/<date>/`. */
  prune?: boolean;
  signal: AbortSignal;
  /**
   * After the main pass, items that failed for a reason that may pass get
   * further passes, waiting `retryFirstDelayMs` (doubling) in between, for
   * at most `retryForMs` (default 10 minutes; 0: no extra pass).
   */
  retryForMs?: number;
  /** First wait before an extra pass (default 15 s). */
  retryFirstDelayMs?: number;
}

/** Per-album completeness line of the final report. */
export interface AlbumReport {
  id: string;
  title: string;
  folder: string;
  expected: number;
  listed: number;
  present: number;
}

/** What a run did: the trustworthy summary at the end. */
export interface BackupSummary {
  result: "complete" | "partial" | "interrupted";
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  account: { nsid: string; username: string; flickrCount?: number };
  totals: {
    listed: number;
    /** Items whose file is in the backup now. */
    present: number;
    pending: number;
    downloaded: number;
    adopted: number;
    alreadyDone: number;
    failed: number;
    skipped: number;
    nonOriginal: number;
    bytesDownloaded: number;
    /** Done items whose metadata, sidecars or album copies were updated. */
    updated: number;
  };
  albums: AlbumReport[];
  unsorted: { listed: number; present: number };
  failedIds: { id: string; error: string; url: string }[];
  nonOriginal: { id: string; variant: string; url: string }[];
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  warnings: string[];
  /** Videos saved this run per route (orig-unsigned, orig-signed, …). */
  videoRoutes: Record<string, number>;
  /**
   * Whether Flickr's listing could be trusted. An incomplete listing marks
   * nothing deleted and moves no album copy; the run ends "partial".
   */
  listing: {
    complete: boolean;
    problems: string[];
    /** Photos missing from a complete listing: what getInfo said. */
    deletions: {
      confirmed: number;
      stillOnFlickr: number;
      unconfirmed: number;
    };
  };
}

const BATCH = 500;
/** Albums listed at once. */
const LISTING_CONCURRENCY = 4;

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
  const batch = new StateBatch(store, clock);
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
      const run = new BackupRun(deps, options, store, batch);
      try {
        return await run.run(startedAt);
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
      batch.flush();
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

class BackupRun {
  #deps: BackupDeps;
  #options: BackupOptions;
  #store: StateStore;
  #runId = 0;
  #owner = {
    nsid: "",
    username: "",
    realname: undefined as string | undefined,
  };
  #warnings: string[] = [];
  #totals = {
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
  };
  #progress = { done: 0, total: 0, failed: 0, bytes: 0 };
  /** Failed in this run for a reason that may pass (see retryFailed). */
  #retryable = new Set<string>();
  /** Limits downloads to `--concurrency` (set when the downloads start). */
  #network = new Gate(1);
  #goneAlbums: AlbumRow[] = [];
  /** Finished photos' state writes, committed a batch at a time. */
  #batch: StateBatch;
  /** Album folders checked and made in this run (one check each, not per file). */
  #folders = new Map<string, string>();
  /** What each folder held before this run wrote to it (see #mediaNames). */
  #listings = new Map<
    string,
    Promise<{ dir: string; files: Set<string> } | undefined>
  >();
  /** Ids of every album deleted on Flickr (fixed once downloads start). */
  #allGoneIds: Set<string> | undefined;
  #listingSuspicious = false;
  /** Why this run's listing cannot be trusted (empty: it can). */
  #listingProblems: string[] = [];
  #albumListIncomplete = false;
  /** Photos confirmed deleted on Flickr in this run (what --prune moves). */
  #confirmedGone = new Set<string>();
  #deletions = { confirmed: 0, stillOnFlickr: 0, unconfirmed: 0 };
  /** One `getListUserRaw` per run, asked when a photo with tags is written. */
  #rawTags?: Promise<RawTagMap>;
  /** One `licenses.getInfo` per run, asked for a licence not in the state. */
  #licenses?: Promise<readonly License[]>;
  #knownLicenses?: License[];
  /** Done photos whose sidecars are rewritten to the current schema. */
  #upgrading = new Set<string>();
  #upgradeFailed = false;
  /** Videos saved per route (see video_source.ts). */
  #videoRoutes: Record<string, number> = {};
  #rememberedRoute?: string;

  constructor(
    deps: BackupDeps,
    options: BackupOptions,
    store: StateStore,
    batch: StateBatch,
  ) {
    this.#deps = deps;
    this.#options = options;
    this.#store = store;
    this.#batch = batch;
  }

  /** True once the listing is over (downloads may have started). */
  listed = false;

  async run(startedAt: Date): Promise<BackupSummary> {
    const { flickr, reporter } = this.#deps;
    const previous = this.#store.lastCompleteListing();
    this.#runId = this.#store.beginRun(startedAt.getTime());

    const login = await flickr.testLogin();
    const person = await flickr.getPersonInfo(login.nsid);
    this.#owner = {
      nsid: login.nsid,
      username: person.username || login.username,
      realname: person.realname,
    };
    let full = this.#options.full || this.#options.prune || !previous;
    reporter.info(
      `Signed in as ${this.#owner.username} (${login.nsid}); ${
        full ? "listing the whole account" : "looking for changes"
      }`,
    );

    const sets = await this.#listAlbumSets();
    await this.#listAlbums(sets, full);
    if (!full && previous) {
      const since = Math.floor(previous.startedAt / 1000) - RECENT_MARGIN_S;
      await this.#listRecentlyUpdated(since);
      const known = this.#store.aliveCount();
      if (person.photosCount !== undefined && known !== person.photosCount) {
        reporter.info(
          `Flickr counts ${person.photosCount} photos and videos, the backup knows ${known}: listing the whole account to find what changed`,
        );
        full = true;
        await this.#listAlbums(sets, true);
      } else {
        this.#store.carryPhotos(this.#runId);
      }
    }
    if (full) {
      await this.#listNotInSet();
      await this.#findDeleted();
    }
    this.#checkAborted();
    await this.#findDeletedAlbums();
    this.#goneAlbums = this.#store.markAlbumsGone(this.#runId);
    if (this.#listingProblems.length === 0) {
      this.#store.markListingComplete(
        this.#runId,
        full ? "full" : "incremental",
      );
    }
    await this.#applyFolderNames();
    if (this.#options.prune) await this.#prune();

    this.listed = true;
    const todo = this.#store.photosToProcess(this.#runId);
    const refresh = this.#store.photosToRefresh(this.#runId);
    // Sidecars of an older schema are rewritten in place (no download).
    const schema = String(SIDECAR_SCHEMA_VERSION);
    if (this.#store.getMeta(SIDECAR_SCHEMA_KEY) !== schema) {
      const stale = this.#store.donePhotos(this.#runId).filter((id) =>
        !refresh.includes(id)
      );
      if (stale.length === 0) this.#store.setMeta(SIDECAR_SCHEMA_KEY, schema);
      for (const id of stale) this.#upgrading.add(id);
      refresh.push(...stale);
      if (stale.length) {
        reporter.info(
          `Upgrading the sidecars and metadata of ${stale.length} item(s) to sidecar schema ${schema} (no download)`,
        );
      }
    }
    const counts = this.#store.counts(this.#runId);
    this.#totals.listed = counts.total;
    this.#totals.alreadyDone = counts.total - todo.length;
    if (
      full && person.photosCount !== undefined &&
      person.photosCount !== counts.total
    ) {
      this.#warn(
        `Flickr reports ${person.photosCount} photos and videos but the listing returned ${counts.total}; the report below shows what is on disk`,
      );
    }
    reporter.info(
      `${counts.total} photos and videos on Flickr: ${this.#totals.alreadyDone} already backed up, ${todo.length} to fetch${
        refresh.length ? `, ${refresh.length} to update` : ""
      }`,
    );

    this.#progress = {
      done: 0,
      total: todo.length + refresh.length,
      failed: 0,
      bytes: 0,
    };
    reporter.progress(this.#progress);
    const work = [
      ...todo.map((id) => ({ id, refresh: false })),
      ...refresh.map((id) => ({ id, refresh: true })),
    ];
    let interrupted = false;
    try {
      // `--concurrency` downloads at once; as many finished files are
      // checked, tagged and recorded meanwhile, outside the gate, so local
      // work overlaps the network instead of pausing it.
      const downloads = Math.max(1, this.#options.concurrency);
      this.#network = new Gate(downloads);
      await this.#deps.files.runQueue(
        work,
        (item, signal) => this.#processPhoto(item.id, item.refresh, signal),
        { concurrency: downloads * 2, signal: this.#options.signal },
      );
    } catch (error) {
      if (!this.#options.signal.aborted) throw error;
      interrupted = true;
    }
    if (this.#options.signal.aborted) interrupted = true;
    this.#batch.flush();
    if (!interrupted) interrupted = await this.#retryFailed();
    this.#batch.flush();
    if (!interrupted && !this.#upgradeFailed && this.#upgrading.size) {
      this.#store.setMeta(SIDECAR_SCHEMA_KEY, String(SIDECAR_SCHEMA_VERSION));
    }
    return this.#summarize(startedAt, person.photosCount, interrupted);
  }

  /** Extra passes over this run's retryable failures; true if aborted. */
  async #retryFailed(): Promise<boolean> {
    const store = this.#store;
    const stillFailed = () =>
      [...this.#retryable].filter((id) => store.photo(id)?.status === "failed");
    try {
      await retryPasses(
        stillFailed,
        async (ids) => {
          this.#retryable.clear();
          this.#progress.failed -= ids.length;
          await this.#deps.files.runQueue(
            ids,
            (id, signal) => this.#processPhoto(id, false, signal),
            {
              concurrency: Math.max(1, this.#options.concurrency) * 2,
              signal: this.#options.signal,
            },
          );
        },
        ({ count, delayMs, pass }) =>
          this.#deps.reporter.info(
            `${count} item(s) failed for a reason that may pass; pass ${pass} in ${
              Math.round(delayMs / 1000)
            } s`,
          ),
        {
          clock: this.#deps.clock,
          signal: this.#options.signal,
          budgetMs: this.#options.retryForMs ?? 600_000,
          firstDelayMs: this.#options.retryFirstDelayMs ?? 15_000,
          maxPasses: 6,
        },
      );
    } catch (error) {
      if (!this.#options.signal.aborted) throw error;
      return true;
    }
    // Only now are these final: say so (they were details until here).
    for (const id of stillFailed()) {
      const row = store.photo(id);
      this.#deps.reporter.warn(
        `Cannot back up ${
          photoPageUrl(
            JSON.parse(row!.infoJson) as FlickrPhoto,
            this.#owner.nsid,
          )
        }: ${row!.lastError}`,
      );
    }
    return false;
  }

  #checkAborted(): void {
    if (this.#options.signal.aborted) throw this.#options.signal.reason;
  }

  #warn(message: string): void {
    this.#warnings.push(message);
    this.#deps.reporter.warn(message);
  }

  #listOptions(
    what: string,
    onProblem?: () => void,
  ): BackupListOptions {
    return {
      signal: this.#options.signal,
      onVerdict: (verdict) => {
        const problem = verdictProblem(what, verdict);
        if (!problem) return;
        onProblem?.();
        this.#listingProblem(problem);
      },
    };
  }

  /** A listing that cannot be trusted: shown even with --quiet. */
  #listingProblem(message: string): void {
    this.#listingProblems.push(message);
    this.#deps.reporter.error(message);
  }

  async #listAlbumSets(): Promise<AlbumSet[]> {
    const sets: AlbumSet[] = [];
    let position = 0;
    for await (
      const set of this.#deps.flickr.listPhotosets(
        this.#listOptions(
          "The list of albums",
          () => this.#albumListIncomplete = true,
        ),
      )
    ) {
      if (!isFlickrId(set.id)) {
        this.#warn(
          `Skipping an album Flickr listed with the invalid id "${set.id}"`,
        );
        continue;
      }
      const count = set.countPhotos + set.countVideos;
      this.#store.upsertAlbum({
        id: set.id,
        title: set.title,
        description: set.description,
        position: position++,
        dateUpdate: set.dateUpdate,
        expectedCount: count,
      }, this.#runId);
      sets.push({
        id: set.id,
        title: set.title,
        dateUpdate: set.dateUpdate,
        count,
        minimum: declaredMinimum(set),
      });
    }
    return sets;
  }

  /** Lists the photos of every album (`all`) or of the changed ones. */
  async #listAlbums(sets: AlbumSet[], all: boolean): Promise<void> {
    this.#checkAborted();
    const toList = sets.filter((set) => {
      if (
        all || this.#store.albumNeedsListing(set.id, set.dateUpdate, set.count)
      ) return true;
      this.#store.carryAlbumMemberships(set.id, this.#runId);
      return false;
    });
    // A few albums at once: each page is a round trip, and the pacer still
    // bounds the calls per hour. Each batch is one synchronous transaction,
    // so the order in which albums arrive does not matter.
    await this.#deps.files.runQueue(
      toList,
      (set) => this.#listAlbum(set),
      {
        concurrency: Math.min(LISTING_CONCURRENCY, toList.length || 1),
        signal: this.#options.signal,
      },
    );
  }

  async #listAlbum(set: AlbumSet): Promise<void> {
    let index = 0;
    let batch: FlickrPhoto[] = [];
    const flush = () => {
      const start = index - batch.length;
      this.#store.transaction(() => {
        batch.forEach((photo, offset) => {
          this.#recordPhoto(photo);
          this.#store.recordMembership(
            set.id,
            photo.id,
            start + offset,
            this.#runId,
          );
        });
      });
      batch = [];
    };
    let verdict: ListingVerdict | undefined;
    try {
      for await (
        const photo of this.#deps.flickr.listPhotosetPhotos(set.id, {
          extras: LISTING_EXTRAS,
          signal: this.#options.signal,
          onVerdict: (v) => verdict = v,
        })
      ) {
        batch.push(photo);
        index++;
        if (batch.length >= BATCH) flush();
      }
    } catch (error) {
      if (!(error instanceof FlickrNotFoundError)) throw error;
      // Deleted between photosets.getList and getPhotos: skip it; the next
      // run confirms the deletion. Its copies stay where they are.
      if (batch.length) flush();
      this.#store.carryAlbumMemberships(set.id, this.#runId);
      this.#warn(
        `Album "${set.title}" vanished from Flickr while it was being listed; skipped (its folder is kept)`,
      );
      return;
    }
    if (batch.length) flush();
    const problem = verdictProblem(`Album "${set.title}"`, verdict) ??
      (index < set.minimum
        ? `Album "${set.title}": Flickr counts at least ${set.minimum} item(s) but listed ${index}`
        : undefined);
    if (problem) {
      // Not trusted: keep every copy where it was, list it again next run.
      this.#store.carryAlbumMemberships(set.id, this.#runId);
      this.#listingProblem(
        `${problem}; nothing is moved or deleted for this album`,
      );
      return;
    }
    // Only now is the album known to be listed in full.
    this.#store.markAlbumListed(
      set.id,
      set.dateUpdate,
      set.count,
      this.#runId,
    );
  }

  async #listNotInSet(): Promise<void> {
    await this.#recordAll(
      this.#deps.flickr.listNotInSet({
        extras: LISTING_EXTRAS,
        ...this.#listOptions("The photos in no album"),
      }),
    );
  }

  async #listRecentlyUpdated(since: number): Promise<void> {
    await this.#recordAll(
      this.#deps.flickr.listRecentlyUpdated(since, {
        extras: LISTING_EXTRAS,
        ...this.#listOptions("The recently updated photos"),
      }),
    );
  }

  async #recordAll(photos: AsyncIterable<FlickrPhoto>): Promise<void> {
    let batch: FlickrPhoto[] = [];
    const flush = () => {
      this.#store.transaction(() => batch.forEach((p) => this.#recordPhoto(p)));
      batch = [];
    };
    for await (const photo of photos) {
      batch.push(photo);
      if (batch.length >= BATCH) flush();
    }
    if (batch.length) flush();
  }

  /**
   * After a full listing: a photo it missed is deleted on Flickr only when
   * the listing was complete and `flickr.photos.getInfo` answers "not
   * found". Deleted photos stay in the backup and are reported.
   */
  async #findDeleted(): Promise<void> {
    const unseen = this.#store.unseenPhotos(
      this.#runId,
      this.#options.prune ?? false,
    );
    if (!unseen.length) return;
    const alive = unseen.filter((row) => !row.deletedOnFlickr).map((r) => r.id);
    const listed = this.#store.counts(this.#runId).total;
    if (listed === 0 && alive.length) {
      this.#listingSuspicious = true;
      this.#listingProblem(
        `Flickr listed no photos at all while the backup holds ${alive.length}; treating that as a Flickr problem, not as deletions`,
      );
    }
    if (this.#listingProblems.length) {
      this.#store.keepPhotos(alive, this.#runId, false);
      this.#deletions.unconfirmed = alive.length;
      if (alive.length) {
        this.#deps.reporter.error(
          `Flickr's listing was incomplete, so the ${alive.length} photo(s) it did not list are not marked deleted`,
        );
      }
      return;
    }
    const result = await confirmDeletions(
      unseen.map((row) => row.id),
      (id) => this.#deps.flickr.getPhotoInfo(id),
      { signal: this.#options.signal },
    );
    this.#store.keepPhotos(result.present, this.#runId, true);
    this.#store.keepPhotos(
      result.unknown.filter((id) => alive.includes(id)),
      this.#runId,
      false,
    );
    this.#store.markPhotosGone(result.gone);
    for (const id of result.gone) this.#confirmedGone.add(id);
    this.#deletions = {
      confirmed: result.gone.length,
      stillOnFlickr: result.present.length,
      unconfirmed: result.unknown.length,
    };
    if (result.present.length) {
      this.#warn(
        `Flickr's listing missed ${result.present.length} photo(s) that Flickr still has; they are kept as they are`,
      );
    }
    if (result.sampled) {
      this.#listingProblem(
        `${unseen.length} photos are missing from Flickr's listing, too many to confirm one by one; no deletion is declared this run (a sample of ${result.asked} was asked: ${result.present.length} still on Flickr)`,
      );
    } else if (result.unknown.length) {
      this.#warn(
        `${result.unknown.length} photo(s) missing from the listing could not be confirmed deleted; they stay in the backup unchanged`,
      );
    }
    if (result.gone.length) {
      this.#warn(
        `${result.gone.length} photo(s) are no longer on Flickr (confirmed); they stay in the backup${
          this.#options.prune ? "" : " (--prune moves them to .trash/)"
        }`,
      );
    }
  }

  /**
   * Albums the album list did not include: deleted only when that list was
   * complete and `flickr.photosets.getInfo` answers "not found"; otherwise
   * kept with their copies.
   */
  async #findDeletedAlbums(): Promise<void> {
    const missing = this.#store.albumsNotSeen(this.#runId);
    if (!missing.length) return;
    let keep = missing.map((album) => album.id);
    if (!this.#albumListIncomplete) {
      const result = await confirmDeletions(
        keep,
        (id) => this.#deps.flickr.getPhotosetInfo(id),
        { signal: this.#options.signal },
      );
      keep = [...result.present, ...result.unknown];
      if (keep.length) {
        this.#warn(
          `${keep.length} album(s) missing from Flickr's album list are not confirmed deleted; their folders are kept as they are`,
        );
      }
    }
    for (const id of keep) this.#store.carryAlbum(id, this.#runId);
  }

  /** Moves photos deleted on Flickr to `.trash/<date>/` (never deletes). */
  async #prune(): Promise<void> {
    // Only deletions Flickr confirmed in this run (getInfo "not found").
    const gone = this.#store.gonePhotos().filter((row) =>
      this.#confirmedGone.has(row.id)
    );
    if (!gone.length) return;
    const known = gone.length + this.#store.counts(this.#runId).total;
    if (
      this.#listingSuspicious || (gone.length > 10 && gone.length * 2 > known)
    ) {
      this.#warn(
        `Not pruning: ${gone.length} of ${known} photos would move to the trash, which looks like a Flickr problem rather than deletions; nothing was moved`,
      );
      return;
    }
    const stamp = new Date(this.#deps.clock.now()).toISOString().slice(0, 10);
    const trash = `.trash/${stamp}`;
    for (const row of gone) {
      // Files of this photo only: never a folder (Unsorted/ included).
      const paths = new Set(
        [row.relPath, ...this.#store.placements(row.id).map((p) => p.relPath)]
          .filter((rel) =>
            rel.includes("/") &&
            (rel.split("/").pop() ?? "").startsWith(`${row.id}.`)
          ),
      );
      for (const rel of paths) {
        for (const suffix of ["", ".json", ".xmp"]) {
          await moveInto(this.#options.root, rel + suffix, trash);
        }
      }
      this.#store.markPruned(row.id, trash);
      this.#deps.reporter.detail(`pruned ${row.id} → ${trash}/`);
    }
    this.#deps.reporter.info(
      `Moved ${gone.length} photo(s) deleted on Flickr to ${trash}/`,
    );
  }

  /** Gives new albums folders and renames folders of renamed albums. */
  async #applyFolderNames(): Promise<void> {
    const albums = this.#store.albums();
    const alive = albums.filter((album) => !album.deletedOnFlickr);
    const gone = albums.filter((album) =>
      album.deletedOnFlickr && album.folder
    );
    const names = this.#deps.files.folderNames(
      alive.map((album) => ({ id: album.id, title: album.title })),
    );
    const taken = new Set(gone.map((album) => album.folder.toLowerCase()));
    for (const album of alive) {
      let name = names.get(album.id) ?? album.id;
      // A deleted album's folder stays, so a new one never merges into it.
      if (taken.has(name.toLowerCase()) && album.folder !== name) {
        name = `${name} (${album.id})`;
      }
      if (album.folder === name) continue;
      if (!album.folder) {
        this.#store.setAlbumFolder(album.id, name);
        continue;
      }
      const from = await pathInside(this.#options.root, album.folder);
      const to = await pathInside(this.#options.root, name);
      await refuseLink(from, "folder");
      if (!(await exists(from))) {
        this.#store.renameFolder(album.id, album.folder, name);
      } else if (await exists(to)) {
        this.#warn(
          `Album "${album.title}" was renamed but "${name}" already exists; keeping the folder "${album.folder}"`,
        );
      } else {
        await Deno.rename(from, to);
        this.#store.renameFolder(album.id, album.folder, name);
        this.#deps.reporter.info(
          `Album renamed on Flickr: "${album.folder}" → "${name}"`,
        );
      }
    }
  }

  #recordPhoto(photo: FlickrPhoto): void {
    this.#store.recordListedPhoto(
      {
        id: photo.id,
        media: photo.media,
        lastUpdate: photo.lastUpdate ?? 0,
        originalSecret: photo.originalSecret ?? "",
      },
      JSON.stringify(photo),
      this.#runId,
    );
  }

  async #processPhoto(
    id: string,
    refresh: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const row = this.#store.photo(id);
    if (!row) return;
    const photo = JSON.parse(row.infoJson) as FlickrPhoto;
    const albums = this.#store.albumsOf(id, this.#runId);
    const folders = albums.length
      ? albums.map((album) => ({ albumId: album.id, folder: album.folder }))
      : [{ albumId: "", folder: UNSORTED }];
    const url = photoPageUrl(photo, this.#owner.nsid);
    try {
      if (!isFlickrId(photo.id)) {
        throw new AppError(
          `Flickr listed a photo with the invalid id "${photo.id}"; it is not saved`,
          ExitCode.Partial,
        );
      }
      let saved: SavedFile | undefined;
      if (refresh) {
        saved = await this.#existingCanonical(row);
      } else {
        // A file under its final name is only adopted when the state has
        // no record of it (lost state, or a crash before it was recorded);
        // a replaced original is always fetched again.
        const adopt = row.sha256 === "";
        const folder = folders[0]!.folder;
        saved = await this.#network.run(
          () =>
            photo.media === "video"
              ? this.#saveVideo(photo, folder, signal, adopt)
              : this.#savePhoto(photo, folder, signal, adopt),
          signal,
        );
      }
      if (!saved) {
        this.#totals.skipped++;
        this.#store.markSkipped(
          id,
          "no original available (--originals-only)",
        );
        this.#deps.reporter.detail(
          `skipped ${id}: no original available (--originals-only)`,
        );
        return;
      }
      if (
        refresh &&
        (photo.lastUpdate !== row.appliedUpdate || this.#upgrading.has(id))
      ) {
        await breakHardLinks(saved.path);
      }
      const placements = await this.#finish(
        photo,
        albums,
        folders,
        saved,
        row.relPath,
      );
      const done = {
        variant: refresh
          ? row.variant
          : saved.variant.kind === "original"
          ? "original"
          : `${saved.variant.kind}:${saved.variant.label}`,
        relPath: saved.relPath,
        bytes: saved.finalBytes,
        sha256: saved.finalSha256,
        appliedUpdate: photo.lastUpdate ?? 0,
        appliedAlbums: this.#store.albumSignature(id, this.#runId),
        sourceBytes: saved.variant.bytes,
        sourceSha256: saved.variant.sha256Downloaded,
        savedJson: JSON.stringify(saved.variant),
        placements,
      };
      // Recorded with the next batch; a large file at once (it is costly to
      // recognise again after a crash).
      this.#batch.add(
        () => this.#store.markDone(id, done),
        saved.finalBytes >= URGENT_BYTES,
      );
      if (refresh) this.#totals.updated++;
      this.#progress.done++;
      this.#deps.reporter.detail(
        refresh
          ? `updated ${id} (${saved.relPath})`
          : `${
            saved.adopted ? "recognised" : "saved"
          } ${id} → ${saved.relPath} (${saved.variant.kind} ${saved.variant.label}, ${saved.variant.bytes} bytes)`,
      );
    } catch (error) {
      if (signal.aborted || this.#options.signal.aborted) throw error;
      const local = sqliteLocalError(error, this.#store.path);
      if (local) throw local;
      if (isFatal(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (refresh) {
        if (this.#upgrading.has(id)) this.#upgradeFailed = true;
        this.#warn(`Cannot update ${url}: ${message}`);
        this.#progress.failed++;
        return;
      }
      this.#store.markFailed(id, message);
      this.#totals.failed++;
      this.#progress.failed++;
      if (mayPass(error) && (this.#options.retryForMs ?? 600_000) > 0) {
        // Tried again after the main pass; warned about if it still fails.
        this.#retryable.add(id);
        this.#deps.reporter.detail(`Cannot back up ${url} yet: ${message}`);
      } else this.#deps.reporter.warn(`Cannot back up ${url}: ${message}`);
    } finally {
      this.#deps.reporter.progress(this.#progress);
    }
  }

  /** The file of a done photo, for a metadata or album update. */
  async #existingCanonical(row: PhotoRow): Promise<SavedFile> {
    const path = await pathInside(this.#options.root, row.relPath);
    if (!(await exists(path))) {
      throw new AppError(
        `"${row.relPath}" is missing from the backup: run "flickr-backup verify --repair"`,
        ExitCode.Partial,
      );
    }
    const [kind, label] = row.variant.split(":");
    const recorded = JSON.parse(row.savedJson) as Partial<SavedVariant>;
    return {
      relPath: row.relPath,
      path,
      adopted: false,
      variant: {
        kind: recorded.kind ?? ((kind as SavedVariant["kind"]) || "original"),
        label: recorded.label ?? label ?? "o",
        bytes: row.sourceBytes,
        sha256Downloaded: row.sourceSha256,
        ...(recorded.width ? { width: recorded.width } : {}),
        ...(recorded.height ? { height: recorded.height } : {}),
        ...(recorded.source ? { source: recorded.source } : {}),
      },
      finalBytes: row.bytes,
      finalSha256: row.sha256,
    };
  }

  async #savePhoto(
    photo: FlickrPhoto,
    folder: string,
    signal: AbortSignal,
    adopt: boolean,
  ): Promise<SavedFile | undefined> {
    let source = sourceFromListing(photo);
    if (!source) {
      source = sourceFromSizes(
        photo,
        await this.#deps.flickr.getSizes(photo.id),
      );
    }
    if (!source) {
      throw new AppError(
        "Flickr lists no downloadable size for this photo",
        ExitCode.Partial,
      );
    }
    if (source.kind !== "original" && this.#options.originalsOnly) {
      return undefined;
    }
    return await this.#fetch(photo, folder, source, "image", signal, {
      adopt,
    });
  }

  async #saveVideo(
    photo: FlickrPhoto,
    folder: string,
    signal: AbortSignal,
    adopt: boolean,
  ): Promise<SavedFile | undefined> {
    const { flickr } = this.#deps;
    if (adopt) {
      const existing = await this.#findExisting(folder, photo.id, "video");
      if (existing) return existing;
    }
    // Each answer is asked for at most once, and only when a route needs it.
    let sizes: Promise<PhotoSize[]> | undefined;
    let streams: Promise<VideoStream[]> | undefined;
    const getSizes = () => sizes ??= flickr.getSizes(photo.id);
    const getStreams = () =>
      streams ??= flickr.getVideoStreams(photo.id, photo.secret);
    const tried: string[] = [];
    let lastError: unknown;
    let attempted = false;
    const note = (route: VideoRoute, error: unknown) => {
      lastError = error;
      tried.push(
        `${route}: ${error instanceof Error ? error.message : String(error)}`,
      );
    };
    for (const route of routeOrder(this.#videoRoute())) {
      if (route === "best-stream" && this.#options.originalsOnly) break;
      let sources: PhotoSource[] | StreamSource[] = [];
      try {
        if (route === "orig-unsigned" || route === "orig-signed") {
          const original = originalFromSizes(await getSizes());
          if (original) sources = [original];
        } else if (route === "stream-orig") {
          const original = originalFromStreams(await getStreams());
          if (original) sources = [original];
        } else {
          const none = (error: unknown): PhotoSize[] & VideoStream[] => {
            if (isFatal(error)) throw error;
            return [];
          };
          const offered = await getStreams().catch(none);
          // getSizes only when getStreamInfo offered nothing to choose from.
          const known = offered.length
            ? await (sizes ?? Promise.resolve([])).catch(none)
            : await getSizes().catch(none);
          sources = bestStreams(offered, known);
        }
      } catch (error) {
        if (signal.aborted || isFatal(error)) throw error;
        note(route, error);
        continue;
      }
      if (!sources.length) tried.push(`${route}: not offered`);
      for (const source of sources) {
        attempted = true;
        try {
          const saved = await this.#fetch(
            photo,
            folder,
            source,
            "video",
            signal,
            { signed: route === "orig-signed" },
          );
          this.#videoRouteWorked(route);
          this.#deps.reporter.detail(
            `video ${photo.id}: ${
              route === "best-stream"
                ? `no original, best stream "${source.label}"`
                : "original"
            } via ${route}${
              tried.length ? ` (tried ${tried.join("; ")})` : ""
            }`,
          );
          return saved;
        } catch (error) {
          if (signal.aborted || isFatal(error)) throw error;
          note(route, error);
        }
      }
    }
    // --originals-only: a video with no original offered is skipped.
    if (this.#options.originalsOnly && !attempted) return undefined;
    throw lastError instanceof Error ? lastError : new AppError(
      "Flickr offers no downloadable stream for this video",
      ExitCode.Partial,
    );
  }

  /** The video route remembered for this account (state), if any. */
  #videoRoute(): string | undefined {
    this.#rememberedRoute ??= this.#store.getMeta(VIDEO_ROUTE_KEY) ?? "";
    return this.#rememberedRoute || undefined;
  }

  /** Counts a route that worked and remembers an original one. */
  #videoRouteWorked(route: VideoRoute): void {
    this.#videoRoutes[route] = (this.#videoRoutes[route] ?? 0) + 1;
    if (isOriginalRoute(route) && route !== this.#videoRoute()) {
      this.#rememberedRoute = route;
      this.#store.setMeta(VIDEO_ROUTE_KEY, route);
    }
  }

  /** Finds an intact file left by an earlier run (or a lost state). */
  async #findExisting(
    folder: string,
    id: string,
    expect: "image" | "video",
    extension?: string,
  ): Promise<SavedFile | undefined> {
    const listing = await this.#mediaNames(folder);
    if (!listing) return undefined; // no folder yet: nothing to adopt
    const { dir, files } = listing;
    const names = extension
      ? [`${id}.${extension}`].filter((name) => files.has(name))
      : [...files].filter((name) =>
        name.startsWith(`${id}.`) && name.split(".").length === 2
      );
    for (const name of names) {
      const path = join(dir, name);
      const check = await inspectFile(path, expect);
      if (!check) continue;
      // The sidecar beside it remembers what Flickr served (the file may
      // hold our metadata since): keep that hash and size, not the file's.
      const served = await servedFromSidecar(`${path}.json`, id);
      return {
        relPath: `${folder}/${name}`,
        path,
        adopted: true,
        variant: served ?? {
          kind: "original",
          label: "existing",
          bytes: check.bytes,
          sha256Downloaded: check.sha256,
        },
        finalBytes: check.bytes,
        finalSha256: check.sha256,
      };
    }
    return undefined;
  }

  async #fetch(
    photo: FlickrPhoto,
    folder: string,
    source: PhotoSource | (Omit<PhotoSource, "kind"> & { kind: "stream" }),
    expect: "image" | "video",
    signal: AbortSignal,
    options: { signed?: boolean; adopt?: boolean } = {},
  ): Promise<SavedFile> {
    if (expect === "image" && options.adopt) {
      const existing = await this.#findExisting(
        folder,
        photo.id,
        expect,
        source.extension,
      );
      if (existing) {
        existing.variant = {
          ...existing.variant,
          kind: source.kind,
          label: source.label,
        };
        return existing;
      }
    }
    await this.#folder(folder);
    // A listed format that is not a known extension is not trusted: the
    // bytes name the file once they are here.
    const planned = knownExtension(source.extension);
    let relName = `${photo.id}.${planned ?? "download"}`;
    let path = await pathInside(this.#options.root, `${folder}/${relName}`);
    const result = await this.#deps.downloader.download({
      url: source.url,
      dest: path,
      expect,
      signal,
      syncDir: false, // #finish fsyncs the folder once for all its files
      onProgress: (delta) => {
        this.#progress.bytes += delta;
        this.#totals.bytesDownloaded += delta;
      },
      ...(options.signed
        ? {
          openResponse: (url: string) =>
            this.#deps.flickr.signedGet(url, signal),
        }
        : {}),
    });
    // The extension follows the bytes (PNG bytes at a .jpg URL are a .png).
    const suggested = knownExtension(
      result.suggestedExtension?.replace(/^\./, ""),
    );
    const byBytes = knownExtension(
      chooseExtension(
        planned,
        result.kind as Parameters<typeof chooseExtension>[1],
      ),
    ) ?? suggested;
    const finalExt = expect === "video" && suggested && suggested !== planned
      ? suggested
      : byBytes;
    if (!finalExt) {
      await Deno.remove(path).catch(() => undefined);
      throw new AppError(
        `the file Flickr sent is not a format flickr-backup knows (${result.kind})`,
        ExitCode.Partial,
      );
    }
    if (finalExt !== planned) {
      const renamed = `${photo.id}.${finalExt}`;
      const target = await pathInside(
        this.#options.root,
        `${folder}/${renamed}`,
      );
      await Deno.rename(path, target);
      relName = renamed;
      path = target;
    }
    this.#totals.downloaded++;
    const variant: SavedVariant = {
      kind: source.kind,
      label: source.label,
      bytes: result.bytes,
      sha256Downloaded: result.sha256,
      ...(source.width ? { width: source.width } : {}),
      ...(source.height ? { height: source.height } : {}),
    };
    return {
      relPath: `${folder}/${relName}`,
      path,
      adopted: false,
      variant,
      finalBytes: result.bytes,
      finalSha256: result.sha256,
    };
  }

  /**
   * Writes metadata, the sidecars and the album copies of a saved file, and
   * removes copies from albums the photo left (never from albums deleted on
   * Flickr, whose folders stay). Returns the placements now on disk.
   */
  async #finish(
    photo: FlickrPhoto,
    albums: { id: string; title: string }[],
    folders: { albumId: string; folder: string }[],
    saved: SavedFile,
    recordedRel: string,
  ): Promise<{ albumId: string; relPath: string }[]> {
    const { files } = this.#deps;
    const root = this.#options.root;
    if (saved.adopted) this.#totals.adopted++;
    const fileName = saved.relPath.split("/").pop()!;
    // The first album folder holds the canonical file.
    const canonicalRel = `${folders[0]!.folder}/${fileName}`;
    if (canonicalRel !== saved.relPath) {
      await this.#folder(folders[0]!.folder);
      const canonical = await pathInside(root, canonicalRel);
      await files.linkOrCopy(saved.path, canonical, "hardlink");
      await this.#copyXmp(saved.path, canonical);
      saved.relPath = canonicalRel;
      saved.path = canonical;
    }
    const tags = presentTags(photo, await this.#rawTagMap(photo));
    const license = await this.#licenseOf(photo);
    const meta = embedInput(photo, this.#owner, { tags, license });
    let embedded: SidecarContext["embedded"] = {
      status: "disabled",
      warnings: [],
    };
    let dateInFile: SidecarContext["dateInFile"] = { source: "none" };
    let xmpSidecar: string | undefined;
    if (this.#options.embed) {
      // Idempotent: a file that already holds these values is "unchanged".
      const outcome = await files.embedMetadata(
        saved.path,
        meta,
        saved.finalBytes,
        false,
      );
      xmpSidecar = outcome.xmpSidecar;
      embedded = {
        status: outcome.format === "other" && xmpSidecar
          ? "xmp-sidecar"
          : outcome.status === "unchanged"
          ? "written"
          : outcome.status,
        warnings: outcome.warnings,
      };
      dateInFile = {
        source: outcome.dateSource ?? "none",
        ...(outcome.dateValue ? { value: outcome.dateValue } : {}),
      };
      for (const warning of outcome.warnings) {
        this.#deps.reporter.detail(`metadata ${photo.id}: ${warning}`);
      }
      if (outcome.written) {
        saved.finalBytes = outcome.written.bytes;
        saved.finalSha256 = outcome.written.sha256;
      }
    }
    const sidecar = JSON.stringify(
      buildSidecar({
        photo,
        owner: this.#owner,
        albums: albums.map((a) => ({ id: a.id, title: a.title })),
        saved: saved.variant,
        dateInFile,
        embedded,
        backedUpAt: new Date(this.#deps.clock.now()),
        tags,
        ...(license ? { license } : {}),
      }),
      null,
      2,
    ) + "\n";
    const placements: { albumId: string; relPath: string }[] = [];
    const wanted = new Set<string>();
    for (const [index, place] of folders.entries()) {
      const dir = await this.#folder(place.folder);
      const relPath = `${place.folder}/${fileName}`;
      wanted.add(relPath);
      if (index > 0) {
        await files.linkOrCopy(
          saved.path,
          join(dir, fileName),
          this.#options.albumLinks,
        );
        if (xmpSidecar) {
          await files.linkOrCopy(
            xmpSidecar,
            join(dir, `${fileName}.xmp`),
            "copy",
          );
        }
      }
      await files.atomicWriteFile(join(dir, `${fileName}.json`), sidecar, {
        syncDir: false,
      });
      placements.push({ albumId: place.albumId, relPath });
    }
    // One fsync per folder for the renames of the file (downloaded and
    // tagged) and its sidecar, before the state may say "done".
    for (const place of folders) await files.syncDir(join(root, place.folder));
    // Copies the photo no longer has: left albums go, deleted albums stay.
    const goneAlbumIds = new Set(this.#goneAlbums.map((album) => album.id));
    this.#allGoneIds ??= new Set(
      this.#store.goneAlbums().map((album) => album.id),
    );
    const allGone = this.#allGoneIds;
    const previous = this.#store.placements(photo.id);
    const stale = [
      ...previous.map((p) => ({ albumId: p.albumId, relPath: p.relPath })),
    ];
    if (recordedRel && !previous.some((p) => p.relPath === recordedRel)) {
      stale.push({ albumId: "", relPath: recordedRel });
    }
    for (const old of stale) {
      if (wanted.has(old.relPath)) continue;
      if (goneAlbumIds.has(old.albumId) || allGone.has(old.albumId)) {
        placements.push(old); // the deleted album's folder keeps its copy
        continue;
      }
      for (const suffix of ["", ".json", ".xmp"]) {
        const stalePath = await pathInside(root, old.relPath + suffix).catch(
          () => undefined,
        );
        if (stalePath) await Deno.remove(stalePath).catch(() => undefined);
      }
    }
    return placements;
  }

  /**
   * Raw tag spellings for a photo that has tags of its own: one
   * `flickr.tags.getListUserRaw` per run (kept in the state as a fallback
   * when Flickr cannot answer); never asked in a run that writes no tags.
   */
  #rawTagMap(photo: FlickrPhoto): Promise<RawTagMap | undefined> {
    if (!hasOwnTags(photo)) return Promise.resolve(undefined);
    this.#rawTags ??= this.#loadRawTags();
    return this.#rawTags;
  }

  async #loadRawTags(): Promise<RawTagMap> {
    try {
      const map = await this.#deps.flickr.getRawTags();
      this.#store.setMeta(RAW_TAGS_KEY, JSON.stringify([...map]));
      return map;
    } catch (error) {
      if (isFatal(error)) throw error;
      const saved = this.#store.getMeta(RAW_TAGS_KEY);
      this.#warn(
        `Cannot read the tags' raw spellings from Flickr (${
          error instanceof Error ? error.message : String(error)
        }); using ${
          saved ? "those an earlier run saved" : "Flickr's cleaned tags"
        }`,
      );
      return new Map(saved ? JSON.parse(saved) as [string, string[]][] : []);
    }
  }

  /**
   * A photo's licence, named: from the table kept in the state, else one
   * `flickr.photos.licenses.getInfo` per run, else the built-in table.
   */
  async #licenseOf(photo: FlickrPhoto): Promise<License | undefined> {
    const id = photo.license;
    if (id === undefined) return undefined;
    this.#knownLicenses ??= JSON.parse(
      this.#store.getMeta(LICENSES_KEY) ?? "[]",
    ) as License[];
    const known = this.#knownLicenses.find((license) => license.id === id);
    if (known) return known;
    this.#licenses ??= this.#loadLicenses();
    return licenseFor(id, await this.#licenses);
  }

  async #loadLicenses(): Promise<readonly License[]> {
    try {
      const table = await this.#deps.flickr.getLicenses();
      this.#store.setMeta(LICENSES_KEY, JSON.stringify(table));
      this.#knownLicenses = table;
      return table;
    } catch (error) {
      if (isFatal(error)) throw error;
      this.#warn(
        `Cannot read Flickr's licence names (${
          error instanceof Error ? error.message : String(error)
        }); using the built-in table`,
      );
      return [];
    }
  }

  /**
   * The media file names a folder held when this run first looked (one
   * listing per folder and run instead of a failed stat per new photo), or
   * undefined when there is no such folder.
   */
  #mediaNames(
    folder: string,
  ): Promise<{ dir: string; files: Set<string> } | undefined> {
    let listing = this.#listings.get(folder);
    if (!listing) {
      listing = (async () => {
        const dir = await pathInside(this.#options.root, folder);
        await refuseLink(dir, "folder");
        const files = new Set<string>();
        try {
          for await (const entry of Deno.readDir(dir)) {
            if (
              entry.isFile && !entry.name.endsWith(".json") &&
              !entry.name.endsWith(".xmp") && !entry.name.startsWith(".")
            ) files.add(entry.name);
          }
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) return undefined;
          throw error;
        }
        return { dir, files };
      })();
      this.#listings.set(folder, listing);
    }
    return listing;
  }

  /** folderInside() once per folder and run: checked and made, then known. */
  async #folder(folder: string): Promise<string> {
    let dir = this.#folders.get(folder);
    if (dir === undefined) {
      dir = await folderInside(this.#options.root, folder);
      this.#folders.set(folder, dir);
    }
    return dir;
  }

  async #copyXmp(fromMedia: string, toMedia: string): Promise<void> {
    if (await exists(`${fromMedia}.xmp`)) {
      await this.#deps.files.linkOrCopy(
        `${fromMedia}.xmp`,
        `${toMedia}.xmp`,
        "copy",
      );
    }
  }

  #summarize(
    startedAt: Date,
    flickrCount: number | undefined,
    interrupted: boolean,
  ): BackupSummary {
    const store = this.#store;
    const runId = this.#runId;
    const counts = store.counts(runId);
    const albums: AlbumReport[] = store.albumCompleteness(runId).map((
      entry,
    ) => ({
      id: entry.album.id,
      title: entry.album.title,
      folder: entry.album.folder,
      expected: entry.album.expectedCount,
      listed: entry.listed,
      present: entry.done,
    }));
    const failedRows = store.photosWithStatus("failed", runId);
    const nonOriginalRows = store.nonOriginalPhotos(runId);
    const ownerUrl = (row: { infoJson: string; id: string }) =>
      photoPageUrl(JSON.parse(row.infoJson) as FlickrPhoto, this.#owner.nsid);
    const unsorted = store.unsortedCompleteness(runId);
    const listingComplete = this.#listingProblems.length === 0;
    const complete = !interrupted && counts.failed === 0 &&
      counts.pending === 0 && listingComplete;
    const apiCalls = this.#deps.flickr.stats();
    const summary: BackupSummary = {
      result: interrupted ? "interrupted" : complete ? "complete" : "partial",
      exitCode: complete ? ExitCode.Ok : ExitCode.Partial,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(this.#deps.clock.now()).toISOString(),
      account: {
        nsid: this.#owner.nsid,
        username: this.#owner.username,
        ...(flickrCount !== undefined ? { flickrCount } : {}),
      },
      totals: {
        ...this.#totals,
        listed: counts.total,
        present: counts.done,
        pending: counts.pending,
        failed: counts.failed,
        skipped: counts.skipped,
        nonOriginal: counts.nonOriginal,
      },
      albums,
      unsorted: { listed: unsorted.listed, present: unsorted.done },
      failedIds: failedRows.map((row) => ({
        id: row.id,
        error: row.lastError,
        url: ownerUrl(row),
      })),
      nonOriginal: nonOriginalRows.map((row) => ({
        id: row.id,
        variant: row.variant,
        url: ownerUrl(row),
      })),
      apiCalls,
      apiCallsTotal: Object.values(apiCalls).reduce((a, b) => a + b, 0),
      warnings: this.#warnings,
      videoRoutes: { ...this.#videoRoutes },
      listing: {
        complete: listingComplete,
        problems: [...this.#listingProblems],
        deletions: { ...this.#deletions },
      },
    };
    store.finishRun(runId, this.#deps.clock.now(), summary.result, summary);
    return summary;
  }
}

interface AlbumSet {
  id: string;
  title: string;
  dateUpdate: number;
  count: number;
  /** Fewest items the album can hold by photosets.getList's counts. */
  minimum: number;
}

/** State keys: sidecar schema of the files, cached raw tags and licences. */
const SIDECAR_SCHEMA_KEY = "sidecar_schema";
/** The video route that last gave an original for this account. */
const VIDEO_ROUTE_KEY = "video_route";
const RAW_TAGS_KEY = "flickr_raw_tags";
const LICENSES_KEY = "flickr_licenses";

/** A finished file this large is recorded at once, not with the batch. */
const URGENT_BYTES = 8_000_000;

/** How far back `recentlyUpdated` looks before the last listing (clock skew). */
const RECENT_MARGIN_S = 3600;

/**
 * Gives `path` its own copy of the bytes when other album folders share its
 * inode, so that rewriting its metadata (temp file + rename) is allowed; the
 * album copies are linked to the new file afterwards.
 */
export async function breakHardLinks(path: string): Promise<void> {
  const info = await Deno.stat(path);
  if ((info.nlink ?? 1) <= 1) return;
  const temp = join(
    dirname(path),
    `.${path.split(/[\\/]/).pop()}.${crypto.randomUUID().slice(0, 8)}.fbtmp`,
  );
  try {
    await Deno.copyFile(path, temp);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => undefined);
    throw error;
  }
}

/** What an earlier run's sidecar says Flickr served, if it is one of ours. */
async function servedFromSidecar(
  path: string,
  id: string,
): Promise<SavedVariant | undefined> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile || info.size > 1024 * 1024) return undefined;
    const json = JSON.parse(await Deno.readTextFile(path));
    const saved = json?.saved;
    if (
      json?.id !== id || typeof saved !== "object" || saved === null ||
      !Number.isSafeInteger(saved.bytes) ||
      !/^[0-9a-f]{64}$/.test(String(saved.sha256_downloaded))
    ) return undefined;
    const kind = ["original", "large", "stream"].includes(saved.variant)
      ? saved.variant
      : "original";
    const size = (n: unknown) =>
      typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : undefined;
    const width = size(saved.width);
    const height = size(saved.height);
    return {
      kind,
      label: typeof saved.label === "string" ? saved.label : "existing",
      bytes: saved.bytes,
      sha256Downloaded: saved.sha256_downloaded,
      ...(width ? { width } : {}),
      ...(height ? { height } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Moves `<root>/<rel>` to `<root>/<trash>/<rel>` if it exists. */
async function moveInto(root: string, rel: string, trash: string) {
  const from = await pathInside(root, rel);
  if (!(await exists(from))) return;
  const to = await pathInside(root, `${trash}/${rel}`);
  await folderInside(root, dirname(`${trash}/${rel}`));
  await Deno.rename(from, to);
}

interface SavedFile {
  relPath: string;
  path: string;
  adopted: boolean;
  variant: SavedVariant;
  finalBytes: number;
  finalSha256: string;
}

/** A failure that another try later may not repeat (network, 5xx, 429). */
function mayPass(error: unknown): boolean {
  if (error instanceof DownloadFailedError) return error.transient;
  return error instanceof UnavailableError;
}

/** Errors that stop the whole run instead of failing one photo. */
function isFatal(error: unknown): boolean {
  if (!(error instanceof AppError)) return !(error instanceof Error);
  return error.exitCode === ExitCode.Auth ||
    error.exitCode === ExitCode.LocalFatal ||
    error.exitCode === ExitCode.Locked ||
    error.exitCode === ExitCode.Interrupted ||
    error.exitCode === ExitCode.Terminated;
}

/** The fields written into files, from a listed photo. */
export function embedInput(
  photo: FlickrPhoto,
  owner: { nsid: string; username: string; realname?: string | undefined },
  named: { tags?: { keywords: string[] }; license?: License | undefined } = {},
): EmbedInput {
  const license = photo.license === undefined
    ? undefined
    : named.license ?? licenseFor(photo.license);
  return {
    // The owner's own tags in their spelling; machine tags never.
    tags: (named.tags ?? presentTags(photo)).keywords,
    dateTakenGranularity:
      ([4, 6, 8] as const).find((g) => g === photo.dateTakenGranularity) ?? 0,
    dateTakenUnknown: photo.dateTakenUnknown,
    ...(photo.title ? { title: photo.title } : {}),
    ...(photo.description ? { description: photo.description } : {}),
    ...(photo.dateTaken ? { dateTaken: photo.dateTaken } : {}),
    ...(photo.geo
      ? { latitude: photo.geo.latitude, longitude: photo.geo.longitude }
      : {}),
    creator: owner.realname || photo.ownerName || owner.username,
    ...(license !== undefined
      ? { rights: licenseRights(license, owner.realname || owner.username) }
      : {}),
    flickrUrl: photoPageUrl(photo, owner.nsid),
  };
}

/** Size and SHA-256 of a file, streamed. */
export async function hashFile(
  path: string,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * Checks that a file under a final name is a whole image or video (only
 * ever true for files this tool renamed into place after checking).
 */
export async function inspectFile(
  path: string,
  expect: "image" | "video",
): Promise<{ bytes: number; sha256: string } | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile || info.size < 8) return undefined;
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(16);
  await file.read(head);
  const isJpeg = head[0] === 0xff && head[1] === 0xd8;
  const isPng = head[0] === 0x89 && head[1] === 0x50;
  const isGif = head[0] === 0x47 && head[1] === 0x49;
  const isBox = String.fromCharCode(...head.subarray(4, 8)) === "ftyp" ||
    String.fromCharCode(...head.subarray(4, 8)) === "moov" ||
    String.fromCharCode(...head.subarray(0, 4)) === "RIFF";
  if (expect === "image" && !(isJpeg || isPng || isGif || isBox)) {
    return undefined;
  }
  if (expect === "video" && !isBox) return undefined;
  if (isJpeg) {
    const tailSize = Math.min(info.size, 65536);
    const tail = new Uint8Array(tailSize);
    await file.seek(info.size - tailSize, Deno.SeekMode.Start);
    let read = 0;
    while (read < tailSize) {
      const n = await file.read(tail.subarray(read));
      if (n === null) break;
      read += n;
    }
    let hasEoi = false;
    for (let i = tailSize - 2; i >= 0; i--) {
      if (tail[i] === 0xff && tail[i + 1] === 0xd9) {
        hasEoi = true;
        break;
      }
    }
    if (!hasEoi) return undefined;
  }
  return await hashFile(path);
}
