/**
 * The composition root of a backup run: the real Flickr client, pacer,
 * downloader and file/metadata operations wired into `BackupDeps`. The CLI
 * reaches them only through `backupAccount` (backup_account.ts).
 *
 * @module
 */

import type { HttpClient } from "../http/http_client.ts";
import type { Clock } from "../platform/clock.ts";
import { flickrEndpoints } from "../flickr/endpoints.ts";
import { createFlickrClient } from "../flickr/client.ts";
import { DEFAULT_PER_HOUR, Pacer } from "../http/pacer.ts";
import { createDownloader } from "../download/file_download.ts";
import { runQueue } from "../download/download_queue.ts";
import {
  embedMetadata,
  type EmbedResult,
  setFileTimes,
} from "../metadata/embed.ts";
import {
  embedJpegBytes,
  embedSmallJpeg,
  SMALL_FILE_BYTES,
} from "../metadata/embed_small.ts";
import { dateResolutionToLocalDate } from "../metadata/fields.ts";
import { atomicWriteFile, fsyncDir, linkOrCopy } from "../platform/fs.ts";
import { releaseBytes } from "../platform/collect_garbage.ts";
import { albumFolderNames } from "./folder_names.ts";
import type { Reporter } from "./reporter.ts";
import type {
  BackupDeps,
  BackupFiles,
  EmbedInput,
  EmbedOutcome,
} from "./backup_ports.ts";

/** The HTTP client `main.ts` passes down (the CLI only forwards it). */
export type { HttpClient };

/**
 * Photos below this size are fetched again rather than resumed (and kept in
 * memory until written: IN_MEMORY_MAX_BYTES in save_media.ts).
 */
const RESUME_MIN_BYTES = 1_000_000;

/** What the real parts are built from. */
export interface ComposeBackupInput {
  http: HttpClient;
  clock: Clock;
  /** `FLICKR_ENDPOINT` (the fake Flickr of tests); the real one if unset. */
  endpoint?: string | undefined;
  reporter: Reporter;
  keys: { apiKey: string; apiSecret: string };
  tokens: { oauthToken: string; oauthTokenSecret: string };
  /** Calls per hour (--api-budget). */
  apiBudget?: number | undefined;
  /** Base delay of retries (--retry-delay, in ms). */
  retryDelayMs: number;
  /** Longest wait for an answer or for download progress (--timeout, ms). */
  timeoutMs: number;
  /** Aborts calls in flight and every later one (listing included). */
  signal: AbortSignal;
}

/** The real dependencies of a run. */
export function composeBackup(input: ComposeBackupInput): BackupDeps {
  const { http, clock, reporter } = input;
  const pacer = new Pacer({
    clock,
    perHour: input.apiBudget ?? DEFAULT_PER_HOUR,
  });
  const flickr = createFlickrClient({
    http,
    clock,
    pacer,
    endpoints: flickrEndpoints(input.endpoint),
    credentials: {
      consumerKey: input.keys.apiKey,
      consumerSecret: input.keys.apiSecret,
      token: input.tokens.oauthToken,
      tokenSecret: input.tokens.oauthTokenSecret,
    },
    retry: { baseMs: input.retryDelayMs },
    // SIGINT/SIGTERM abort calls in flight and every later one (listing
    // included); no call waits longer than --timeout for its answer.
    signal: input.signal,
    requestTimeoutMs: input.timeoutMs,
    onRetry: (event) => reporter.detail(event.message),
  });
  const downloader = createDownloader({
    http,
    clock,
    baseDelayMs: input.retryDelayMs,
    idleTimeoutMs: input.timeoutMs,
    resumeMinBytes: RESUME_MIN_BYTES,
  });
  return { flickr, downloader, files: realFiles(), clock, reporter, pacer };
}

/** The file-system and metadata operations of a run, on the real disk. */
export function realFiles(): BackupFiles {
  return {
    embedMetadata: (path, meta, size, syncDir) =>
      embedFile(path, meta, size, syncDir),
    writeMedia: async (path, bytes, meta) => {
      const small = meta ? embedJpegBytes(bytes, meta) : undefined;
      if (!small) {
        await atomicWriteFile(path, bytes, { syncDir: false });
        return meta
          ? await embedFile(path, meta, bytes.length, false)
          : undefined;
      }
      // Written once: the new header and the very bytes served after it,
      // the date taken as the file's modification time.
      const mtime = dateResolutionToLocalDate(small.result.date);
      await atomicWriteFile(path, small.next ?? bytes, {
        syncDir: false,
        ...(mtime ? { mtime } : {}),
      });
      // The run is done with these bytes: free them now, not at the next
      // full GC (a buffer that lived across the fsync is in V8's old space,
      // and ~20 photos in progress make megabytes of such garbage a second).
      releaseBytes(bytes);
      if (small.next) releaseBytes(small.next);
      return outcomeOf(small.result);
    },
    atomicWriteFile: (path, data, writeOptions) =>
      atomicWriteFile(path, data, writeOptions),
    syncDir: (dir) => fsyncDir(dir),
    linkOrCopy: (source, dest, mode, linkOptions) =>
      linkOrCopy(source, dest, mode, linkOptions),
    folderNames: (albums) => albumFolderNames(albums),
    runQueue: (items, worker, queueOptions) =>
      runQueue(items, worker, queueOptions),
  };
}

/** Metadata written into a file on disk; its mtime set to the date taken. */
async function embedFile(
  path: string,
  meta: EmbedInput,
  size: number | undefined,
  syncDir: boolean | undefined,
): Promise<EmbedOutcome> {
  // The file's modification time is the date taken (sorts right in
  // file browsers and photo apps that fall back to it).
  const small = size !== undefined && size <= SMALL_FILE_BYTES
    ? await embedSmallJpeg(path, meta, {
      mtimeFor: dateResolutionToLocalDate,
      ...(syncDir === false ? { syncDir } : {}),
    })
    : undefined;
  const result = small ?? await embedMetadata(path, meta);
  if (!small) {
    const taken = dateResolutionToLocalDate(result.date);
    if (taken) await setFileTimes(path, taken);
  }
  return outcomeOf(result);
}

/** What the run records of an embedding. */
export function outcomeOf(result: EmbedResult): EmbedOutcome {
  const sidecar = result.sidecar;
  return {
    status: result.status,
    format: result.format,
    warnings: result.warnings,
    dateSource: result.dateSource,
    ...(result.date.xmpDate ? { dateValue: result.date.xmpDate } : {}),
    ...(sidecar && sidecar.status !== "skipped"
      ? { xmpSidecar: sidecar.path }
      : {}),
    ...(result.sha256 !== undefined && result.bytes !== undefined
      ? { written: { bytes: result.bytes, sha256: result.sha256 } }
      : {}),
  };
}
