/**
 * The downloader's public shapes: what to fetch, what came back, its options,
 * the failure every caller sees, and the settings the parts share.
 *
 * @module
 */

import { AppError, ExitCode } from "../errors.ts";
import type { HttpClient } from "../http/http_client.ts";
import { type Clock } from "../platform/clock.ts";
import { type Expectation, type FileKind } from "./_magic.ts";

/** One file to fetch. */
export interface DownloadRequest {
  /** Source URL; its query string never appears in errors or results. */
  url: string;
  /** Final absolute path; its directory is created if missing. */
  dest: string;
  /** What the bytes must be, by magic number. */
  expect: Expectation;
  /** Aborts the download; a resumable part is kept. */
  signal?: AbortSignal;
  /** Called with the number of bytes written, chunk by chunk. */
  onProgress?: (deltaBytes: number) => void;
  /**
   * Makes the first request of each attempt instead of the HTTP client (for
   * example an OAuth-signed request that answers with a redirect). Redirects
   * it returns are followed with the plain client, without its credentials.
   */
  openResponse?: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * Fsync the folder after the rename (default true). False: the caller
   * does it, once for several files it writes there.
   */
  syncDir?: boolean;
  /**
   * A fresh body that declares at most this many bytes (identity encoding)
   * is kept in memory instead of a part file: it is checked the same way,
   * nothing is written at `dest`, and the result's `body` holds the bytes
   * for the caller to write once. Default: always a part file.
   */
  memoryMaxBytes?: number;
  /**
   * The caller knows that `dest`'s folder exists and holds no part file or
   * resume data for it (it listed the folder): the look for them is
   * skipped. Default false.
   */
  fresh?: boolean;
}

/** What was downloaded. */
export interface DownloadResult {
  /** Size of the file now at `dest` (or of `body`). */
  bytes: number;
  /** Hex SHA-256 of the file at `dest` (or of `body`). */
  sha256: string;
  /**
   * The checked bytes when they were kept in memory (see
   * `DownloadRequest.memoryMaxBytes`): then nothing was written at `dest`.
   */
  body?: Uint8Array;
  /** The URL that served the bytes, after redirects, without its query. */
  finalUrl: string;
  contentType?: string;
  etag?: string;
  kind: FileKind;
  /**
   * Extension from `Content-Disposition`, else from the final URL path, else
   * from the magic bytes; a declared extension that contradicts the magic
   * bytes (PNG bytes named `.jpg`) is replaced by the right one.
   */
  suggestedExtension?: string;
  /** True when bytes from an earlier attempt or run were kept. */
  resumed: boolean;
  /** HTTP attempts made (1 when the first one succeeded). */
  attempts: number;
}

/** The file a partial download is written to (a test and DI seam). */
export interface PartFile {
  write(p: Uint8Array): Promise<number>;
  truncate(len?: number): Promise<void>;
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
  sync(): Promise<void>;
  close(): void;
}

/** Options of {@link createDownloader}. */
export interface DownloaderOptions {
  http: HttpClient;
  clock: Clock;
  /** HTTP attempts per download, the first included (default 5). */
  attempts?: number;
  /** First backoff delay before jitter (default 1 s). */
  baseDelayMs?: number;
  /** Longest backoff delay (default 60 s). */
  maxDelayMs?: number;
  /** A body (or headers) silent this long is aborted and retried (2 min). */
  idleTimeoutMs?: number;
  /**
   * Minimum progress: a body that brings fewer than `bytes` in any `windowMs`
   * (default 16 KiB a minute) is a stall too, however steadily it drips.
   */
  minProgress?: { bytes: number; windowMs: number };
  /** A longer `Retry-After` fails the item instead of waiting (5 min). */
  maxRetryAfterMs?: number;
  /**
   * Files smaller than this get no resume data (a write and a remove per
   * file): after an interruption they are fetched again from byte 0.
   * Default 0: every file with a strong ETag is resumable.
   */
  resumeMinBytes?: number;
  /** Uniform in [0, 1) for jitter (default `Math.random`). */
  random?: () => number;
  /** Opens the part file (default `Deno.open`); tests inject failures. */
  openFile?: (path: string, options: Deno.OpenOptions) => Promise<PartFile>;
}

/** Downloads files. */
export interface Downloader {
  /**
   * Downloads `req.url` to `req.dest`.
   *
   * @throws {DownloadFailedError} the item failed (after retries, or at once
   *   for a permanent cause); the run can go on.
   * @throws {LocalFatalError} disk full, read-only or permission trouble.
   * @throws the signal's reason when `req.signal` aborts.
   */
  download(req: DownloadRequest): Promise<DownloadResult>;
}

/** Fields of a {@link DownloadFailedError}. */
export interface DownloadFailure {
  /** URL without its query string. */
  url: string;
  /** Why, for people; never contains a query string. */
  reason: string;
  /** True when trying again later may work. */
  transient: boolean;
  /** The last HTTP status, when there was one. */
  status?: number;
}

/** One file could not be downloaded; the run goes on (exit code 3). */
export class DownloadFailedError extends AppError {
  readonly url: string;
  readonly reason: string;
  readonly transient: boolean;
  readonly status?: number;

  constructor(failure: DownloadFailure, message?: string) {
    super(
      message ?? `Cannot download "${failure.url}": ${failure.reason}`,
      ExitCode.Partial,
    );
    this.name = "DownloadFailedError";
    this.url = failure.url;
    this.reason = failure.reason;
    this.transient = failure.transient;
    if (failure.status !== undefined) this.status = failure.status;
  }
}
export interface Settings {
  http: HttpClient;
  clock: Clock;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  idleTimeoutMs: number;
  minProgress: { bytes: number; windowMs: number };
  maxRetryAfterMs: number;
  resumeMinBytes: number;
  random: () => number;
  openFile: (path: string, options: Deno.OpenOptions) => Promise<PartFile>;
}
