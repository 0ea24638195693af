/**
 * The retry loop: tries an operation again after transient failures with
 * exponential backoff and jitter, honours `Retry-After` (and pauses the
 * shared pacer on a 429), and gives up with an `UnavailableError` naming the
 * last cause. Permanent failures (auth, not found, a host the binary may not
 * contact, bugs) pass straight through on the first try.
 *
 * Waiting happens only through the injected {@link Clock}; an aborted signal
 * stops the loop at once with the signal's reason.
 *
 * @module
 */

import { UnavailableError } from "../errors.ts";
import type { Clock } from "../platform/clock.ts";
import { redactError } from "../redact.ts";
import {
  backoffDelay,
  type BackoffPolicy,
  formatDuration,
  parseRetryAfter,
} from "./backoff.ts";
import {
  describeNetworkError,
  hostNotAllowed,
  isNetworkError,
  isNotCapable,
  TransientError,
} from "./errors.ts";
import type { HttpClient } from "./http_client.ts";
import type { Pacer } from "./pacer.ts";

/** Backoff bounds plus the longest `Retry-After` a run will sleep through. */
export interface RetryPolicy extends BackoffPolicy {
  /**
   * A `Retry-After` longer than this is not slept: the loop stops with an
   * `UnavailableError` saying how long the server asked to wait.
   */
  maxRetryAfterMs: number;
  /**
   * Shortest wait after a 429 that names no `Retry-After` (Flickr's usual
   * way, FLICKR_API.md §5): going over the key's hourly limit is not fixed
   * by retrying within a second.
   */
  rateLimitFloorMs: number;
}

/**
 * Defaults: 6 tries (5 retries), full jitter from 1 s doubling up to 60 s,
 * `Retry-After` honoured up to 5 minutes, at least 10 s after a 429 without
 * `Retry-After`.
 *
 * Why: a worst case of about 31 s of backoff (1+2+4+8+16, expected half that)
 * rides out the short 5xx bursts and 105/201 blips Flickr shows, while a
 * cron run facing a real outage still ends in well under a minute with exit 5
 * and resumes next time. Full jitter keeps concurrent workers from retrying
 * in lockstep. Five minutes is rclone's idle timeout and the longest pause
 * that still looks alive to a person watching; a longer `Retry-After` means
 * "come back later", which is what exit 5 tells cron.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseMs: 1000,
  maxMs: 60_000,
  jitter: "full",
  maxRetryAfterMs: 5 * 60_000,
  rateLimitFloorMs: 10_000,
};

/**
 * HTTP statuses worth another try (curl `--retry`, plus 425): the one list
 * for API calls and file downloads.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([
  408,
  425,
  429,
  500,
  502,
  503,
  504,
]);

/** Reported before each wait, for logs and progress output. */
export interface RetryEvent {
  /** What was being done, e.g. `"flickr.photosets.getList"`. */
  label: string;
  /** The try that failed, 1-based. */
  attempt: number;
  /** Tries allowed for this failure. */
  maxAttempts: number;
  /** The wait before the next try, in ms. */
  delayMs: number;
  /** Short, redacted cause: `HTTP 503`, `network error: …`. */
  cause: string;
  /** Whether the wait came from a `Retry-After` header. */
  fromRetryAfter: boolean;
  /**
   * One line for people, e.g. `flickr.photosets.getList: HTTP 503; trying
   * again in 2 s (try 2 of 6)`.
   */
  message: string;
}

/** Options of {@link retrying}. */
export interface RetryOptions {
  /** Waits between tries go through it. */
  clock: Clock;
  /** Overrides of {@link DEFAULT_RETRY_POLICY}. */
  policy?: Partial<RetryPolicy>;
  /** Uniform in [0, 1); defaults to `Math.random`. */
  random?: () => number;
  /** Stops the loop (and its waits) with the signal's reason. */
  signal?: AbortSignal;
  /** Paused on a 429 so that every worker waits, not only this one. */
  pacer?: Pacer;
  /** Called before each wait. */
  onRetry?: (event: RetryEvent) => void;
  /** Names the operation in events, e.g. the Flickr method. */
  label?: string;
  /** Names the remote side in messages. Default `"Flickr"`. */
  service?: string;
  /**
   * Extra classification: return a {@link TransientError} for an error that
   * should be retried, or undefined to use the defaults (network errors and
   * `TransientError` are retried, `NotCapable` becomes a permanent
   * `HostNotAllowedError`, everything else is rethrown).
   */
  classify?: (error: unknown) => TransientError | undefined;
  /**
   * Retry only what `operation` throws as a {@link TransientError} (it has
   * classified its failures itself); any other error passes straight
   * through. Default false.
   */
  onlyTransient?: boolean;
}

/** Fills a partial policy with the defaults. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (policy as Record<string, unknown>)[key] = value;
  }
  policy.attempts = Math.max(1, Math.floor(policy.attempts));
  return policy;
}

/**
 * Maps a thrown error to a {@link TransientError} when it is worth another
 * try, throws a {@link HostNotAllowedError} for Deno's `NotCapable`, and
 * returns undefined for everything else (rethrown by the caller).
 */
export function classifyError(error: unknown): TransientError | undefined {
  if (error instanceof TransientError) return error;
  if (isNotCapable(error)) throw hostNotAllowed(error);
  if (error instanceof Error && error.name === "TimeoutError") {
    return new TransientError("the request timed out", {
      cause: redactError(error),
    });
  }
  if (isNetworkError(error)) {
    return new TransientError(`network error: ${describeNetworkError(error)}`, {
      cause: redactError(error),
    });
  }
  return undefined;
}

/**
 * Runs `operation` until it succeeds, a permanent error occurs, or the tries
 * run out.
 *
 * @param operation One try; receives the 1-based try number. Sign and pace
 *   inside it, so that every try is a fresh request.
 * @throws {UnavailableError} After the last try: `Flickr is not answering
 *   (<last cause>): try again later`; or at once when `Retry-After` exceeds
 *   `maxRetryAfterMs`.
 * @throws The signal's reason when aborted; any non-transient error as is.
 */
export async function retrying<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy = retryPolicy(options.policy);
  const random = options.random ?? Math.random;
  const service = options.service ?? "Flickr";
  const { clock, signal } = options;
  let previousDelay: number | undefined;
  for (let attempt = 1;; attempt++) {
    signal?.throwIfAborted();
    let transient: TransientError | undefined;
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      transient = options.onlyTransient
        ? (error instanceof TransientError ? error : undefined)
        : options.classify?.(error) ?? classifyError(error);
      if (!transient) throw error;
    }

    const maxAttempts = Math.min(
      policy.attempts,
      transient.maxAttempts ?? Infinity,
    );
    const retryAfter = transient.retryAfterMs;
    if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
      throw new UnavailableError(
        `${service} asked to wait ${
          formatDuration(retryAfter)
        } before the next request (${transient.message}), longer than the ${
          formatDuration(policy.maxRetryAfterMs)
        } a run waits: try again later`,
        { cause: transient },
      );
    }
    if (attempt >= maxAttempts) {
      throw transient.whenExhausted?.() ??
        new UnavailableError(
          `${service} is not answering (${transient.message}): try again later`,
          { cause: transient },
        );
    }

    if (transient.immediate) continue;
    let delay = backoffDelay(policy, attempt - 1, random, previousDelay);
    previousDelay = delay;
    if (retryAfter !== undefined) delay = retryAfter;
    else if (transient.rateLimited) {
      delay = Math.max(delay, policy.rateLimitFloorMs);
    }
    if (transient.rateLimited) options.pacer?.blockUntil(clock.now() + delay);
    const label = options.label ?? "request";
    options.onRetry?.({
      label,
      attempt,
      maxAttempts,
      delayMs: delay,
      cause: transient.message,
      fromRetryAfter: retryAfter !== undefined,
      message: `${label}: ${transient.message}; trying again in ${
        formatDuration(delay)
      } (try ${attempt + 1} of ${maxAttempts})`,
    });
    await clock.sleep(delay, signal);
  }
}

/**
 * Returns a {@link TransientError} for a response status worth retrying
 * ({@link RETRYABLE_STATUSES}), reading `Retry-After` from it, or
 * undefined. The caller still owns the body.
 */
export function transientForStatus(
  response: Response,
  nowMs: number,
): TransientError | undefined {
  const status = response.status;
  if (!RETRYABLE_STATUSES.has(status)) return undefined;
  const retryAfterMs = status === 429 || status === 503
    ? parseRetryAfter(response.headers.get("retry-after"), nowMs)
    : undefined;
  const text = `HTTP ${status}${
    response.statusText ? ` ${response.statusText}` : ""
  }`;
  return new TransientError(text, {
    rateLimited: status === 429,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** Options of {@link withRetry}. */
export type WithRetryOptions = Omit<RetryOptions, "signal" | "label">;

/**
 * Wraps an {@link HttpClient} so that network errors and retryable statuses
 * (see {@link transientForStatus}) are tried again; other responses,
 * including 3xx and 4xx, come back as they are. Meant for unsigned requests
 * (CDN files); signed API calls use {@link retrying} so each try is signed
 * afresh. The request's own signal aborts the loop.
 */
export function withRetry(
  http: HttpClient,
  options: WithRetryOptions,
): HttpClient {
  return (request) =>
    retrying(async () => {
      await options.pacer?.acquire(request.signal);
      let response: Response;
      try {
        response = await http(request.clone());
      } catch (error) {
        if (isNotCapable(error)) throw hostNotAllowed(error, request.url);
        throw error;
      }
      const transient = transientForStatus(response, options.clock.now());
      if (transient) {
        await response.body?.cancel();
        throw transient;
      }
      return response;
    }, {
      ...options,
      signal: request.signal,
      label: `${request.method} ${new URL(request.url).host}`,
    });
}
