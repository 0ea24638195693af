/**
 * OAuth 1.0a HMAC-SHA1 request signing (RFC 5849), the only method Flickr
 * supports. Pure: time and randomness come in as inputs, so tests pin them
 * to published vectors.
 *
 * The base string and signature come from the `oauth-1.0a` library; this
 * module feeds it decoded parameters (query and form values are decoded
 * here, because the library would sign `+` literally) and a normalised base
 * URL (RFC 5849 §3.4.1.2: lower-case scheme and host, no default port, no
 * query).
 *
 * Only the signature leaves the machine: the consumer secret and token secret
 * are used as the HMAC key and never appear in the returned values.
 *
 * @module
 */

import OAuth from "oauth-1.0a";
import { createHmac } from "node:crypto";

/** The app's API key and secret. */
export interface OAuthConsumer {
  /** `oauth_consumer_key`. */
  key: string;
  /** First half of the HMAC key; never sent. */
  secret: string;
}

/** A request token or an access token with its secret. */
export interface OAuthToken {
  /** `oauth_token`. */
  key: string;
  /** Second half of the HMAC key; never sent. */
  secret: string;
}

/** A parameter value; arrays repeat the name (`a=1&a=2`). */
export type ParamValue = string | number | boolean | readonly string[];

/** Request parameters by name; `undefined` values are left out. */
export type Params = Record<string, ParamValue | undefined>;

/** Input of {@link signRequest}. */
export interface SignRequestOptions {
  /** HTTP method, e.g. `"GET"`. */
  method: string;
  /** Request URL; a query string in it is signed too. */
  url: string;
  /** Query or form parameters sent besides those in `url`. */
  params?: Params;
  /** The app's key and secret. */
  consumer: OAuthConsumer;
  /** The request token (access-token step) or the access token (API calls). */
  token?: OAuthToken;
  /** `oauth_callback`, sent only at the request-token step (`"oob"`). */
  callback?: string;
  /** `oauth_verifier`, sent only at the access-token step. */
  verifier?: string;
  /** Unix time in seconds; defaults to the current time. */
  timestamp?: number;
  /** Defaults to {@link generateNonce}. */
  nonce?: string;
}

/** Output of {@link signRequest}. */
export interface SignedRequest {
  /** Every `oauth_*` parameter, including `oauth_signature`. */
  oauthParams: Record<string, string>;
  /** The value for an `Authorization` header: `OAuth oauth_…="…", …`. */
  authorizationHeader: string;
  /** The signature base string (for tests and debugging; holds no secret). */
  baseString: string;
}

const NONCE_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function hmacSha1(baseString: string, key: string): string {
  return createHmac("sha1", key).update(baseString).digest("base64");
}

function library(consumer: OAuthConsumer): OAuth {
  return new OAuth({
    consumer: { key: consumer.key, secret: consumer.secret },
    signature_method: "HMAC-SHA1",
    hash_function: hmacSha1,
  });
}

/**
 * Percent-encodes a string the RFC 3986 way OAuth requires: everything except
 * `A-Z a-z 0-9 - . _ ~` becomes upper-case `%XX` of its UTF-8 bytes, including
 * `!'()*` (which `encodeURIComponent` leaves alone) and spaces (`%20`, never
 * `+`).
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Builds a query string (or form body) from parameters with
 * {@link percentEncode}, so that what is sent is exactly what is signed.
 * Names are sorted, `undefined` values left out.
 */
export function encodeParams(params: Params): string {
  const parts: string[] = [];
  for (const name of Object.keys(params).sort()) {
    for (const value of paramValues(params[name])) {
      parts.push(`${percentEncode(name)}=${percentEncode(value)}`);
    }
  }
  return parts.join("&");
}

function paramValues(value: ParamValue | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

/**
 * Returns a nonce of `length` characters from `A-Za-z0-9`, drawn from
 * `crypto.getRandomValues` without modulo bias (RFC 5849 §4.9).
 */
export function generateNonce(length = 32): string {
  let out = "";
  const bytes = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      // 248 = 4 × 62: dropping 248..255 keeps every character equally likely.
      if (byte >= 248) continue;
      out += NONCE_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** The base URL of the signature: scheme, host, port if not default, path. */
export function signatureBaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * Computes the HMAC-SHA1 signature of a base string with key
 * `enc(consumerSecret)&enc(tokenSecret)`.
 */
export function signBaseString(
  baseString: string,
  consumerSecret: string,
  tokenSecret = "",
): string {
  return hmacSha1(
    baseString,
    `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`,
  );
}

/**
 * Signs one request. Every query parameter of `url`, every entry of `params`
 * and every `oauth_*` parameter except the signature is signed (FLICKR_API.md
 * §1.5).
 *
 * @example
 * ```ts
 * const { authorizationHeader } = signRequest({
 *   method: "GET",
 *   url: "https://api.flickr.com/services/rest/",
 *   params: { method: "flickr.test.login", format: "json", nojsoncallback: 1 },
 *   consumer: { key, secret },
 *   token: { key: token, secret: tokenSecret },
 * });
 * ```
 */
export function signRequest(options: SignRequestOptions): SignedRequest {
  const oauthParams: Record<string, string> = {
    oauth_consumer_key: options.consumer.key,
    oauth_nonce: options.nonce ?? generateNonce(),
    oauth_signature_method: "HMAC-SHA1",
    oauth_timestamp: String(
      options.timestamp ?? Math.floor(Date.now() / 1000),
    ),
    oauth_version: "1.0",
  };
  if (options.token) oauthParams.oauth_token = options.token.key;
  if (options.callback !== undefined) {
    oauthParams.oauth_callback = options.callback;
  }
  if (options.verifier !== undefined) {
    oauthParams.oauth_verifier = options.verifier;
  }

  // Decoded request parameters: the URL's query (form-decoded, so `+` is a
  // space) followed by `params`. Repeated names become arrays.
  const data: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const existing = data[name];
    if (existing === undefined) data[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else data[name] = [existing, value];
  };
  for (const [name, value] of new URL(options.url).searchParams) {
    add(name, value);
  }
  for (const [name, value] of Object.entries(options.params ?? {})) {
    for (const item of paramValues(value)) add(name, item);
  }

  const oauth = library(options.consumer);
  const request = {
    method: options.method.toUpperCase(),
    url: signatureBaseUrl(options.url),
    data,
  };
  // The library merges request data into the objects it is given, so each
  // call gets fresh copies.
  const baseString = oauth.getBaseString(
    { ...request, data: copyData(data) },
    { ...oauthParams } as unknown as OAuth.Data,
  );
  const signature = oauth.getSignature(
    { ...request, data: copyData(data) },
    options.token?.secret ?? "",
    { ...oauthParams } as unknown as OAuth.Data,
  );
  oauthParams.oauth_signature = signature;
  return {
    oauthParams,
    authorizationHeader: authorizationHeader(oauthParams),
    baseString,
  };
}

function copyData(
  data: Record<string, string | string[]>,
): Record<string, string | string[]> {
  const copy: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(data)) {
    copy[name] = Array.isArray(value) ? [...value] : value;
  }
  return copy;
}

/**
 * Formats `oauth_*` parameters as an `Authorization` header value
 * (RFC 5849 §3.5.1): `OAuth name="enc(value)", …`, sorted by name, no realm.
 */
export function authorizationHeader(
  oauthParams: Record<string, string>,
): string {
  const pairs = Object.keys(oauthParams)
    .filter((name) => name.startsWith("oauth_"))
    .sort()
    .map((name) =>
      `${percentEncode(name)}="${percentEncode(oauthParams[name] ?? "")}"`
    );
  return `OAuth ${pairs.join(", ")}`;
}
