/**
 * Test-only helpers: an OAuth 1.0a signer built on the `oauth-1.0a` library
 * the real client uses (so the tests prove interop), and small REST/fetch
 * helpers.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import OAuth from "oauth-1.0a";
import type { Sleep } from "./faults.ts";
import { FAKE_API_KEY, FAKE_API_SECRET, type FakeFlickr } from "./server.ts";

/**
 * A `sleep` for `startFakeFlickr({ sleep })` that records every wait the fake
 * makes and returns at once, so timing tests assert the waits, not the clock.
 */
export function recordingSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep(ms) {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/** Credentials to sign with. */
export interface Creds {
  key?: string;
  secret?: string;
  token?: string;
  tokenSecret?: string;
}

/** Where the OAuth parameters travel. */
export type Where = "header" | "query" | "body";

/** RFC 3986 encoding, the same way the `oauth-1.0a` library does it. */
export function enc(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function qs(params: Record<string, string>): string {
  return Object.entries(params).map(([k, v]) => `${enc(k)}=${enc(v)}`).join(
    "&",
  );
}

/** An `oauth-1.0a` instance with HMAC-SHA1 from node:crypto. */
export function oauthLib(key: string, secret: string): OAuth {
  return new OAuth({
    consumer: { key, secret },
    signature_method: "HMAC-SHA1",
    hash_function: (base, k) =>
      createHmac("sha1", k).update(base).digest("base64"),
  });
}

/**
 * Builds a signed request. GET puts the API params in the query; POST puts
 * them in a form body. OAuth params go to `where`.
 */
export function signedRequest(
  httpMethod: "GET" | "POST",
  url: string,
  params: Record<string, string>,
  creds: Creds = {},
  where: Where = "header",
): Request {
  const lib = oauthLib(
    creds.key ?? FAKE_API_KEY,
    creds.secret ?? FAKE_API_SECRET,
  );
  const token = creds.token
    ? { key: creds.token, secret: creds.tokenSecret ?? "" }
    : undefined;
  const inBody = httpMethod === "POST";
  // Extra oauth_* params (oauth_callback, oauth_verifier) travel with the
  // other OAuth params, not with the API params.
  const api: Record<string, string> = {};
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    (k.startsWith("oauth_") ? extra : api)[k] = v;
  }
  params = api;
  const baseUrl = !inBody && Object.keys(params).length > 0
    ? `${url}?${qs(params)}`
    : url;
  const oauthData = lib.authorize(
    {
      url: baseUrl,
      method: httpMethod,
      data: inBody ? { ...params, ...extra } : extra,
    },
    token,
  );
  const headers = new Headers();
  let finalUrl = baseUrl;
  let body: string | undefined;
  const oauthParams: Record<string, string> = {};
  // authorize() merges the request params into its result: keep oauth_* only.
  for (const [k, v] of Object.entries(oauthData)) {
    if (k.startsWith("oauth_")) oauthParams[k] = String(v);
  }
  if (where === "header") {
    headers.set("authorization", lib.toHeader(oauthData).Authorization);
  } else if (where === "query") {
    finalUrl = `${baseUrl}${baseUrl.includes("?") ? "&" : "?"}${
      qs(oauthParams)
    }`;
  }
  if (inBody) {
    const form = where === "body" ? { ...params, ...oauthParams } : params;
    body = qs(form);
    headers.set("content-type", "application/x-www-form-urlencoded");
  }
  return new Request(finalUrl, { method: httpMethod, headers, body });
}

/** Calls a REST method; JSON unless `format` is overridden. */
export async function rest(
  flickr: FakeFlickr,
  method: string,
  params: Record<string, string> = {},
  options: {
    creds?: Creds | "apiKey" | "none";
    where?: Where;
    httpMethod?: "GET" | "POST";
    path?: string;
  } = {},
): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const all = { method, format: "json", nojsoncallback: "1", ...params };
  const url = flickr.url + (options.path ?? "/services/rest/");
  let req: Request;
  if (options.creds === "apiKey" || options.creds === "none") {
    const withKey = options.creds === "apiKey"
      ? { api_key: FAKE_API_KEY, ...all }
      : all;
    req = new Request(`${url}?${qs(withKey)}`);
  } else {
    req = signedRequest(
      options.httpMethod ?? "GET",
      url,
      all,
      options.creds ?? {},
      options.where ?? "header",
    );
  }
  const res = await fetch(req);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: callers look at text
  }
  return { status: res.status, text, json };
}

/** Issues an owner token and returns creds for it. */
export function ownerCreds(flickr: FakeFlickr): Creds {
  const t = flickr.issueAccessToken("read");
  return { token: t.token, tokenSecret: t.tokenSecret };
}

/** Reads a body to the end, counting bytes; returns the error if any. */
export async function drain(
  res: Response,
): Promise<{ bytes: Uint8Array; error?: unknown }> {
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body ?? []) {
      parts.push(chunk);
      n += chunk.length;
    }
  } catch (error) {
    return { bytes: join(parts, n), error };
  }
  return { bytes: join(parts, n) };
}

function join(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Shorthand for a JSON path through unknown data. */
// deno-lint-ignore no-explicit-any
export function j(value: unknown): any {
  return value;
}
