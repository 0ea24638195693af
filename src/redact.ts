/**
 * Removes credentials from text before it reaches a message, a log or a
 * report. Deno's fetch errors quote the full request URL, and Flickr's 401
 * bodies echo the signature base string, so both can carry OAuth material.
 *
 * Secret values (tokens, token secrets, signatures, verifiers, nonces,
 * `api_sig`, the CDN's `s=` token, whole `Authorization: OAuth …` values)
 * become {@link REDACTED}. Consumer keys (`oauth_consumer_key`, `api_key`)
 * are not secret but identify the app, so only their first 4 characters stay.
 *
 * @module
 */

/** What replaces a removed value. */
export const REDACTED = "[redacted]";

/** Parameter names whose values are removed entirely. */
const SECRET_NAMES = [
  "oauth_token_secret",
  "oauth_token",
  "oauth_signature",
  "oauth_verifier",
  "oauth_nonce",
  "api_sig",
  "auth_token",
  "token_secret",
  "tokenSecret",
  "consumer_secret",
  "consumerSecret",
  "api_secret",
  "apiSecret",
];

/** Parameter names whose values keep a short prefix. */
const KEY_NAMES = ["oauth_consumer_key", "api_key", "consumerKey", "apiKey"];

const NAME_ALTERNATION = (names: readonly string[]) =>
  names
    .slice()
    .sort((a, b) => b.length - a.length)
    .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("|");

// A value in a query string or form body ends at `&`, whitespace, a quote,
// a bracket or a fragment; in an encoded base string it also ends at `%26`.
const VALUE = String.raw`(?:(?!%26)[^&\s"'<>#,;)\]])*`;
const EQUALS = String.raw`(?:=|%3D|%253D)`;

// `name=value` and `name%3Dvalue` (Flickr's debug_sbs), not preceded by a
// word character so that e.g. `my_oauth_token=` is left alone, but allowed
// right after an encoded `&` or `?`.
const NAME_START = String.raw`(?:(?<![A-Za-z0-9_])|(?<=%26|%3F|%2526|%253F))`;
const QUERY_SECRET = new RegExp(
  String.raw`${NAME_START}(${
    NAME_ALTERNATION(SECRET_NAMES)
  })(${EQUALS})(${VALUE})`,
  "gi",
);
const QUERY_KEY = new RegExp(
  String.raw`${NAME_START}(${
    NAME_ALTERNATION(KEY_NAMES)
  })(${EQUALS})(${VALUE})`,
  "gi",
);
// `name="value"` (header parameter) and `"name": "value"` (JSON).
const QUOTED_SECRET = new RegExp(
  String.raw`(["']?)(${
    NAME_ALTERNATION(SECRET_NAMES)
  })\1(\s*[:=]\s*)(["'])((?:(?!\4)[^\\]|\\.)*)\4`,
  "gi",
);
const QUOTED_KEY = new RegExp(
  String.raw`(["']?)(${
    NAME_ALTERNATION(KEY_NAMES)
  })\1(\s*[:=]\s*)(["'])((?:(?!\4)[^\\]|\\.)*)\4`,
  "gi",
);
// The CDN token: `?s=…` or `&s=…` only, so `pages=3` is untouched.
const CDN_TOKEN = new RegExp(String.raw`([?&](?:amp;)?s=)(${VALUE})`, "g");
// A whole OAuth authorization value, header name optional.
const OAUTH_HEADER =
  /(\bOAuth)\s+(?:(?:realm|oauth_[A-Za-z_]+)\s*=\s*"[^"]*"\s*,?\s*)+/g;
// Any other credential in an Authorization header.
const AUTH_HEADER =
  /(\bAuthorization["']?\s*[:=]\s*["']?)(?!\s*OAuth \[)(Bearer|Basic|Digest)?\s*[^\s"',]+/gi;

/** Whether a value needs no change (empty, or redacted already). */
function isClean(value: string): boolean {
  return value === "" || value.includes("[redacted");
}

/** Keeps the first 4 characters of a key-like value. */
function partialKey(value: string): string {
  if (isClean(value)) return value;
  if (value.length <= 4) return REDACTED;
  return `${value.slice(0, 4)}…${REDACTED}`;
}

/**
 * Returns `text` with credential values removed.
 *
 * @param text Any message, URL, header dump or response body.
 * @param secrets Literal values to remove wherever they appear (for example
 *   the consumer secret and token secret the caller holds); values shorter
 *   than 4 characters are ignored so that they cannot blank out ordinary text.
 * @example
 * ```ts
 * redact("GET /rest?oauth_token=7215-abc&page=2");
 * // "GET /rest?oauth_token=[redacted]&page=2"
 * ```
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  out = out.replace(OAUTH_HEADER, `$1 ${REDACTED}`);
  out = out.replace(
    AUTH_HEADER,
    (_match, prefix: string, scheme: string | undefined) =>
      `${prefix}${scheme ? `${scheme} ` : ""}${REDACTED}`,
  );
  out = out.replace(
    QUOTED_SECRET,
    (_m, q1: string, name: string, sep: string, q2: string, value: string) =>
      `${q1}${name}${q1}${sep}${q2}${isClean(value) ? value : REDACTED}${q2}`,
  );
  out = out.replace(
    QUOTED_KEY,
    (_m, q1: string, name: string, sep: string, q2: string, value: string) =>
      `${q1}${name}${q1}${sep}${q2}${partialKey(value)}${q2}`,
  );
  out = out.replace(
    QUERY_SECRET,
    (_m, name: string, eq: string, value: string) =>
      `${name}${eq}${isClean(value) ? value : REDACTED}`,
  );
  out = out.replace(
    QUERY_KEY,
    (_m, name: string, eq: string, value: string) =>
      `${name}${eq}${partialKey(value)}`,
  );
  out = out.replace(
    CDN_TOKEN,
    (_m, prefix: string, value: string) =>
      `${prefix}${isClean(value) ? value : REDACTED}`,
  );
  return out;
}

/**
 * Returns a URL without its query, fragment and user info, for messages:
 * `https://live.staticflickr.com/video/1/2/orig.mp4?s=…` becomes
 * `https://live.staticflickr.com/video/1/2/orig.mp4`. Text that does not
 * parse as a URL is cut at the first `?` or `#` and passed through
 * {@link redact}.
 */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    const text = String(url);
    const cut = text.search(/[?#]/);
    return redact(cut === -1 ? text : text.slice(0, cut));
  }
}

/**
 * Returns a copy of `error` whose message and stack went through
 * {@link redact}, keeping its name and (redacted) cause chain. Use it when a
 * third-party error (for example a fetch `TypeError` quoting a signed URL)
 * becomes the `cause` of one of ours.
 */
export function redactError(
  error: unknown,
  secrets: readonly string[] = [],
  depth = 0,
): Error {
  if (!(error instanceof Error)) {
    return new Error(redact(String(error), secrets));
  }
  const cause = error.cause !== undefined && depth < 5
    ? redactError(error.cause, secrets, depth + 1)
    : undefined;
  const copy = new Error(
    redact(error.message, secrets),
    cause ? { cause } : undefined,
  );
  copy.name = error.name;
  if (error.stack) copy.stack = redact(error.stack, secrets);
  return copy;
}
