/**
 * The retries around single attempts, through http/retry's `retrying` (one
 * backoff policy for API calls and downloads) with the download's own
 * rules decided here: a restart from byte zero tries again at once,
 * repeated CDN 403/404s give up, a `Retry-After` over the limit gives up,
 * and what happens to the part file when it gives up.
 *
 * @module
 */

import * as path from "node:path";
import { AppError } from "../errors.ts";
import { TransientError } from "../http/errors.ts";
import { retrying } from "../http/retry.ts";
import { redactUrl } from "./_http_headers.ts";
import { attemptOnce } from "./_attempt.ts";
import { AttemptError } from "./_attempt_error.ts";
import {
  DownloadFailedError,
  type DownloadRequest,
  type DownloadResult,
  type Settings,
} from "./_download_types.ts";
import {
  isResumable,
  loadPart,
  local,
  newPartState,
  partPathsFor,
  removePart,
  resetPart,
} from "./_part_file.ts";

/** CDN 403/404s that go away when retried: at most this many tries. */
const MAX_FORBIDDEN_OR_NOT_FOUND = 3;
export async function downloadFile(
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
  if (!req.fresh) await local(dir, () => Deno.mkdir(dir, { recursive: true }));
  const state = req.fresh
    ? newPartState()
    : await loadPart(paths, safeUrl, signal);

  let forbiddenOrNotFound = 0;
  /** What to do after a failed attempt: a wait and a retry, or give up. */
  const decide = async (
    err: AttemptError,
    attempt: number,
  ): Promise<Error> => {
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
    if (err.kind === "permanent") return fail(false);
    if (status === 403 || status === 404) {
      forbiddenOrNotFound++;
      if (forbiddenOrNotFound >= MAX_FORBIDDEN_OR_NOT_FOUND) {
        return fail(false, `${err.message} (${forbiddenOrNotFound} times)`);
      }
    }
    if (attempt >= s.attempts) {
      return fail(true, `${err.message} (after ${attempt} attempts)`);
    }
    if (err.kind === "restart") {
      await resetPart(state, paths);
      return new TransientError(err.message, { immediate: true });
    }
    const retryAfter = err.extra.retryAfterMs;
    if (retryAfter !== undefined && retryAfter > s.maxRetryAfterMs) {
      return fail(
        true,
        `${err.message}; the server asked to wait ${
          Math.ceil(retryAfter / 1000)
        } s, more than the ${Math.ceil(s.maxRetryAfterMs / 1000)} s limit`,
      );
    }
    return new TransientError(
      err.message,
      retryAfter !== undefined ? { retryAfterMs: retryAfter } : {},
    );
  };
  try {
    return await retrying(async (attempt) => {
      try {
        return await attemptOnce(s, req, dest, paths, safeUrl, state, attempt);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (!(err instanceof AttemptError)) throw err;
        throw await decide(err, attempt);
      }
    }, {
      clock: s.clock,
      random: s.random,
      policy: {
        attempts: s.attempts,
        baseMs: s.baseDelayMs,
        maxMs: s.maxDelayMs,
        jitter: "full",
        maxRetryAfterMs: s.maxRetryAfterMs,
        // No floor after a 429: a CDN's 429 is not the API key's budget.
        rateLimitFloorMs: 0,
      },
      ...(signal ? { signal } : {}),
      onlyTransient: true,
    });
  } catch (err) {
    // Expected failures and aborts keep a resumable part for the next run;
    // an unexpected error (a bug) does not trust it.
    const keepPart = (err instanceof AppError || signal?.aborted === true) &&
      isResumable(state);
    if (!keepPart) await removePart(paths);
    throw err;
  }
}
