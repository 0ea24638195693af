/**
 * The OAuth 1.0a token dance with Flickr (FLICKR_API.md §1): request token →
 * the user approves in a browser and copies the code → access token.
 * OAuth parameters travel in the `Authorization` header; nothing secret goes
 * in a URL. No retries: every step is quick and interactive, and repeating
 * the access-token step could spend the one-time verifier.
 *
 * @module
 */

import { AuthError, UnavailableError, UsageError } from "../errors.ts";
import {
  describeNetworkError,
  hostNotAllowed,
  isNetworkError,
  isNotCapable,
} from "../http/errors.ts";
import type { HttpClient } from "../http/http_client.ts";
import { withDeadline } from "../http/deadline.ts";
import { TransientError } from "../http/errors.ts";
import type { Clock } from "../platform/clock.ts";
import { redact, redactError } from "../redact.ts";
import { type OAuthConsumer, signRequest } from "./signature.ts";

/** A request token from step 1. */
export interface RequestToken {
  /** `oauth_token`, shown in the authorize URL. */
  token: string;
  /** Signs the access-token request; never sent. */
  tokenSecret: string;
}

/** The access token from step 3 and whom it belongs to. */
export interface AccessToken {
  /** `oauth_token` for API calls. */
  token: string;
  /** Signs API calls; never sent. */
  tokenSecret: string;
  /** The member's NSID, e.g. `21207597@N07`. */
  userNsid: string;
  /** The member's screen name. */
  username: string;
  /** Empty when the member set no full name. */
  fullname: string;
}

/**
 * Where the OAuth service lives (`FlickrEndpoints` of src/flickr/endpoints.ts
 * fits): `oauth` is the base URL, e.g. `https://www.flickr.com/services/oauth/`.
 * Declared here so that oauth/ needs nothing from flickr/, which builds on it.
 */
export interface OAuthEndpoints {
  oauth: string;
}

/** Options shared by both token requests. */
interface DanceOptions {
  http: HttpClient;
  endpoints: OAuthEndpoints;
  consumer: OAuthConsumer;
  /** Source of the OAuth timestamp; default the system time. */
  clock?: Pick<Clock, "now">;
  /** Fixed nonce for tests; default random. */
  nonce?: string;
  signal?: AbortSignal;
  /**
   * Longest wait for a complete answer, on `clock` (virtual time in tests);
   * none if absent. A sign-in must not hang on a call that is never answered.
   */
  deadline?: { clock: Clock; ms: number };
}

/** Options of {@link getRequestToken}. */
export interface GetRequestTokenOptions extends DanceOptions {
  /** `"oob"` (the user copies a code) or a callback URL. Default `"oob"`. */
  callback?: string;
}

/** Options of {@link getAccessToken}. */
export interface GetAccessTokenOptions extends DanceOptions {
  /** The token from {@link getRequestToken} that the user approved. */
  requestToken: RequestToken;
  /** The code Flickr showed, as typed (`123-456-789`); it is trimmed. */
  verifier: string;
}

/** Flickr's permission levels; a backup needs only `read`. */
export type Perms = "read" | "write" | "delete";

const LOGIN_AGAIN =
  'The verification code was not accepted: run "flickr-backup login" again and paste the code Flickr shows';

/**
 * Step 1: asks Flickr for a request token.
 *
 * @throws {AuthError} Unknown API key (named) or wrong API secret.
 * @throws {UnavailableError} Network down, 5xx, 429, or an answer that is
 *   not a token.
 */
export async function getRequestToken(
  options: GetRequestTokenOptions,
): Promise<RequestToken> {
  const url = `${options.endpoints.oauth}request_token`;
  const fields = await tokenRequest(url, "request_token", options, {
    callback: options.callback ?? "oob",
  });
  const token = fields.get("oauth_token");
  const tokenSecret = fields.get("oauth_token_secret");
  if (
    fields.get("oauth_callback_confirmed") !== "true" || !token || !tokenSecret
  ) {
    throw new UnavailableError(
      "Flickr answered the sign-in request without a confirmed request token: try again later",
    );
  }
  return { token, tokenSecret };
}

/**
 * Step 2: the page where the user approves access. Not signed (DOC-OAUTH).
 */
export function authorizeUrl(
  endpoints: OAuthEndpoints,
  token: string,
  perms: Perms = "read",
): string {
  const url = new URL(`${endpoints.oauth}authorize`);
  url.searchParams.set("oauth_token", token);
  url.searchParams.set("perms", perms);
  return url.href;
}

/**
 * Step 3: trades the request token and the user's code for an access token.
 *
 * @throws {UsageError} An empty code.
 * @throws {AuthError} Code or request token rejected ("run login again"),
 *   wrong API secret, unknown API key.
 * @throws {UnavailableError} Network down, 5xx, 429, or a malformed answer.
 */
export async function getAccessToken(
  options: GetAccessTokenOptions,
): Promise<AccessToken> {
  const verifier = options.verifier.trim();
  if (verifier === "") {
    throw new UsageError(
      'No verification code was given: run "flickr-backup login" again and paste the code Flickr shows',
    );
  }
  const url = `${options.endpoints.oauth}access_token`;
  const fields = await tokenRequest(url, "access_token", options, {
    token: {
      key: options.requestToken.token,
      secret: options.requestToken.tokenSecret,
    },
    verifier,
  });
  const token = fields.get("oauth_token");
  const tokenSecret = fields.get("oauth_token_secret");
  const userNsid = fields.get("user_nsid");
  const username = fields.get("username");
  if (!token || !tokenSecret || !userNsid || username === null) {
    throw new UnavailableError(
      "Flickr answered the sign-in without an access token: try again later",
    );
  }
  return {
    token,
    tokenSecret,
    userNsid,
    username,
    fullname: fields.get("fullname") ?? "",
  };
}

async function tokenRequest(
  url: string,
  step: "request_token" | "access_token",
  options: DanceOptions,
  extra: {
    callback?: string;
    verifier?: string;
    token?: { key: string; secret: string };
  },
): Promise<URLSearchParams> {
  const now = options.clock?.now() ?? Date.now();
  const signed = signRequest({
    method: "GET",
    url,
    consumer: options.consumer,
    timestamp: Math.floor(now / 1000),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...extra,
  });
  const secrets = [
    options.consumer.secret,
    extra.token?.secret ?? "",
    extra.token?.key ?? "",
    extra.verifier ?? "",
  ].filter((value) => value.length >= 4);

  const attempt = async (signal: AbortSignal | undefined) => {
    const response = await options.http(
      new Request(url, {
        method: "GET",
        headers: { Authorization: signed.authorizationHeader },
        redirect: "manual",
        ...(signal ? { signal } : {}),
      }),
    );
    return { status: response.status, body: (await response.text()).trim() };
  };
  let answer: { status: number; body: string };
  try {
    const deadline = options.deadline;
    answer = deadline
      ? await withDeadline(deadline.clock, deadline.ms, options.signal, attempt)
      : await attempt(options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof TransientError) {
      throw new UnavailableError(
        `Flickr did not answer the sign-in (${error.message}): check the network connection and try again`,
      );
    }
    if (isNotCapable(error)) throw hostNotAllowed(error, url);
    if (isNetworkError(error)) {
      throw new UnavailableError(
        `Cannot reach Flickr to sign in (${
          redact(describeNetworkError(error), secrets)
        }): check the network connection and try again`,
        { cause: redactError(error, secrets) },
      );
    }
    throw error;
  }

  const { status, body } = answer;
  const fields = new URLSearchParams(body);
  const problem = fields.get("oauth_problem");
  if (problem !== null || status === 401 || status === 400) {
    throw oauthFailure(problem ?? "", status, step, options.consumer.key);
  }
  if (status === 429 || status >= 500) {
    throw new UnavailableError(
      `Flickr is not answering the sign-in (HTTP ${status}): try again later`,
    );
  }
  if (status !== 200) {
    throw new UnavailableError(
      `Flickr answered the sign-in with HTTP ${status}: check FLICKR_ENDPOINT if it is set, or try again later`,
    );
  }
  // A JSON stat:fail (e.g. code 100) may come back with 200.
  if (body.startsWith("{")) {
    const code = /"code"\s*:\s*"?(\d+)/.exec(body)?.[1];
    if (code === "100") throw unknownKey(options.consumer.key);
    throw new UnavailableError(
      `Flickr answered the sign-in with an error${
        code ? ` (code ${code})` : ""
      }: try again later`,
    );
  }
  return fields;
}

function unknownKey(key: string): AuthError {
  return new AuthError(
    `Flickr does not accept the API key "${key}": check --api-key / FLICKR_API_KEY; since 2025 new keys need Flickr Pro`,
  );
}

function oauthFailure(
  problem: string,
  status: number,
  step: "request_token" | "access_token",
  consumerKey: string,
): AuthError {
  if (problem.startsWith("consumer_key")) return unknownKey(consumerKey);
  if (problem === "signature_invalid") {
    return new AuthError(
      step === "request_token"
        ? `Flickr rejected the signature made with the API secret: the API secret does not belong to the API key "${consumerKey}": check --api-secret / FLICKR_API_SECRET`
        : `Flickr rejected the signature of the sign-in: check --api-secret / FLICKR_API_SECRET, then run "flickr-backup login" again`,
    );
  }
  if (problem === "timestamp_refused") {
    return new AuthError(
      "Flickr refused the request time (oauth_problem=timestamp_refused): check this computer's clock and time zone",
    );
  }
  if (step === "access_token") return new AuthError(LOGIN_AGAIN);
  return new AuthError(
    `Flickr refused the sign-in request (${
      problem ? `oauth_problem=${problem}` : `HTTP ${status}`
    }): check --api-key and --api-secret, then run "flickr-backup login" again`,
  );
}
