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
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import * as path from "node:path";
import { AppError, ExitCode, LocalFatalError } from "../errors.ts";
import { backoffDelay, parseRetryAfter } from "../http/backoff.ts";
import type { HttpClient } from "../http/http_client.ts";
import { type Clock, startTimer } from "../platform/clock.ts";
import { type EndCheck, endScannerFor } from "./_body_check.ts";
import {
  classifyFsError,
  fsyncDir,
  readFull,
  TEMP_SUFFIX,
  truncateUtf8,
  writeAll,
} from "../platform/fs.ts";
import {
  extensionFromContentDisposition,
  extensionFromUrl,
  isLoopbackHost,
  isStrongEtag,
  parseContentLength,
  parseContentRange,
  redactText,
  redactUrl,
} from "./_http_headers.ts";
import {
  chooseExtension,
  type Expectation,
  type FileKind,
  hasJpegEnd,
  JPEG_TAIL_BYTES,
  looksLikeHtml,
  matchesExpectation,
  sniff,
  SNIFF_BYTES,
} from "./_magic.ts";

export type { Expectation, FileKind } from "./_magic.ts";
export { chooseExtension } from "./_magic.ts";

/** Suffix of a partial download (`.<name>.fbpart`). */
export const PART_SUFFIX = ".fbpart";
/** Suffix of a partial download's resume data (`.<name>.fbpart.json`). */
export const PART_META_SUFFIX = ".fbpart.json";

/** Statuses worth another try (curl `--retry`, plus 425). */
const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
/** CDN 403/404s that go away when retried: at most this many tries. */
const MAX_FORBIDDEN_OR_NOT_FOUND = 3;
const MAX_REDIRECTS = 5;
/** Longest part-file base name kept verbatim (NAME_MAX is 255 bytes). */
const PART_BASE_MAX_BYTES = 200;
const HASH_READ_CHUNK = 1024 * 1024;

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
}

/** What was downloaded. */
export interface DownloadResult {
  /** Size of the file now at `dest`. */
  bytes: number;
  /** Hex SHA-256 of the file at `dest`. */
  sha256: string;
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

/** Paths of the part file and its resume data for a target. */
export interface PartPaths {
  part: string;
  meta: string;
}

/**
 * Names the part file of `dest`: `.<basename>.fbpart` in the same directory,
 * deterministic so a rerun finds it. A base name over 200 bytes is cut on a
 * UTF-8 boundary and tagged with a hash of the full name, so the part and
 * its `.json` stay under 255 bytes and distinct targets never share a part.
 */
export function partPathsFor(dest: string): PartPaths {
  const dir = path.dirname(dest);
  let base = path.basename(dest);
  if (new TextEncoder().encode(base).length > PART_BASE_MAX_BYTES) {
    const digest = createHash("sha256").update(base).digest("hex").slice(0, 8);
    base = `${truncateUtf8(base, PART_BASE_MAX_BYTES - 10)}~${digest}`;
  }
  const part = path.join(dir, `.${base}${PART_SUFFIX}`);
  return { part, meta: part + ".json" };
}

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

interface Settings {
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

/** What the part file holds: `hash` covers exactly bytes [0, offset). */
interface PartState {
  offset: number;
  hash: Hash;
  /** Strong ETag of the entity in the part; undefined: not resumable. */
  etag: string | undefined;
  /** Full size of that entity, when known. */
  total: number | undefined;
  /** Bytes in the part came from before this attempt. */
  carried: boolean;
  /** The resume data file may exist. */
  metaOnDisk: boolean;
}

interface PartMeta {
  version: 1;
  url: string;
  etag: string;
  size: number | null;
}

type FailureKind = "transient" | "permanent" | "restart";

/** Why one attempt failed; decides retry, restart or give up. */
class AttemptError extends Error {
  constructor(
    readonly kind: FailureKind,
    reason: string,
    readonly extra: {
      status?: number;
      retryAfterMs?: number;
      /** Drop the part: its bytes are not worth resuming. */
      discard?: boolean;
      /** Final message to use verbatim (NotCapable). */
      message?: string;
    } = {},
  ) {
    super(reason);
    this.name = "AttemptError";
  }
}

class IdleTimeoutError extends Error {
  constructor(ms: number, message?: string) {
    super(message ?? `no data received for ${Math.round(ms / 1000)} s`);
    this.name = "IdleTimeoutError";
  }
}

async function downloadFile(
  s: Settings,
  req: DownloadRequest,
): Promise<DownloadResult> {
  const dest = path.resolve(req.dest);
  const dir = path.dirname(dest);
  const paths = partPathsFor(dest);
  const safeUrl = redactUrl(req.url);
  const signal = req.signal;
  signal?.throwIfAborted();
  let protocol: string;
  try {
    protocol = new URL(req.url).protocol;
  } catch {
    protocol = "";
  }
  if (protocol !== "https:" && protocol !== "http:") {
    // fetch() also reads file: and data: URLs; a URL from an API response
    // must never copy local files into the backup.
    throw new DownloadFailedError({
      url: safeUrl,
      reason: "only http and https URLs can be downloaded",
      transient: false,
    });
  }
  await local(dir, () => Deno.mkdir(dir, { recursive: true }));
  const state = await loadPart(paths, safeUrl, signal);

  let attempt = 0;
  let forbiddenOrNotFound = 0;
  try {
    while (true) {
      attempt++;
      try {
        return await attemptOnce(s, req, dest, paths, safeUrl, state, attempt);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (!(err instanceof AttemptError)) throw err;
        if (err.extra.discard) await resetPart(state, paths);
        const status = err.extra.status;
        const fail = (transient: boolean, reason = err.message) =>
          new DownloadFailedError(
            {
              url: safeUrl,
              reason,
              transient,
              ...(status !== undefined ? { status } : {}),
            },
            err.extra.message,
          );
        if (err.kind === "permanent") throw fail(false);
        if (status === 403 || status === 404) {
          forbiddenOrNotFound++;
          if (forbiddenOrNotFound >= MAX_FORBIDDEN_OR_NOT_FOUND) {
            throw fail(
              false,
              `${err.message} (${forbiddenOrNotFound} times)`,
            );
          }
        }
        if (attempt >= s.attempts) {
          throw fail(true, `${err.message} (after ${attempt} attempts)`);
        }
        if (err.kind === "restart") {
          await resetPart(state, paths);
          continue;
        }
        const retryAfter = err.extra.retryAfterMs;
        if (retryAfter !== undefined && retryAfter > s.maxRetryAfterMs) {
          throw fail(
            true,
            `${err.message}; the server asked to wait ${
              Math.ceil(retryAfter / 1000)
            } s, more than the ${Math.ceil(s.maxRetryAfterMs / 1000)} s limit`,
          );
        }
        const delay = retryAfter ?? backoffDelay(
          { baseMs: s.baseDelayMs, maxMs: s.maxDelayMs, jitter: "full" },
          attempt - 1,
          s.random,
        );
        await s.clock.sleep(delay, signal);
      }
    }
  } catch (err) {
    // Expected failures and aborts keep a resumable part for the next run;
    // an unexpected error (a bug) does not trust it.
    const keepPart = (err instanceof AppError || signal?.aborted === true) &&
      isResumable(state);
    if (!keepPart) await removePart(paths);
    throw err;
  }
}

function isResumable(state: PartState): boolean {
  return state.etag !== undefined && state.offset > 0;
}

async function attemptOnce(
  s: Settings,
  req: DownloadRequest,
  dest: string,
  paths: PartPaths,
  safeUrl: string,
  state: PartState,
  attempt: number,
): Promise<DownloadResult> {
  if (!isResumable(state)) await resetPart(state, paths);
  const controller = new AbortController();
  const userSignal = req.signal;
  const onUserAbort = () => controller.abort(userSignal?.reason);
  userSignal?.addEventListener("abort", onUserAbort, { once: true });
  // Aborted while the part was loaded: the listener above never fires.
  if (userSignal?.aborted) controller.abort(userSignal.reason);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const stop = (reason: IdleTimeoutError) => {
    controller.abort(reason);
    reader?.cancel(reason).catch(() => {});
  };
  const idle = new IdleTimer(
    s.clock,
    s.idleTimeoutMs,
    s.minProgress,
    () => stop(new IdleTimeoutError(s.idleTimeoutMs)),
    (bytes, ms) =>
      stop(
        new IdleTimeoutError(
          ms,
          `only ${bytes} bytes arrived in ${
            Math.round(ms / 1000)
          } s (the minimum is ${s.minProgress.bytes})`,
        ),
      ),
  );
  let response: Response | undefined;
  let file: PartFile | undefined;
  try {
    const resuming = isResumable(state);
    const headers = new Headers({ "accept-encoding": "identity" });
    if (resuming && state.etag !== undefined) {
      headers.set("range", `bytes=${state.offset}-`);
      headers.set("if-range", state.etag);
    }
    idle.start();
    const opened = await openFollowingRedirects(
      s,
      req,
      headers,
      controller.signal,
      () => idle.kick(),
    );
    response = opened.response;
    const finalUrl = opened.url;
    idle.kick();
    idle.startBody();
    const plan = checkResponse(response, state, resuming, s.clock.now());

    // Prepare the part file for this response. The part is cut to the bytes
    // this response continues *before* new resume data is written, so resume
    // data never describes bytes of another version of the file.
    if (plan.startAt === 0 && state.offset > 0) await resetPart(state, paths);
    file = await local(
      paths.part,
      () => s.openFile(paths.part, { write: true, create: true }),
    );
    const openFile = file;
    await local(paths.part, async () => {
      await openFile.truncate(state.offset);
      await openFile.seek(state.offset, Deno.SeekMode.Start);
    });
    if (plan.resumableEtag !== undefined) {
      // Resumable within this run; resume data on disk (for the next run)
      // only for files worth it.
      const persist = plan.total === undefined ||
        plan.total >= s.resumeMinBytes;
      if (
        persist && (!state.metaOnDisk || state.etag !== plan.resumableEtag ||
          state.total !== plan.total || state.offset === 0)
      ) {
        state.metaOnDisk = true;
        await writeMeta(paths, {
          version: 1,
          url: safeUrl,
          etag: plan.resumableEtag,
          size: plan.total ?? null,
        });
      } else if (!persist && state.metaOnDisk) {
        await removeFile(paths.meta);
        state.metaOnDisk = false;
      }
      state.etag = plan.resumableEtag;
      state.total = plan.total;
    } else {
      if (state.metaOnDisk) await removeFile(paths.meta);
      state.metaOnDisk = false;
      state.etag = undefined;
      state.total = plan.total;
    }
    const startOffset = state.offset;

    // Stream the body.
    const rawBody: ReadableStream<Uint8Array> | null = response.body;
    if (rawBody === null) {
      throw new AttemptError("transient", "the server sent an empty body", {
        status: response.status,
        discard: true,
      });
    }
    let body = rawBody;
    let encodedBytes = 0;
    if (plan.decoders.length > 0) {
      body = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            encodedBytes += chunk.length;
            c.enqueue(chunk);
          },
        }),
      );
      for (const format of plan.decoders) {
        body = body.pipeThrough(
          new DecompressionStream(format) as unknown as TransformStream<
            Uint8Array,
            Uint8Array
          >,
        );
      }
      body = body.pipeThrough(boundExpansion(() => encodedBytes));
    }
    reader = body.getReader();
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let headChecked = startOffset > 0;
    // Checked while streaming; a resumed body is checked from the file.
    let ending: ReturnType<typeof endScannerFor>;
    const write = async (chunk: Uint8Array) => {
      ending?.push(chunk);
      await local(paths.part, () => writeAll(openFile, chunk)).catch((err) => {
        throw withRoomNeeded(err, (plan.total ?? 0) - state.offset);
      });
      state.hash.update(chunk);
      state.offset += chunk.length;
      req.onProgress?.(chunk.length);
    };
    let streamedHead: Uint8Array | undefined;
    const flushHead = async () => {
      const joined = concat(head, headBytes);
      head.length = 0;
      checkHead(joined, req.expect, response?.status ?? 0);
      ending = endScannerFor(sniff(joined).kind);
      if (startOffset === 0) streamedHead = joined.slice(0, SNIFF_BYTES);
      headChecked = true;
      if (joined.length > 0) await write(joined);
    };
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        throw err;
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      idle.kick(chunk.done ? 0 : chunk.value.length);
      if (chunk.done) break;
      const bytes = chunk.value;
      if (bytes.length === 0) continue;
      if (!headChecked) {
        head.push(bytes);
        headBytes += bytes.length;
        if (headBytes >= SNIFF_BYTES) await flushHead();
      } else {
        await write(bytes);
      }
    }
    reader = undefined;
    if (!headChecked) await flushHead();
    idle.stop();

    // Check what arrived.
    const received = state.offset - startOffset;
    if (plan.decoders.length > 0) {
      if (
        plan.contentLength !== undefined && encodedBytes < plan.contentLength
      ) {
        throw new AttemptError(
          "transient",
          `the connection closed after ${encodedBytes} of ${plan.contentLength} bytes`,
          { status: response.status, discard: true },
        );
      }
    } else if (
      plan.contentLength !== undefined && received !== plan.contentLength
    ) {
      throw new AttemptError(
        "transient",
        `the connection closed after ${received} of ${plan.contentLength} bytes`,
        { status: response.status },
      );
    }
    if (plan.total !== undefined && state.offset !== plan.total) {
      throw new AttemptError(
        "transient",
        `received ${state.offset} of ${plan.total} bytes`,
        { status: response.status },
      );
    }
    if (state.offset === 0) {
      throw new AttemptError("transient", "the server sent an empty body", {
        status: response.status,
        discard: true,
      });
    }
    const sizeVerified = plan.total !== undefined ||
      (plan.decoders.length > 0 && plan.contentLength !== undefined);
    // A body that started at byte 0 was checked as it came in; a resumed
    // one is checked from the file.
    const fileHead = streamedHead ?? await readHead(paths.part, SNIFF_BYTES);
    checkHead(fileHead, req.expect, response.status);
    const sniffed = sniff(fileHead);
    // A JPEG must reach EOI and a PNG IEND, whatever length was declared
    // (a short Content-Length cuts a file "completely").
    let ended = startOffset === 0
      ? ending?.result()
      : await scanEnd(paths.part, sniffed.kind);
    if (ended === "unparsed" && sniffed.kind === "jpeg") {
      const tail = await readTail(paths.part, state.offset, JPEG_TAIL_BYTES);
      ended = hasJpegEnd(tail) ? "complete" : "truncated";
    }
    if (ended === "truncated") {
      throw new AttemptError(
        "transient",
        `the ${sniffed.kind.toUpperCase()} is truncated (no end marker)${
          sizeVerified ? "" : " and the server sent no length"
        }`,
        { status: response.status, discard: true },
      );
    }

    // Promote: fsync, close, rename (after close, for Windows), fsync dir.
    await local(paths.part, () => openFile.sync());
    openFile.close();
    file = undefined;
    await local(dest, () => Deno.rename(paths.part, dest));
    if (req.syncDir !== false) {
      await local(dest, () => fsyncDir(path.dirname(dest)));
    }
    if (state.metaOnDisk) await removeFile(paths.meta);

    const declaredExt = extensionFromContentDisposition(
      response.headers.get("content-disposition"),
    ) ?? extensionFromUrl(finalUrl);
    const suggestedExtension = chooseExtension(declaredExt, sniffed.kind);
    const contentType = response.headers.get("content-type") ?? undefined;
    const etag = response.headers.get("etag") ?? state.etag;
    return {
      bytes: state.offset,
      sha256: state.hash.digest("hex"),
      finalUrl: redactUrl(finalUrl),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(etag !== undefined ? { etag } : {}),
      kind: sniffed.kind,
      ...(suggestedExtension !== undefined ? { suggestedExtension } : {}),
      resumed: state.carried || startOffset > 0,
      attempts: attempt,
    };
  } catch (err) {
    throw toAttemptError(err, response?.status);
  } finally {
    idle.stop();
    userSignal?.removeEventListener("abort", onUserAbort);
    if (reader !== undefined) await reader.cancel().catch(() => {});
    else if (response?.body && !response.bodyUsed) {
      await response.body.cancel().catch(() => {});
    }
    try {
      file?.close();
    } catch {
      // Already closed.
    }
  }
}

/** What to do with a 200/206 response. */
interface ResponsePlan {
  /** Byte offset the body starts at in the file (0 or the part size). */
  startAt: number;
  /** Full size of the entity, when known (Content-Length or Content-Range). */
  total: number | undefined;
  /** Content-Length of the body as sent (encoded bytes when encoded). */
  contentLength: number | undefined;
  /** Strong ETag that makes this response resumable, if any. */
  resumableEtag: string | undefined;
  /** DecompressionStream formats to apply, in order. */
  decoders: CompressionFormat[];
}

function checkResponse(
  response: Response,
  state: PartState,
  resuming: boolean,
  nowMs: number,
): ResponsePlan {
  const status = response.status;
  if (status === 416) {
    throw new AttemptError(
      "restart",
      "the server could not serve the rest of the partial file",
      { status, discard: true },
    );
  }
  if (status !== 200 && status !== 206) {
    // statusText is server-chosen: keep it short and printable.
    const text = response.statusText.replace(/[^\x20-\x7e]/g, "").slice(0, 60);
    const what = `the server answered ${status}${text ? ` ${text}` : ""}`;
    if (RETRYABLE_STATUSES.has(status)) {
      const retryAfterMs = parseRetryAfter(
        response.headers.get("retry-after"),
        nowMs,
      );
      throw new AttemptError("transient", what, {
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (status === 403 || status === 404) {
      throw new AttemptError("transient", what, { status });
    }
    throw new AttemptError("permanent", what, { status });
  }

  const mime = (response.headers.get("content-type") ?? "").split(";")[0]
    ?.trim().toLowerCase();
  if (mime === "text/html" || mime === "application/xhtml+xml") {
    throw new AttemptError(
      "transient",
      `the server sent an HTML page (status ${status}) instead of the file`,
      // Nothing was written yet: a resumable part survives an error page.
      { status },
    );
  }

  const decoders = decodersFor(response.headers.get("content-encoding"));
  if (decoders === undefined) {
    throw new AttemptError(
      "permanent",
      `the server used an unsupported content-encoding "${
        response.headers.get("content-encoding")
      }"`,
      { status, discard: true },
    );
  }
  const contentLength = parseContentLength(
    response.headers.get("content-length"),
  );
  const etag = response.headers.get("etag");

  if (status === 200) {
    if (contentLength === 0) {
      throw new AttemptError("transient", "the server sent an empty body", {
        status,
        discard: !resuming,
      });
    }
    const encoded = decoders.length > 0;
    return {
      startAt: 0,
      total: encoded ? undefined : contentLength,
      contentLength,
      resumableEtag: !encoded && isStrongEtag(etag) ? etag : undefined,
      decoders,
    };
  }

  // 206 Partial Content.
  const range = parseContentRange(response.headers.get("content-range"));
  const expectedStart = resuming ? state.offset : 0;
  const problem = decoders.length > 0
    ? "a compressed partial response"
    : range === undefined
    ? "a partial response without a valid Content-Range"
    : range.start !== expectedStart
    ? `bytes from ${range.start} when asked from ${expectedStart}`
    : range.total === undefined || range.end !== range.total - 1
    ? "a partial response that does not reach the end of the file"
    : resuming && state.total !== undefined && range.total !== state.total
    ? `a file of ${range.total} bytes where ${state.total} were expected`
    : resuming && etag !== null && etag !== state.etag
    ? "a different version of the file"
    : contentLength !== undefined &&
        contentLength !== range.end - range.start + 1
    ? "a partial response whose length disagrees with its range"
    : undefined;
  if (problem !== undefined || range === undefined) {
    throw new AttemptError(
      "restart",
      `the server sent ${problem ?? "an invalid partial response"}`,
      { status, discard: true },
    );
  }
  const entityEtag = resuming ? state.etag : etag;
  return {
    startAt: expectedStart,
    total: range.total,
    contentLength,
    resumableEtag: isStrongEtag(entityEtag) ? entityEtag : undefined,
    decoders,
  };
}

function decodersFor(
  value: string | null,
): CompressionFormat[] | undefined {
  if (value === null) return [];
  const codings = value.split(",").map((c) => c.trim().toLowerCase()).filter(
    (c) => c !== "" && c !== "identity",
  );
  const formats: CompressionFormat[] = [];
  // Codings are listed in the order they were applied; undo them in reverse.
  for (const coding of codings.reverse()) {
    if (coding === "gzip" || coding === "x-gzip") formats.push("gzip");
    else if (coding === "deflate") formats.push("deflate");
    else if (coding === "br") formats.push("brotli");
    else return undefined;
  }
  return formats;
}

function checkHead(head: Uint8Array, expect: Expectation, status: number) {
  if (head.length === 0) {
    throw new AttemptError("transient", "the server sent an empty body", {
      status,
      discard: true,
    });
  }
  if (looksLikeHtml(head)) {
    throw new AttemptError(
      "transient",
      `the server sent an HTML page (status ${status}) instead of the file`,
      { status, discard: true },
    );
  }
  const sniffed = sniff(head);
  if (!matchesExpectation(sniffed, expect)) {
    throw new AttemptError(
      "permanent",
      `expected ${expect === "image" ? "an image" : "a video"} but the data ${
        sniffed.kind === "other"
          ? "is not a known format"
          : `is ${sniffed.kind}`
      }`,
      { status, discard: true },
    );
  }
}

async function openFollowingRedirects(
  s: Settings,
  req: DownloadRequest,
  headers: Headers,
  signal: AbortSignal,
  onHop: () => void,
): Promise<{ response: Response; url: URL }> {
  const original = new URL(req.url);
  const plainHttpAllowed = original.protocol === "http:" &&
    isLoopbackHost(original.hostname);
  let url = original;
  for (let hop = 0;; hop++) {
    const init: RequestInit = {
      method: "GET",
      headers,
      redirect: "manual",
      signal,
    };
    let response: Response;
    try {
      response = hop === 0 && req.openResponse
        ? await req.openResponse(url.href, init)
        : await s.http(new Request(url.href, init));
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof Deno.errors.NotCapable) {
        const host = url.hostname;
        throw new AttemptError(
          "permanent",
          `the host "${host}" is not one this program may contact`,
          {
            message: hop === 0
              ? `Cannot download: "${host}" is not a Flickr host this program may contact`
              : `Cannot download: the server redirected to "${host}", which is not a Flickr host this program may contact`,
          },
        );
      }
      if (err instanceof AppError) throw err;
      throw new AttemptError(
        "transient",
        `the request failed: ${redactText(errorMessage(err))}`,
      );
    }
    if (response.status === 0 || response.type === "opaqueredirect") {
      throw new AttemptError(
        "permanent",
        "the HTTP client hid a redirect; it must honour redirect: manual",
      );
    }
    if (![301, 302, 303, 307, 308].includes(response.status)) {
      return { response, url };
    }
    onHop();
    const location = response.headers.get("location");
    await response.body?.cancel().catch(() => {});
    if (location === null) {
      throw new AttemptError(
        "permanent",
        `the server answered ${response.status} without a Location`,
        { status: response.status },
      );
    }
    if (hop >= MAX_REDIRECTS) {
      throw new AttemptError(
        "permanent",
        `more than ${MAX_REDIRECTS} redirects`,
        { status: response.status },
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new AttemptError(
        "permanent",
        "the server redirected to an invalid URL",
        { status: response.status },
      );
    }
    const allowed = next.protocol === "https:" ||
      (next.protocol === "http:" && plainHttpAllowed);
    if (!allowed) {
      throw new AttemptError(
        "permanent",
        `the server redirected to ${next.protocol}//${next.host}${next.pathname}, which is refused (${
          url.protocol === "https:" && next.protocol === "http:"
            ? "https to http downgrade"
            : "not https"
        })`,
        { status: response.status },
      );
    }
    url = next;
  }
}

function toAttemptError(err: unknown, status: number | undefined): unknown {
  if (err instanceof AttemptError || err instanceof AppError) return err;
  if (err instanceof IdleTimeoutError) {
    return new AttemptError("transient", err.message, {
      ...(status !== undefined ? { status } : {}),
    });
  }
  if (err instanceof DOMException && err.name === "AbortError") return err;
  if (err instanceof Error && err.name === "AbortError") return err;
  // Body read errors (reset, short framing, corrupt gzip) are transient.
  if (
    err instanceof TypeError || err instanceof Deno.errors.Http ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.UnexpectedEof ||
    err instanceof Deno.errors.Interrupted
  ) {
    return new AttemptError(
      "transient",
      `reading the body failed: ${redactText(errorMessage(err))}`,
      { ...(status !== undefined ? { status } : {}) },
    );
  }
  return err;
}

// ---------------------------------------------------------------------------
// Part file and resume data

async function loadPart(
  paths: PartPaths,
  safeUrl: string,
  signal: AbortSignal | undefined,
): Promise<PartState> {
  const state: PartState = {
    offset: 0,
    hash: createHash("sha256"),
    etag: undefined,
    total: undefined,
    carried: false,
    metaOnDisk: false,
  };
  let size: number | undefined;
  try {
    const info = await Deno.stat(paths.part);
    size = info.isFile ? info.size : undefined;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw classifyFsError(err, paths.part);
    }
    // No part (the usual case): only resume data may be left over.
    await removeFile(paths.meta);
    return state;
  }
  const meta = await readMeta(paths.meta);
  const usable = meta !== undefined && size !== undefined && size > 0 &&
    meta.url === safeUrl && isStrongEtag(meta.etag) &&
    (meta.size === null || size <= meta.size);
  if (!usable || size === undefined || meta === undefined) {
    await removePart(paths);
    return state;
  }
  // A part already as long as the file was killed before its rename: fetch
  // the last byte again, so the server confirms (If-Range) it is unchanged.
  const offset = meta.size !== null && size === meta.size ? size - 1 : size;
  if (offset <= 0) {
    await removePart(paths);
    return state;
  }
  await local(paths.part, async () => {
    using file = await Deno.open(paths.part, { read: true });
    const buf = new Uint8Array(HASH_READ_CHUNK);
    let remaining = offset;
    while (remaining > 0) {
      signal?.throwIfAborted();
      const n = await readFull(
        file,
        buf.subarray(0, Math.min(buf.length, remaining)),
      );
      if (n === 0) break;
      state.hash.update(buf.subarray(0, n));
      remaining -= n;
    }
    if (remaining > 0) throw new Error("the partial file shrank while read");
  });
  state.offset = offset;
  state.etag = meta.etag;
  state.total = meta.size ?? undefined;
  state.carried = true;
  state.metaOnDisk = true;
  return state;
}

async function readMeta(metaPath: string): Promise<PartMeta | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(metaPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw classifyFsError(err, metaPath);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const r = parsed as Record<string, unknown>;
    if (
      r.version !== 1 || typeof r.url !== "string" ||
      typeof r.etag !== "string" ||
      !(r.size === null || (typeof r.size === "number" &&
        Number.isSafeInteger(r.size) && r.size >= 0))
    ) {
      return undefined;
    }
    return { version: 1, url: r.url, etag: r.etag, size: r.size };
  } catch {
    // A torn write (kill -9 mid-write) just means: start again from 0.
    return undefined;
  }
}

async function writeMeta(paths: PartPaths, meta: PartMeta): Promise<void> {
  // Not fsynced or atomic on purpose: a lost or torn file only costs a
  // restart from byte 0, and this runs once per download.
  await local(
    paths.meta,
    () => Deno.writeTextFile(paths.meta, JSON.stringify(meta) + "\n"),
  );
}

async function resetPart(state: PartState, paths: PartPaths): Promise<void> {
  if (state.metaOnDisk || state.offset > 0 || state.etag !== undefined) {
    await removeFile(paths.meta);
  }
  state.metaOnDisk = false;
  state.offset = 0;
  state.hash = createHash("sha256");
  state.etag = undefined;
  state.total = undefined;
  state.carried = false;
}

async function removePart(paths: PartPaths): Promise<void> {
  await removeFile(paths.part);
  await removeFile(paths.meta);
}

async function removeFile(filePath: string): Promise<void> {
  try {
    await Deno.remove(filePath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw classifyFsError(err, filePath);
  }
}

async function readHead(filePath: string, bytes: number): Promise<Uint8Array> {
  return await local(filePath, async () => {
    using file = await Deno.open(filePath, { read: true });
    const buf = new Uint8Array(bytes);
    const n = await readFull(file, buf);
    return buf.subarray(0, n);
  });
}

async function readTail(
  filePath: string,
  size: number,
  bytes: number,
): Promise<Uint8Array> {
  return await local(filePath, async () => {
    using file = await Deno.open(filePath, { read: true });
    const start = Math.max(0, size - bytes);
    await file.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    const n = await readFull(file, buf);
    return buf.subarray(0, n);
  });
}

/**
 * Runs a local file operation; any failure becomes a LocalFatalError naming
 * the path (never retried: a full disk does not empty itself).
 */
async function local<T>(filePath: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof AttemptError || err instanceof AppError) throw err;
    const classified = classifyFsError(err, filePath);
    if (classified instanceof LocalFatalError) throw classified;
    throw new LocalFatalError(
      `Cannot write "${filePath}": ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

// ---------------------------------------------------------------------------
// Sweeping leftovers

/** Options of {@link sweepTempFiles}. */
export interface SweepOptions {
  /**
   * Also remove resumable partial downloads (a `.fbpart` with valid resume
   * data). By default they are kept so the next download resumes them.
   */
  includeResumable?: boolean;
}

/**
 * Removes this program's leftovers under `dir` (recursively, not following
 * symlinks): `.*.fbtmp` temp files, `.*.fbpart` files that cannot be resumed,
 * and `.*.fbpart.json` files without their part. Nothing else is touched.
 * Call it only while holding the run lock: a running download owns its part.
 *
 * @returns The removed paths.
 */
export async function sweepTempFiles(
  dir: string,
  options: SweepOptions = {},
): Promise<string[]> {
  const removed: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === undefined) break;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(current));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw classifyFsError(err, current);
    }
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory && !entry.isSymlink) {
        pending.push(full);
        continue;
      }
      if (!entry.isFile || !entry.name.startsWith(".")) continue;
      if (entry.name.endsWith(TEMP_SUFFIX)) {
        await removeFile(full);
        removed.push(full);
      } else if (entry.name.endsWith(PART_SUFFIX)) {
        const metaPath = full + ".json";
        const meta = options.includeResumable
          ? undefined
          : await readMeta(metaPath);
        if (meta !== undefined && isStrongEtag(meta.etag)) continue;
        await removeFile(full);
        removed.push(full);
        if (names.has(entry.name + ".json")) {
          await removeFile(metaPath);
          removed.push(metaPath);
        }
      } else if (entry.name.endsWith(PART_META_SUFFIX)) {
        const partName = entry.name.slice(0, -".json".length);
        if (!names.has(partName)) {
          await removeFile(full);
          removed.push(full);
        }
      }
    }
  }
  return removed.sort();
}

// ---------------------------------------------------------------------------
// Small helpers

/**
 * Aborts a transfer when no byte arrives for `ms`, or when fewer than
 * `min.bytes` arrive in a `min.windowMs` window (a drip never goes idle).
 * Runs on the injected clock.
 */
class IdleTimer {
  #cancelIdle: (() => void) | undefined;
  #cancelWindow: (() => void) | undefined;
  #windowBytes = 0;
  #stopped = false;
  constructor(
    readonly clock: Clock,
    readonly ms: number,
    readonly min: { bytes: number; windowMs: number },
    readonly onIdle: () => void,
    readonly onSlow: (bytes: number, ms: number) => void,
  ) {}
  start(): void {
    this.#stopped = false;
    this.kick();
  }
  /** The body starts: from now on, minimum progress is required too. */
  startBody(): void {
    if (!this.#stopped && !this.#cancelWindow) this.#armWindow();
  }
  kick(bytes = 0): void {
    if (this.#stopped) return;
    this.#windowBytes += bytes;
    this.#cancelIdle?.();
    this.#cancelIdle = startTimer(this.clock, this.ms, () => {
      this.#cancelIdle = undefined;
      this.onIdle();
    });
  }
  #armWindow(): void {
    this.#windowBytes = 0;
    this.#cancelWindow = startTimer(this.clock, this.min.windowMs, () => {
      this.#cancelWindow = undefined;
      if (this.#stopped) return;
      if (this.#windowBytes < this.min.bytes) {
        this.onSlow(this.#windowBytes, this.min.windowMs);
      } else this.#armWindow();
    });
  }
  stop(): void {
    this.#stopped = true;
    this.#cancelIdle?.();
    this.#cancelWindow?.();
    this.#cancelIdle = this.#cancelWindow = undefined;
  }
}

/** A disk-full error that also says how much more this file needs. */
function withRoomNeeded(err: unknown, bytes: number): unknown {
  if (!(err instanceof LocalFatalError) || !/^Disk full/.test(err.message)) {
    return err;
  }
  if (bytes <= 0) return err;
  const mb = Math.max(1, Math.ceil(bytes / 1024 / 1024));
  return new LocalFatalError(
    err.message.replace(
      / and run again$/,
      ` (at least ${mb} MB more for this file) and run again`,
    ),
    { cause: err.cause },
  );
}

/** Decoded bytes allowed per encoded byte (photos barely compress). */
const MAX_EXPANSION = 20;

/**
 * Errors a decoded body that grows past {@link MAX_EXPANSION} times its
 * encoded size plus 1 MiB: a decompression bomb never reaches the disk.
 */
function boundExpansion(
  encoded: () => number,
): TransformStream<Uint8Array, Uint8Array> {
  let decoded = 0;
  return new TransformStream({
    transform(chunk, c) {
      decoded += chunk.length;
      if (decoded > encoded() * MAX_EXPANSION + 1024 * 1024) {
        throw new AttemptError(
          "permanent",
          `the compressed body expands to more than ${MAX_EXPANSION} times its size (a decompression bomb?); refused`,
          { discard: true },
        );
      }
      c.enqueue(chunk);
    },
  });
}

/** Reads a finished part through the end check of its format. */
async function scanEnd(
  filePath: string,
  kind: string,
): Promise<EndCheck | undefined> {
  const scanner = endScannerFor(kind);
  if (!scanner) return undefined;
  await local(filePath, async () => {
    const file = await Deno.open(filePath, { read: true });
    // The readable closes the file when it ends or fails.
    for await (const chunk of file.readable) scanner.push(chunk);
  });
  return scanner.result();
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
