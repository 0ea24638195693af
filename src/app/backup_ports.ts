/**
 * The ports of a backup run: what it is given (Flickr, the downloader, the
 * files and metadata operations, a clock, a reporter), its options, and the
 * summary it returns. `src/cli/` and `main.ts` provide the real parts.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";
import type { FlickrPhoto, PhotoSize } from "../flickr/api_types.ts";
import type { PhotoMetadata } from "../metadata/fields.ts";
import type { Reporter } from "./reporter.ts";
import type { License } from "./licenses.ts";
import type { ListingVerdict } from "./listing.ts";

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
  /** The checked bytes, kept in memory: nothing was written at `dest`. */
  body?: Uint8Array;
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
    /** A body declared this small may come back in memory (`body`). */
    memoryMaxBytes?: number;
    /** The folder exists and holds no part or resume data for `dest`. */
    fresh?: boolean;
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
  /**
   * Writes downloaded bytes held in memory to `path` at once (temp file,
   * fsync, rename; the caller fsyncs the folder), with the metadata written
   * into them when `meta` is given: in memory for a JPEG whose header can
   * be rewritten, else into the written file as {@link embedMetadata} does.
   * Takes `bytes`: once written they may be freed (detached), so the caller
   * must not read them afterwards.
   */
  writeMedia(
    path: string,
    bytes: Uint8Array,
    meta: EmbedInput | undefined,
  ): Promise<EmbedOutcome | undefined>;
  atomicWriteFile(
    path: string,
    data: string,
    options?: { syncDir?: boolean },
  ): Promise<void>;
  /** Fsyncs a folder, making the renames into it durable. */
  syncDir(dir: string): Promise<void>;
  /** `syncDir: false`: the caller fsyncs the folder (default: done here). */
  linkOrCopy(
    source: string,
    dest: string,
    mode: "hardlink" | "copy" | "symlink",
    options?: { syncDir?: boolean },
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
  /**
   * Downloads at once, exactly; undefined: adapted to the files' sizes
   * (4 to 32, see download/download_pace.ts).
   */
  concurrency?: number | undefined;
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
