/**
 * Flickr's failures and the one function that maps an API response to them:
 * {@link readFlickrResponse}. Flickr reports most errors as HTTP 200 with
 * `{"stat":"fail","code":N,"message":"…"}` whatever the Content-Type, OAuth
 * failures as 401 text (`oauth_problem=…`), overload as 429/5xx or an HTML
 * page (FLICKR_API.md §1.7, §2.1, §5).
 *
 * | failure                                   | result                                   | exit |
 * |-------------------------------------------|------------------------------------------|------|
 * | code 1                                    | {@link FlickrNotFoundError}              | 3    |
 * | code 2                                    | {@link FlickrPermissionError}            | 3    |
 * | code 98, oauth token_rejected/expired     | AuthError: run "flickr-backup login"     | 4    |
 * | code 99, oauth parameter_absent           | AuthError: needs read permission         | 4    |
 * | code 100, oauth consumer_key_*            | AuthError: check --api-key               | 4    |
 * | code 96, 97, oauth signature_invalid      | AuthError: wrong API or token secret     | 4    |
 * | code 95                                   | UsageError: https required               | 2    |
 * | code 105, 201, 0 "not currently available"| retried, then UnavailableError           | 5    |
 * | HTTP 429 (Retry-After), 5xx, 408, HTML    | retried, then UnavailableError           | 5    |
 * | JSONP, invalid/truncated JSON, no `stat`  | retried once, then {@link FlickrProtocolError} | 5 |
 * | any other code                            | {@link FlickrApiError}                   | 1    |
 *
 * @module
 */

import { AppError, AuthError, ExitCode, UsageError } from "../errors.ts";
import { parseRetryAfter } from "../http/backoff.ts";
import { TransientError } from "../http/errors.ts";
import { RETRYABLE_STATUSES } from "../http/retry.ts";
import { redact, redactUrl } from "../redact.ts";
import type { RawResponse } from "./api_types.ts";
import { toInt, toText } from "./_parse.ts";

/** A `stat:"fail"` answer Flickr gave to a method call. */
export class FlickrApiError extends AppError {
  /** Flickr's error code. */
  readonly code: number;
  /** The method called, e.g. `"flickr.photos.getSizes"`. */
  readonly method: string;
  /** Flickr's own message text. */
  readonly flickrMessage: string;

  /** Builds the error; `exitCode` defaults to 1 (an unexpected answer). */
  constructor(
    message: string,
    details: {
      code: number;
      method: string;
      flickrMessage: string;
      exitCode?: ExitCode;
    },
    options?: ErrorOptions,
  ) {
    super(message, details.exitCode ?? ExitCode.Bug, options);
    this.name = "FlickrApiError";
    this.code = details.code;
    this.method = details.method;
    this.flickrMessage = details.flickrMessage;
  }
}

/** Code 1: the photo, album or user does not exist or is not visible. */
export class FlickrNotFoundError extends FlickrApiError {
  /** Names the method and quotes Flickr's (redacted) message. */
  constructor(method: string, flickrMessage: string) {
    super(
      `Flickr cannot find it: "${flickrMessage}" (${method}, code 1)`,
      { code: 1, method, flickrMessage, exitCode: ExitCode.Partial },
    );
    this.name = "FlickrNotFoundError";
  }
}

/** Code 2: Flickr refuses this item to the caller. */
export class FlickrPermissionError extends FlickrApiError {
  /** Names the method and quotes Flickr's (redacted) message. */
  constructor(method: string, flickrMessage: string) {
    super(
      `Flickr refused access: "${flickrMessage}" (${method}, code 2)`,
      { code: 2, method, flickrMessage, exitCode: ExitCode.Partial },
    );
    this.name = "FlickrPermissionError";
  }
}

/** Flickr's answer could not be understood, even after a retry. */
export class FlickrProtocolError extends AppError {
  /** Exit code 5: the remote side misbehaves, try again later. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Unavailable, options);
    this.name = "FlickrProtocolError";
  }
}

/** What {@link readFlickrResponse} needs to know about the call. */
export interface ResponseContext {
  /** The Flickr method, e.g. `"flickr.photosets.getList"`. */
  method: string;
  /** Current time in ms, for an HTTP-date `Retry-After`. */
  nowMs: number;
  /** Named in messages about a rejected key (the key is not secret). */
  consumerKey?: string;
  /** Values to scrub from every message (token, secrets). */
  secrets?: readonly string[];
}

/** Sign-in messages shared with callers that need the same wording. */
export const AUTH_MESSAGES = {
  tokenRevoked:
    'Flickr no longer accepts the saved sign-in (the token was revoked or expired): run "flickr-backup login"',
  needsRead:
    'Flickr says the sign-in lacks read permission: run "flickr-backup login" and approve read access',
  badSignature:
    'Flickr rejected the request signature: the API secret or the saved token secret is wrong: check --api-secret / FLICKR_API_SECRET, or run "flickr-backup login" again',
  badKey: (key: string | undefined, detail: string) =>
    `Flickr rejected the API key${
      key ? ` "${key}"` : ""
    } (${detail}): check --api-key / FLICKR_API_KEY; since 2025 new keys need Flickr Pro`,
} as const;

/** Tries allowed for a malformed answer: retry once, then give up. */
const PROTOCOL_ATTEMPTS = 2;

/**
 * Reads one REST response and returns its JSON when `stat` is `"ok"`;
 * otherwise throws the matching error (see the module table). A
 * {@link TransientError} means "try again" and is for the retry loop.
 * Content-Type is ignored: Flickr's is unreliable.
 *
 * @throws {TransientError | AppError}
 */
export async function readFlickrResponse(
  response: Response,
  context: ResponseContext,
): Promise<RawResponse> {
  const { method } = context;
  const clean = (text: string) => redact(text, context.secrets ?? []);
  const body = await response.text();
  const status = response.status;
  const trimmed = body.trim();

  if (status === 429) {
    const retryAfterMs = parseRetryAfter(
      response.headers.get("retry-after"),
      context.nowMs,
    );
    throw new TransientError(`HTTP 429 Too Many Requests`, {
      rateLimited: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  const problem = /(?:^|&)oauth_problem=([^&\s]*)/.exec(trimmed)?.[1];
  if (problem !== undefined) {
    throw oauthProblemError(decodeURIComponentSafe(problem), trimmed, context);
  }

  const json = parseJson(trimmed);
  if (isObject(json) && json.stat === "fail") {
    throw statFailure(toInt(json.code) ?? -1, toText(json.message), context);
  }
  const xmlFail = /<err\s+code="(\d+)"\s+msg="([^"]*)"/.exec(trimmed);
  if (xmlFail && /<rsp\s+stat="fail"/.test(trimmed)) {
    throw statFailure(Number(xmlFail[1]), xmlFail[2] ?? "", context);
  }

  if (status >= 300 && status < 400) {
    const location = response.headers.get("location");
    throw new FlickrProtocolError(
      clean(
        `Flickr redirected ${method} (HTTP ${status}${
          location ? ` to ${redactUrl(location)}` : ""
        }) instead of answering`,
      ),
    );
  }
  // The list downloads use too, plus every other 5xx: an API call that a
  // proxy or CDN in front of Flickr failed (520-ish) is worth another try.
  const transientStatus = RETRYABLE_STATUSES.has(status) || status >= 500;
  if (transientStatus) {
    const retryAfterMs = status === 503
      ? parseRetryAfter(response.headers.get("retry-after"), context.nowMs)
      : undefined;
    throw new TransientError(
      `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
  if (status === 401) {
    throw new AuthError(
      clean(
        `Flickr refused the sign-in for ${method} (HTTP 401${
          trimmed ? `: ${excerpt(trimmed)}` : ""
        }): run "flickr-backup login"`,
      ),
    );
  }
  if (status !== 200) {
    throw new FlickrProtocolError(
      clean(
        `Flickr answered ${method} with HTTP ${status} at ${
          redactUrl(response.url || "the REST endpoint")
        }: check FLICKR_ENDPOINT if it is set`,
      ),
    );
  }

  // HTTP 200 from here on.
  if (isObject(json)) {
    if (json.stat === "ok") return json as RawResponse;
    return malformed(
      `an answer without stat "ok" to ${method}`,
      `Flickr sent an answer to ${method} that is not a Flickr API reply (no "stat")`,
      clean,
    );
  }
  if (trimmed === "") {
    return malformed(
      `an empty answer to ${method}`,
      `Flickr sent an empty answer to ${method}`,
      clean,
    );
  }
  if (/^jsonFlickrApi\s*\(/.test(trimmed)) {
    return malformed(
      `JSONP instead of JSON from ${method}`,
      `Flickr answered ${method} with JSONP instead of JSON (nojsoncallback ignored)`,
      clean,
    );
  }
  if (trimmed.startsWith("<")) {
    // A maintenance or error page: Flickr is having trouble, retry fully.
    throw new TransientError(`an HTML page instead of JSON from ${method}`);
  }
  // Cut short on the way (a proxy, a reset): as transient as a 503, so it
  // gets every try, not the one retry of a protocol mismatch.
  throw new TransientError(`invalid JSON from ${method}`, {
    whenExhausted: () =>
      new FlickrProtocolError(
        clean(
          `Flickr sent unreadable JSON for ${method} (${body.length} bytes, possibly cut short)`,
        ),
      ),
  });
}

function malformed(
  cause: string,
  finalMessage: string,
  clean: (text: string) => string,
): never {
  throw new TransientError(cause, {
    maxAttempts: PROTOCOL_ATTEMPTS,
    whenExhausted: () => new FlickrProtocolError(clean(finalMessage)),
  });
}

function statFailure(
  code: number,
  flickrMessage: string,
  context: ResponseContext,
): Error {
  const { method } = context;
  const text = redact(flickrMessage, context.secrets ?? []);
  switch (code) {
    case 1:
      return new FlickrNotFoundError(method, text);
    case 2:
      return new FlickrPermissionError(method, text);
    case 95:
      return new UsageError(
        `Flickr requires https ("${text}", code 95): check FLICKR_ENDPOINT`,
      );
    case 96:
    case 97:
      return new AuthError(
        `${AUTH_MESSAGES.badSignature} ("${text}", code ${code})`,
      );
    case 98:
      return new AuthError(AUTH_MESSAGES.tokenRevoked);
    case 99:
      return new AuthError(AUTH_MESSAGES.needsRead);
    case 100:
      return new AuthError(
        AUTH_MESSAGES.badKey(context.consumerKey, `"${text}", code 100`),
      );
    case 105:
    case 201:
      return new TransientError(`Flickr error ${code} "${text}"`);
  }
  if (code === 0 && /not currently available/i.test(text)) {
    return new TransientError(`Flickr error 0 "${text}"`);
  }
  return new FlickrApiError(
    `Flickr refused ${method}: "${text}" (code ${code})`,
    { code, method, flickrMessage: text },
  );
}

function oauthProblemError(
  problem: string,
  body: string,
  context: ResponseContext,
): Error {
  switch (problem) {
    case "signature_invalid":
      return new AuthError(AUTH_MESSAGES.badSignature);
    case "token_rejected":
    case "token_revoked":
    case "token_expired":
    case "token_used":
    case "permission_denied":
      return new AuthError(AUTH_MESSAGES.tokenRevoked);
    case "consumer_key_unknown":
    case "consumer_key_rejected":
    case "consumer_key_refused":
      return new AuthError(
        AUTH_MESSAGES.badKey(context.consumerKey, `oauth_problem=${problem}`),
      );
    case "parameter_absent": {
      const absent = /oauth_parameters_absent=([^&\s]*)/.exec(body)?.[1];
      return new AuthError(
        `Not signed in: Flickr needs ${
          absent ? decodeURIComponentSafe(absent) : "a sign-in"
        } for ${context.method}: run "flickr-backup login"`,
      );
    }
    case "timestamp_refused":
      return new AuthError(
        "Flickr refused the request time (oauth_problem=timestamp_refused): check this computer's clock and time zone",
      );
    case "nonce_used":
      return new TransientError("oauth_problem=nonce_used", {
        maxAttempts: PROTOCOL_ATTEMPTS,
      });
  }
  return new AuthError(
    redact(
      `Flickr refused the sign-in for ${context.method} (oauth_problem=${problem}): run "flickr-backup login"`,
      context.secrets ?? [],
    ),
  );
}

function parseJson(text: string): unknown {
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine;
}
