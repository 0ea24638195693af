/**
 * OAuth 1.0a as Flickr does it (FLICKR_API.md §1), written independently of
 * the `oauth-1.0a` library the client uses: HMAC-SHA1 signature
 * verification over the request's own method, URL and all query, form-body
 * and `oauth_*` parameters; the request-token / authorize / access-token
 * dance; and the token store.
 *
 * @module
 */

import { createHmac, randomBytes } from "node:crypto";
import type { Account } from "./scenario.ts";

/** A consumer (API key and secret). */
export interface Consumer {
  key: string;
  secret: string;
}

/** Permissions a token can carry. */
export type Perms = "read" | "write" | "delete";

/** An issued access token. */
export interface AccessToken {
  token: string;
  tokenSecret: string;
  consumerKey: string;
  perms: Perms;
  revoked: boolean;
}

interface RequestToken {
  token: string;
  tokenSecret: string;
  consumerKey: string;
  callback: string;
  verifier?: string;
  perms: Perms;
  used: boolean;
}

/** Name/value pairs, in the order they arrived (duplicates kept). */
export type Pairs = [string, string][];

/**
 * RFC 3986 percent-encoding: everything but `A-Za-z0-9-._~` becomes `%XX`
 * (upper case), on the UTF-8 bytes.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The base-string URI: lower-case scheme and host, default port dropped,
 * path exactly as received, no query or fragment.
 */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.toLowerCase();
  const host = url.hostname.toLowerCase();
  const port = url.port;
  const isDefault = port === "" ||
    (scheme === "http:" && port === "80") ||
    (scheme === "https:" && port === "443");
  return `${scheme}//${host}${isDefault ? "" : `:${port}`}${url.pathname}`;
}

/**
 * The signature base string: `METHOD&enc(uri)&enc(sorted params)`, where
 * every name and value is percent-encoded and pairs are sorted by encoded
 * name, then encoded value (byte order). `oauth_signature` and `realm` are
 * left out.
 */
export function signatureBaseString(
  method: string,
  uri: string,
  params: Pairs,
): string {
  const encoded = params
    .filter(([k]) => k !== "oauth_signature" && k !== "realm")
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) =>
      ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0
    );
  const normalized = encoded.map(([k, v]) => `${k}=${v}`).join("&");
  return `${method.toUpperCase()}&${percentEncode(uri)}&${
    percentEncode(normalized)
  }`;
}

/** HMAC-SHA1 of the base string with key `enc(cs)&enc(ts)`, base64. */
export function hmacSha1Signature(
  baseString: string,
  consumerSecret: string,
  tokenSecret = "",
): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac("sha1", key).update(baseString).digest("base64");
}

/**
 * Parses `Authorization: OAuth k="v", k2="v2"` (commas with or without
 * spaces; quoted or bare values; values percent-decoded). Returns undefined
 * when the header is not an OAuth one.
 */
export function parseAuthorizationHeader(value: string): Pairs | undefined {
  const m = /^\s*OAuth\s+(.*)$/is.exec(value);
  if (!m) return undefined;
  const out: Pairs = [];
  const re = /([^\s=,]+)\s*=\s*(?:"([^"]*)"|([^\s,]*))/g;
  for (const part of (m[1] ?? "").matchAll(re)) {
    const key = decodeComponent(part[1] ?? "");
    const raw = part[2] ?? part[3] ?? "";
    out.push([key, decodeComponent(raw)]);
  }
  return out;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Where each parameter of a request came from. */
export interface RequestParams {
  query: Pairs;
  /** application/x-www-form-urlencoded or multipart fields. */
  body: Pairs;
  /** OAuth params from the Authorization header. */
  header: Pairs;
}

/** All params (query + body + header), the set a signature covers. */
export function allParams(p: RequestParams): Pairs {
  return [...p.query, ...p.body, ...p.header];
}

/** First value of a parameter, looking at query, then body, then header. */
export function param(p: RequestParams, name: string): string | undefined {
  for (const list of [p.query, p.body, p.header]) {
    const hit = list.find(([k]) => k === name);
    if (hit) return hit[1];
  }
  return undefined;
}

/** Outcome of checking an OAuth signature. */
export interface SignatureCheck {
  ok: boolean;
  baseString: string;
  expected: string;
}

/** Verifies `oauth_signature` of a request against the given secrets. */
export function checkSignature(
  method: string,
  url: URL,
  params: RequestParams,
  consumerSecret: string,
  tokenSecret: string,
): SignatureCheck {
  const baseString = signatureBaseString(
    method,
    baseStringUri(url),
    allParams(params),
  );
  const expected = hmacSha1Signature(baseString, consumerSecret, tokenSecret);
  const given = param(params, "oauth_signature") ?? "";
  return { ok: timingSafeEqual(given, expected), baseString, expected };
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A text reply of the OAuth layer. */
export interface TextOut {
  status: number;
  text: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** A text/plain form-encoded reply (`oauth_problem=…`, tokens). */
export function formReply(status: number, text: string): TextOut {
  return { status, text, contentType: "text/plain;charset=UTF-8" };
}

/** A Flickr API error (HTTP 200 `stat:fail`) found while authenticating. */
export interface RestFail {
  restFail: { code: number; message: string };
}

function restFail(code: number, message: string): RestFail {
  return { restFail: { code, message } };
}

function hexOf(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

function digits(n: number): string {
  let s = "";
  const bytes = randomBytes(n);
  for (let i = 0; i < n; i++) s += String((bytes[i] ?? 0) % 10);
  return s;
}

/** Token shape: `<17 digits>-<16 hex>`. */
function newToken(): string {
  return `72157${digits(12)}-${hexOf(8)}`;
}

const OAUTH_REQUIRED = [
  "oauth_consumer_key",
  "oauth_signature_method",
  "oauth_signature",
  "oauth_timestamp",
  "oauth_nonce",
];

/** Options of {@linkcode OAuthState}. */
export interface OAuthOptions {
  consumers: Consumer[];
  /** Refuse timestamps more than 300 s off and reused nonces. */
  strictTimestamps: boolean;
}

/** Result of authenticating a signed or keyed request. */
export type Authentication =
  /** Signed with OAuth; `token` present when an access token was used. */
  | { kind: "oauth"; consumer: Consumer; token?: AccessToken }
  /** Plain `api_key=`, unsigned. */
  | { kind: "apiKey"; consumer: Consumer };

/** Consumers, tokens and the three OAuth endpoints. */
export class OAuthState {
  readonly consumers: Consumer[];
  readonly strictTimestamps: boolean;
  readonly accessTokens = new Map<string, AccessToken>();
  readonly requestTokens = new Map<string, RequestToken>();
  #nonces = new Set<string>();

  constructor(options: OAuthOptions) {
    this.consumers = options.consumers;
    this.strictTimestamps = options.strictTimestamps;
  }

  /** Every secret that must never travel on the wire. */
  secrets(): string[] {
    return [
      ...this.consumers.map((c) => c.secret),
      ...[...this.accessTokens.values()].map((t) => t.tokenSecret),
      ...[...this.requestTokens.values()].map((t) => t.tokenSecret),
    ];
  }

  /** Issues an access token directly (tests skip the dance). */
  issueAccessToken(perms: Perms = "read", consumerKey?: string): AccessToken {
    const token: AccessToken = {
      token: newToken(),
      tokenSecret: hexOf(8),
      consumerKey: consumerKey ?? this.consumers[0]?.key ?? "",
      perms,
      revoked: false,
    };
    this.accessTokens.set(token.token, token);
    return token;
  }

  /** Marks an access token revoked (later use → code 98). */
  revoke(token: string): void {
    const t = this.accessTokens.get(token);
    if (t) t.revoked = true;
  }

  consumer(key: string | undefined): Consumer | undefined {
    return this.consumers.find((c) => c.key === key);
  }

  /**
   * Checks the OAuth parameters every signed request needs: presence,
   * signature method, the timestamp/nonce rules. Returns a problem reply or
   * undefined.
   */
  #preflight(p: RequestParams): TextOut | undefined {
    const missing = OAUTH_REQUIRED.filter((k) => param(p, k) === undefined);
    if (missing.length > 0) {
      return formReply(
        400,
        `oauth_problem=parameter_absent&oauth_parameters_absent=${
          missing.join("%26")
        }`,
      );
    }
    if (param(p, "oauth_signature_method") !== "HMAC-SHA1") {
      return formReply(400, "oauth_problem=signature_method_rejected");
    }
    if (this.strictTimestamps) {
      const ts = Number(param(p, "oauth_timestamp"));
      const now = Date.now() / 1000;
      if (!Number.isFinite(ts) || Math.abs(now - ts) > 300) {
        return formReply(
          401,
          `oauth_problem=timestamp_refused&oauth_acceptable_timestamps=${
            Math.floor(now - 300)
          }-${Math.floor(now + 300)}`,
        );
      }
      const nonceKey = [
        param(p, "oauth_consumer_key"),
        param(p, "oauth_token") ?? "",
        param(p, "oauth_timestamp"),
        param(p, "oauth_nonce"),
      ].join("|");
      if (this.#nonces.has(nonceKey)) {
        return formReply(401, "oauth_problem=nonce_used");
      }
      this.#nonces.add(nonceKey);
    }
    return undefined;
  }

  /**
   * Authenticates a REST call (or a signed page request). Returns the
   * authentication (undefined: neither signed nor keyed), a 401/400 text
   * reply for OAuth-layer problems, or a `stat:fail` for key/token problems
   * (100 unknown key, 98 unknown or revoked token).
   */
  authenticate(
    method: string,
    url: URL,
    p: RequestParams,
  ): Authentication | TextOut | RestFail | undefined {
    const isOAuth = param(p, "oauth_signature") !== undefined ||
      param(p, "oauth_consumer_key") !== undefined;
    if (!isOAuth) {
      const key = param(p, "api_key");
      if (key === undefined) return undefined;
      const consumer = this.consumer(key);
      if (!consumer) {
        return restFail(100, "Invalid API Key (Key not found)");
      }
      return { kind: "apiKey", consumer };
    }
    const consumer = this.consumer(param(p, "oauth_consumer_key"));
    if (!consumer) return restFail(100, "Invalid API Key (Key not found)");
    const problem = this.#preflight(p);
    if (problem) return problem;
    const tokenValue = param(p, "oauth_token");
    let token: AccessToken | undefined;
    if (tokenValue !== undefined) {
      token = this.accessTokens.get(tokenValue);
      if (!token) return restFail(98, "Invalid auth token");
    }
    const check = checkSignature(
      method,
      url,
      p,
      consumer.secret,
      token?.tokenSecret ?? "",
    );
    if (!check.ok) {
      return formReply(
        401,
        `oauth_problem=signature_invalid&debug_sbs=${check.baseString}`,
      );
    }
    if (token && (token.revoked || token.consumerKey !== consumer.key)) {
      return restFail(98, "Invalid auth token");
    }
    return { kind: "oauth", consumer, token };
  }

  /** `/services/oauth/request_token` */
  requestToken(method: string, url: URL, p: RequestParams): TextOut {
    const consumer = this.consumer(param(p, "oauth_consumer_key"));
    const problem = this.#preflight(p);
    if (problem) return problem;
    if (!consumer) {
      return formReply(401, "oauth_problem=consumer_key_unknown");
    }
    const callback = param(p, "oauth_callback");
    if (callback === undefined || callback === "") {
      return formReply(
        400,
        "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_callback",
      );
    }
    const check = checkSignature(method, url, p, consumer.secret, "");
    if (!check.ok) {
      return formReply(
        401,
        `oauth_problem=signature_invalid&debug_sbs=${check.baseString}`,
      );
    }
    const rt: RequestToken = {
      token: newToken(),
      tokenSecret: hexOf(8),
      consumerKey: consumer.key,
      callback,
      perms: "read",
      used: false,
    };
    this.requestTokens.set(rt.token, rt);
    return formReply(
      200,
      `oauth_callback_confirmed=true&oauth_token=${rt.token}&oauth_token_secret=${rt.tokenSecret}`,
    );
  }

  /**
   * `/services/oauth/authorize?oauth_token=…&perms=read`: the user is logged
   * in as the account owner and approves at once. With `oob` the page shows
   * a `123-456-789` verifier in `<code id="verifier">`; otherwise 302 to the
   * callback with `oauth_token` and a 16-hex `oauth_verifier`.
   */
  authorize(url: URL, account: Account): TextOut {
    const tokenValue = url.searchParams.get("oauth_token") ?? "";
    const rt = this.requestTokens.get(tokenValue);
    if (!rt || rt.used) {
      return {
        status: 400,
        text:
          "<!DOCTYPE html><html><body><h1>Oops!</h1><p>Invalid oauth_token.</p></body></html>",
        contentType: "text/html; charset=utf-8",
      };
    }
    const perms = url.searchParams.get("perms");
    rt.perms = perms === "write" || perms === "delete" ? perms : "read";
    if (rt.callback === "oob") {
      rt.verifier = `${digits(3)}-${digits(3)}-${digits(3)}`;
      const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Flickr: Authorize</title></head>
<body>
<h1>You have successfully authorized the application</h1>
<p>Logged in as ${
        escapeHtml(account.username)
      } (${account.nsid}); permission: ${rt.perms}.</p>
<p>Enter this code in the application:</p>
<p><code id="verifier">${rt.verifier}</code></p>
</body></html>`;
      return {
        status: 200,
        text: html,
        contentType: "text/html; charset=utf-8",
      };
    }
    rt.verifier = hexOf(8);
    const sep = rt.callback.includes("?") ? "&" : "?";
    const location = `${rt.callback}${sep}oauth_token=${
      percentEncode(rt.token)
    }&oauth_verifier=${rt.verifier}`;
    return {
      status: 302,
      text: "",
      contentType: "text/html; charset=utf-8",
      headers: { location },
    };
  }

  /** `/services/oauth/access_token` */
  accessToken(
    method: string,
    url: URL,
    p: RequestParams,
    account: Account,
  ): TextOut {
    const problem = this.#preflight(p);
    if (problem) return problem;
    const consumer = this.consumer(param(p, "oauth_consumer_key"));
    if (!consumer) {
      return formReply(401, "oauth_problem=consumer_key_unknown");
    }
    const rt = this.requestTokens.get(param(p, "oauth_token") ?? "");
    if (!rt || rt.consumerKey !== consumer.key) {
      return formReply(401, "oauth_problem=token_rejected");
    }
    const check = checkSignature(
      method,
      url,
      p,
      consumer.secret,
      rt.tokenSecret,
    );
    if (!check.ok) {
      return formReply(
        401,
        `oauth_problem=signature_invalid&debug_sbs=${check.baseString}`,
      );
    }
    if (
      rt.used || rt.verifier === undefined ||
      param(p, "oauth_verifier") !== rt.verifier
    ) {
      return formReply(401, "oauth_problem=token_rejected");
    }
    rt.used = true;
    const at = this.issueAccessToken(rt.perms, consumer.key);
    const body = [
      ["fullname", account.realname],
      ["oauth_token", at.token],
      ["oauth_token_secret", at.tokenSecret],
      ["user_nsid", account.nsid],
      ["username", account.username],
    ].map(([k, v]) => `${k}=${percentEncode(v ?? "")}`).join("&");
    return formReply(200, body);
  }
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[
        c
      ] ?? c,
  );
}
