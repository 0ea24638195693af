/**
 * Errors of the HTTP layer: the "try again" marker that retry loops act on,
 * and the permanent refusal to contact a host the binary may not reach.
 *
 * @module
 */

import { AppError, ExitCode } from "../errors.ts";
import { redact, redactError, redactUrl } from "../redact.ts";

/** Options of {@link TransientError}. */
export interface TransientErrorOptions extends ErrorOptions {
  /** How long the server asked to wait (a parsed `Retry-After`), in ms. */
  retryAfterMs?: number;
  /** True for a 429: every caller sharing the pacer should wait too. */
  rateLimited?: boolean;
  /**
   * Tries allowed for this kind of failure when fewer than the policy's,
   * e.g. 2 for a malformed body (retry once, then give up).
   */
  maxAttempts?: number;
  /**
   * The error to throw when the tries run out, instead of the default
   * "… is not answering" {@link UnavailableError}.
   */
  whenExhausted?: () => Error;
  /**
   * Try again at once, without a wait (the next try starts afresh, e.g. a
   * download restarting from byte zero): the server is not the problem.
   */
  immediate?: boolean;
}

/**
 * A failure worth trying again: network errors, 429, 5xx, Flickr's
 * "service unavailable" answers. Its message is a short cause for people
 * (`HTTP 503`, `Flickr error 105 "Service currently unavailable"`), already
 * redacted. It never leaves a retry loop: the loop turns it into an
 * `UnavailableError` (or `whenExhausted()`) when the tries run out.
 */
export class TransientError extends Error {
  /** The wait the server asked for, in ms, if it named one. */
  readonly retryAfterMs: number | undefined;
  /** True for a 429: the shared pacer pauses too. */
  readonly rateLimited: boolean;
  /** Tries allowed for this kind of failure, when fewer than the policy's. */
  readonly maxAttempts: number | undefined;
  /** Builds the error thrown when the tries run out, if not the default. */
  readonly whenExhausted: (() => Error) | undefined;
  /** Try again without a wait. */
  readonly immediate: boolean;

  /**
   * Builds the marker.
   *
   * @param cause Short description for people (`HTTP 503`); redacted here.
   */
  constructor(cause: string, options: TransientErrorOptions = {}) {
    super(redact(cause), options.cause ? { cause: options.cause } : undefined);
    this.name = "TransientError";
    this.retryAfterMs = options.retryAfterMs;
    this.rateLimited = options.rateLimited ?? false;
    this.maxAttempts = options.maxAttempts;
    this.whenExhausted = options.whenExhausted;
    this.immediate = options.immediate ?? false;
  }
}

/**
 * The binary is not permitted to contact a host (Deno's `NotCapable`, e.g. a
 * redirect to a CDN host missing from `--allow-net`). Permanent: retrying
 * cannot help, so it is never retried.
 */
export class HostNotAllowedError extends AppError {
  /** The refused `host[:port]`. */
  readonly host: string;

  /**
   * Builds the error.
   *
   * @param host The refused `host[:port]`.
   */
  constructor(host: string, options?: ErrorOptions) {
    super(
      `Cannot contact "${host}": it is not a Flickr host this binary may contact (Deno refused network access)`,
      ExitCode.LocalFatal,
      options,
    );
    this.name = "HostNotAllowedError";
    this.host = host;
  }
}

/** Whether `error` is Deno's permission refusal (`Deno.errors.NotCapable`). */
export function isNotCapable(error: unknown): error is Error {
  // Checked by name so this module needs no `Deno` global.
  return error instanceof Error && error.name === "NotCapable";
}

/**
 * Turns a `NotCapable` error into a {@link HostNotAllowedError} naming the
 * host from Deno's message ("Requires net access to "host:port"") or, failing
 * that, the request URL's host.
 */
export function hostNotAllowed(
  error: Error,
  url?: string | URL,
): HostNotAllowedError {
  const fromMessage = /net access to "([^"]+)"/.exec(error.message)?.[1];
  let host = fromMessage;
  if (!host && url !== undefined) {
    try {
      host = new URL(url).host;
    } catch {
      // An unparseable URL leaves the host unknown; the message says so.
    }
  }
  return new HostNotAllowedError(host ?? "an unknown host", {
    cause: redactError(error),
  });
}

/**
 * Whether `error` looks like a network failure of `fetch` or of reading a
 * body: `TypeError` ("fetch failed", "error reading a body from connection")
 * or one of Deno's connection errors.
 */
export function isNetworkError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error.name === "TypeError") return true;
  return [
    "ConnectionRefused",
    "ConnectionReset",
    "ConnectionAborted",
    "NotConnected",
    "TimedOut",
    "UnexpectedEof",
    "BrokenPipe",
    "Http",
  ].includes(error.name);
}

/**
 * Describes a network error in one redacted line, joining its cause chain
 * and keeping only scheme, host and path of any URL it quotes:
 * `fetch failed: error sending request for url (https://api.flickr.com/services/rest/): … Connection refused`.
 */
export function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  const text = parts.filter((part) => part !== "").join(": ");
  return redact(
    text.replace(/https?:\/\/[^\s)"']+/g, (url) => redactUrl(url)),
  );
}
