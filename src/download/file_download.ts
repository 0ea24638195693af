/**
 * Downloads one URL to one file, safely (RELIABILITY §0, §4).
 *
 * - The body streams into `.<name>.fbpart` next to the target and is renamed
 *   into place only after its size, type and (for JPEG) end marker are
 *   checked and it is fsynced. Nothing incomplete is ever under the final
 *   name. Memory does not grow with the file size.
 * - A `.fbpart` of a response with a strong ETag is resumable: its ETag, URL
 *   path and size sit in `.<name>.fbpart.json`, and the next attempt (or run)
 *   asks for `Range: bytes=N-` with `If-Range: <etag>`. Every answer to a
 *   range request is checked; anything doubtful restarts from byte 0.
 * - Network trouble is retried with bounded, jittered backoff and
 *   `Retry-After`; local trouble (disk full, read-only) never is.
 * - Redirects are followed by hand (at most 5), refusing https → http.
 *
 * The engine knows URLs and paths only, never Flickr.
 *
 * This file is the public face; the work is split by job: `_retry_loop.ts`
 * (retries), `_attempt.ts` (one attempt), `_redirects.ts`,
 * `_response_check.ts` (status, headers, first bytes), `_part_file.ts`
 * (part files, resume data, sweeping), `_idle_timer.ts`, `_attempt_error.ts`
 * and `_download_types.ts` (the shapes below).
 *
 * @module
 */

import type {
  Downloader,
  DownloaderOptions,
  Settings,
} from "./_download_types.ts";
import { downloadFile } from "./_retry_loop.ts";

export type { Expectation, FileKind } from "./_magic.ts";
export { chooseExtension } from "./_magic.ts";
export type {
  Downloader,
  DownloaderOptions,
  DownloadFailure,
  DownloadRequest,
  DownloadResult,
  PartFile,
} from "./_download_types.ts";
export { DownloadFailedError } from "./_download_types.ts";
export {
  PART_META_SUFFIX,
  PART_SUFFIX,
  type PartPaths,
  partPathsFor,
  type SweepOptions,
  sweepTempFiles,
} from "./_part_file.ts";
/** Creates a {@link Downloader}. */
export function createDownloader(options: DownloaderOptions): Downloader {
  const settings: Settings = {
    http: options.http,
    clock: options.clock,
    attempts: Math.max(1, options.attempts ?? 5),
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 60_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
    minProgress: options.minProgress ?? { bytes: 16 * 1024, windowMs: 60_000 },
    maxRetryAfterMs: options.maxRetryAfterMs ?? 300_000,
    resumeMinBytes: options.resumeMinBytes ?? 0,
    random: options.random ?? Math.random,
    openFile: options.openFile ??
      ((p: string, o: Deno.OpenOptions) => Deno.open(p, o)),
  };
  return { download: (req) => downloadFile(settings, req) };
}
