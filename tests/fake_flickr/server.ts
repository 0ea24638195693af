/**
 * The fake Flickr server: one `Deno.serve` on 127.0.0.1 (port 0) answering
 * the REST API, the OAuth endpoints, photo/video pages and play URLs and the
 * CDN file paths on the same origin, plus a raw TCP port for the byte-level
 * faults `Deno.serve` cannot produce (see raw.ts). Every request is logged.
 *
 * @module
 */

import { readAll, variantEntity } from "./content.ts";
import {
  findStatic,
  findVideo,
  notFound,
  parseStaticPath,
  type Reply,
  serveEntity,
  textReply,
  videoCdnUrl,
} from "./files.ts";
import { type FaultPlan, Faults, RAW_KINDS, type Sleep } from "./faults.ts";
import { bytesSource } from "./media.ts";
import {
  type Consumer,
  escapeHtml,
  formReply,
  OAuthState,
  type Pairs,
  param,
  parseAuthorizationHeader,
  percentEncode,
  type Perms,
  type RequestParams,
  type TextOut,
} from "./oauth.ts";
import { RawResponder } from "./raw.ts";
import { directFault, fromTextOut, gzipReply, streamReply } from "./respond.ts";
import {
  encodeReply,
  METHODS,
  type NumberMode,
  type RestContext,
} from "./rest.ts";
import { type Account, demoAccount } from "./scenario.ts";
import { DEFAULT_QUIRKS, type Quirks, ShortPageMemory } from "./quirks.ts";
import type { FakeLicense } from "./licenses.ts";
import { ownerSlug, photoSizes } from "./sizes.ts";

/** API key of the default consumer (32 hex). */
export const FAKE_API_KEY = "4d7f2c9a1b3e5f60718293a4b5c6d7e8";
/** API secret of the default consumer (16 hex). */
export const FAKE_API_SECRET = "a1b2c3d4e5f60718";

/** Options of {@linkcode startFakeFlickr}. */
export interface FakeFlickrOptions {
  /** The account served; default {@linkcode demoAccount}(). */
  account?: Account;
  /** Known consumers; default the FAKE_API_KEY / FAKE_API_SECRET pair. */
  consumers?: Consumer[];
  /** Added to every request (default 0). */
  latencyMs?: number;
  /**
   * How the fake waits (latency, drip, stalls with `ms`); default real
   * timers. Tests pass a recorder to check the waits without taking time.
   */
  sleep?: Sleep;
  /** How varying numeric fields are emitted (default "mixed"). */
  stringNumbers?: NumberMode;
  /** Refuse OAuth timestamps more than 300 s off and reused nonces. */
  strictTimestamps?: boolean;
  /** Port of the main server (default 0: any free port). */
  port?: number;
  /** Real-Flickr quirks to switch on (see quirks.ts; default DEFAULT_QUIRKS). */
  quirks?: Partial<Quirks>;
  /** What `flickr.photos.licenses.getInfo` answers (default: Flickr's 0–16). */
  licenses?: readonly FakeLicense[];
}

/** What kind of URL a request was for. */
export type RequestKind = "rest" | "oauth" | "file" | "play" | "page" | "other";

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** Arrival, ms since the epoch. */
  time: number;
  method: string;
  /** Full URL as received (Host header as sent). */
  url: string;
  path: string;
  /** Query parameters (first value of each). */
  query: Record<string, string>;
  /** REST method (from query or form body). */
  flickrMethod?: string;
  /** Request headers, names lower case. */
  headers: Record<string, string>;
  /** Request body as text (form posts), if any. */
  requestBody?: string;
  /** Status sent (0 until the reply is chosen). */
  status: number;
  /** Response body bytes actually sent so far. */
  bodyBytes: number;
  /** The response body was sent to the end. */
  complete: boolean;
  kind: RequestKind;
  /** "raw" for requests answered by the raw TCP port. */
  via: "main" | "raw";
  /** Kinds of the faults applied. */
  faults: string[];
  /** Arrival number from `faults.arrive()` (main port only). */
  arrival?: number;
}

/** Size, ETag and type of a file the fake serves. */
export interface FileInfo {
  size: number;
  etag: string;
  contentType: string;
}

/** A running fake Flickr. */
export interface FakeFlickr extends AsyncDisposable {
  /** "http://127.0.0.1:PORT", the FLICKR_ENDPOINT value. */
  readonly url: string;
  /** Origin of the raw TCP port (byte-level faults). */
  readonly rawUrl: string;
  /** The live account; mutate it between runs. */
  readonly account: Account;
  /** Replaces the whole account. */
  setAccount(account: Account): void;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Calls per Flickr REST method. */
  callCounts(): Record<string, number>;
  /** Total REST calls (not OAuth, not files). */
  apiCallCount(): number;
  /** Requests for photo/video bytes (CDN paths, both ports). */
  fileRequests(): RecordedRequest[];
  /** Empties the request log. */
  clearRequests(): void;
  /**
   * Calls `listener` for every request, after it is logged and before it is
   * answered (e.g. to change the account between two page requests).
   * Returns a function that removes the listener.
   */
  onRequest(listener: (request: RecordedRequest) => void): () => void;
  /** Fault rules. */
  readonly faults: Faults;
  /** The quirks in force; change them between runs. */
  readonly quirks: Quirks;
  /** The consumers the fake knows. */
  readonly consumers: readonly Consumer[];
  /** Issues an access token for the account owner (skips the dance). */
  issueAccessToken(perms?: Perms): { token: string; tokenSecret: string };
  /** Revokes a token: later REST calls get code 98. */
  revokeToken(token: string): void;
  /**
   * Requests in which a consumer secret or a token secret appeared (URL,
   * headers or body, raw or percent-encoded). Should always be empty.
   */
  secretLeaks(): RecordedRequest[];
  /**
   * Exact bytes served for the original (the video file for videos) or a
   * variant: a size label ("Large", "Original"), a url_X key ("url_l"), a
   * video stream kind ("orig", "hd", "360p"…) or "poster".
   */
  fileBytes(photoId: string, variant?: string): Promise<Uint8Array>;
  /** Size, ETag and Content-Type of a file, without reading it. */
  fileInfo(photoId: string, variant?: string): FileInfo;
  /** SHA-256 (hex) of a file, streamed (fine for huge generated files). */
  fileSha256(photoId: string, variant?: string): Promise<string>;
  /** Absolute CDN URL of a photo size (default: the Original). */
  photoUrl(photoId: string, sizeKey?: string): string;
  /** Stops both ports; aborts stalled and dripping responses. */
  close(): Promise<void>;
}

/**
 * Starts a fake Flickr on 127.0.0.1 with a random port.
 *
 * @example
 * ```ts
 * await using flickr = await startFakeFlickr({ account: awkwardAccount() });
 * Deno.env.set("FLICKR_ENDPOINT", flickr.url);
 * ```
 */
export async function startFakeFlickr(
  options: FakeFlickrOptions = {},
): Promise<FakeFlickr> {
  const fake = new FakeFlickrServer(options);
  await fake.ready;
  return fake;
}

class FakeFlickrServer implements FakeFlickr {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Faults;
  readonly quirks: Quirks;
  readonly consumers: readonly Consumer[];
  #shortPages = new ShortPageMemory();
  #licenses?: readonly FakeLicense[];
  readonly ready: Promise<void>;
  #account: Account;
  #oauth: OAuthState;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #raw: RawResponder;
  #abort = new AbortController();
  #latencyMs: number;
  #numbers: NumberMode;
  #closing?: Promise<void>;
  #listeners = new Set<(request: RecordedRequest) => void>();
  readonly url: string;

  constructor(options: FakeFlickrOptions) {
    this.#account = options.account ?? demoAccount();
    this.consumers = options.consumers ??
      [{ key: FAKE_API_KEY, secret: FAKE_API_SECRET }];
    this.#oauth = new OAuthState({
      consumers: [...this.consumers],
      strictTimestamps: options.strictTimestamps ?? false,
    });
    this.#latencyMs = options.latencyMs ?? 0;
    this.faults = new Faults(options.sleep);
    this.#numbers = options.stringNumbers ?? "mixed";
    this.quirks = { ...DEFAULT_QUIRKS, ...options.quirks };
    if (options.licenses) this.#licenses = options.licenses;
    this.#raw = new RawResponder((info) => {
      const url = new URL(info.target, this.#raw.url);
      this.requests.push({
        time: Date.now(),
        method: info.method,
        url: url.href,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: info.headers,
        status: info.status,
        bodyBytes: info.bodyBytes,
        complete: true,
        kind: classify(url.pathname),
        via: "raw",
        faults: info.fault ? [info.fault] : [],
      });
    });
    let resolveReady = () => {};
    this.ready = new Promise((r) => resolveReady = r);
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: () => resolveReady(),
      onError: (error) =>
        new Response(`Internal error: ${error}`, { status: 500 }),
    }, (req) => this.#handle(req));
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  get rawUrl(): string {
    return this.#raw.url;
  }

  get account(): Account {
    return this.#account;
  }

  setAccount(account: Account): void {
    this.#account = account;
  }

  callCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) {
      if (r.kind === "rest" && r.flickrMethod) {
        counts[r.flickrMethod] = (counts[r.flickrMethod] ?? 0) + 1;
      }
    }
    return counts;
  }

  apiCallCount(): number {
    return this.requests.filter((r) => r.kind === "rest").length;
  }

  fileRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.kind === "file");
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  onRequest(listener: (request: RecordedRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  issueAccessToken(
    perms: Perms = "read",
  ): { token: string; tokenSecret: string } {
    const t = this.#oauth.issueAccessToken(perms);
    return { token: t.token, tokenSecret: t.tokenSecret };
  }

  revokeToken(token: string): void {
    this.#oauth.revoke(token);
  }

  secretLeaks(): RecordedRequest[] {
    const needles = this.#oauth.secrets().filter((s) => s.length >= 8)
      .flatMap((s) => [s, percentEncode(s)]);
    return this.requests.filter((r) => {
      const hay = [r.url, r.requestBody ?? "", ...Object.values(r.headers)]
        .join("\n");
      let decoded = hay;
      try {
        decoded = decodeURIComponent(hay);
      } catch {
        // keep the raw text
      }
      return needles.some((n) => hay.includes(n) || decoded.includes(n));
    });
  }

  #entity(photoId: string, variant?: string) {
    const photo = this.#account.photos.get(photoId);
    if (!photo) throw new Error(`Photo "${photoId}" not found`);
    const entity = variantEntity(photo, variant);
    if (!entity) {
      throw new Error(`Photo "${photoId}" has no variant "${variant}"`);
    }
    return entity;
  }

  fileBytes(photoId: string, variant?: string): Promise<Uint8Array> {
    return Promise.resolve(readAll(this.#entity(photoId, variant)));
  }

  fileInfo(photoId: string, variant?: string): FileInfo {
    const e = this.#entity(photoId, variant);
    return { size: e.source.size, etag: e.etag, contentType: e.contentType };
  }

  async fileSha256(photoId: string, variant?: string): Promise<string> {
    const { createHash } = await import("node:crypto");
    const e = this.#entity(photoId, variant);
    const hash = createHash("sha256");
    for (const chunk of e.source.read(0, e.source.size)) hash.update(chunk);
    return hash.digest("hex");
  }

  photoUrl(photoId: string, sizeKey = "o"): string {
    const photo = this.#account.photos.get(photoId);
    if (!photo) throw new Error(`Photo "${photoId}" not found`);
    if (
      photo.media === "video" && (sizeKey === "orig" || sizeKey === "video")
    ) {
      return videoCdnUrl(this.url, photo, "orig");
    }
    const size = photoSizes(photo).find((s) => s.spec.key === sizeKey);
    if (!size) throw new Error(`Photo "${photoId}" has no size "${sizeKey}"`);
    return this.url + size.path;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#abort.abort();
    this.faults.releaseStalls();
    // Only a body left open (a test bug) reaches this limit; it is far
    // beyond what a busy machine needs to close the connections.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), 60_000);
    });
    const result = await Promise.race([
      this.#server.shutdown().then(() => "ok" as const),
      timeout,
    ]);
    clearTimeout(timer);
    await this.#raw.close();
    if (result === "timeout") {
      throw new Error(
        "Cannot close the fake Flickr: a response body is still open (consume or cancel every response body)",
      );
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------ handling

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => headers[k] = v);
    const rec: RecordedRequest = {
      time: Date.now(),
      method: req.method,
      url: url.href,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      status: 0,
      bodyBytes: 0,
      complete: false,
      kind: classify(url.pathname),
      via: "main",
      faults: [],
      arrival: this.faults.arrive(),
    };
    this.requests.push(rec);
    try {
      const { params, bodyText } = await readParams(req, url);
      if (bodyText !== undefined) rec.requestBody = bodyText;
      if (rec.kind === "rest") rec.flickrMethod = param(params, "method");
      for (const listener of this.#listeners) listener(rec);
      const signal = this.#abort.signal;
      if (this.#latencyMs > 0) await this.faults.sleep(this.#latencyMs, signal);
      const plan = this.faults.take({
        path: url.pathname,
        flickrMethod: rec.flickrMethod,
        hasRange: req.headers.has("range"),
      });
      rec.faults = Object.values(plan).map((r) => r.kind);
      if (plan.latency?.kind === "latency") {
        await this.faults.sleep(plan.latency.ms, signal);
      }
      const rule = plan.response;
      // A gzip fault compresses the whole file: Range is ignored.
      if (rule?.kind === "gzip") plan.range = { kind: "ignoreRange" };
      let reply = rule ? directFault(rule, params, url) : undefined;
      reply ??= this.#route(req, url, params, rec.kind, plan);
      if (rule && RAW_KINDS.has(rule.kind)) {
        this.#raw.enqueue(url.pathname + url.search, { reply, rule });
        reply = {
          status: 307,
          headers: new Headers({
            location: this.#raw.url + url.pathname + url.search,
            "content-length": "0",
          }),
        };
      }
      if (rule?.kind === "gzip" && reply.body) reply = gzipReply(reply);
      rec.status = reply.status;
      return streamReply(reply, rule, rec, this.#abort.signal, this.faults);
    } catch (error) {
      rec.status = 500;
      rec.complete = true;
      return new Response(`Internal error: ${error}\n`, { status: 500 });
    }
  }

  #route(
    req: Request,
    url: URL,
    params: RequestParams,
    kind: RequestKind,
    plan: FaultPlan,
  ): Reply {
    const path = url.pathname;
    switch (kind) {
      case "rest":
        return this.#rest(req, url, params, plan);
      case "oauth":
        return this.#oauthEndpoint(req, url, params);
      case "play":
        return this.#play(req, url, params);
      case "file": {
        if (path.startsWith("/video/")) {
          const found = findVideo(this.#account, url);
          if ("status" in found) return found;
          return serveEntity(req, found.entity, plan, found.headers);
        }
        const parsed = parseStaticPath(path);
        const entity = parsed && findStatic(this.#account, parsed);
        return entity ? serveEntity(req, entity, plan) : notFound();
      }
      case "page":
        return this.#page(url);
      default:
        return notFound();
    }
  }

  #rest(
    req: Request,
    url: URL,
    params: RequestParams,
    plan: FaultPlan,
  ): Reply {
    const format = param(params, "format");
    let mode: "json" | "jsonp" | "xml";
    if (format === "json") {
      mode = param(params, "nojsoncallback") === "1" ? "json" : "jsonp";
    } else if (format === undefined || format === "rest" || format === "xml") {
      mode = "xml";
    } else {
      const out = encodeReply("xml", {
        stat: "fail",
        code: 111,
        message: `Format "${format}" not found`,
      });
      return textReply(200, out.text, out.contentType);
    }
    if (plan.response?.kind === "jsonp") mode = "jsonp";
    const callback = param(params, "jsoncallback") ?? "jsonFlickrApi";
    const truncate = plan.response?.kind === "truncatedJson"
      ? plan.response
      : undefined;
    const rewrite = plan.response?.kind === "rewriteJson"
      ? plan.response
      : undefined;
    const send = (body: Record<string, unknown>): Reply => {
      if (rewrite) body = rewrite.edit(structuredClone(body));
      const out = encodeReply(mode, body, callback);
      let bytes = new TextEncoder().encode(out.text);
      if (truncate) {
        bytes = bytes.slice(
          0,
          truncate.keepBytes ?? Math.floor(bytes.length / 2),
        );
      }
      const headers = new Headers({
        "content-type": out.contentType,
        "content-length": String(bytes.length),
      });
      return { status: 200, headers, body: bytesSource(bytes) };
    };
    const failWith = (code: number, message: string) =>
      send({ stat: "fail", code, message });

    const auth = this.#oauth.authenticate(req.method, url, params);
    if (auth === undefined) {
      return failWith(100, "Invalid API Key (Key has invalid format)");
    }
    if ("restFail" in auth) {
      return failWith(auth.restFail.code, auth.restFail.message);
    }
    if ("status" in auth) return fromTextOut(auth);
    const method = param(params, "method") ?? "";
    const spec = METHODS[method];
    if (!spec) return failWith(112, `Method "${method}" not found`);
    const token = auth.kind === "oauth" ? auth.token : undefined;
    const owner = token !== undefined && !token.revoked;
    if (spec.needsRead && !owner) {
      if (auth.kind === "oauth") {
        return fromTextOut(formReply(
          400,
          "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_token",
        ));
      }
      return failWith(
        99,
        "Insufficient permissions. Method requires read privileges; none granted.",
      );
    }
    const ctx: RestContext = {
      account: this.#account,
      origin: this.url,
      params,
      owner,
      auth,
      numbers: this.#numbers,
      quirks: this.quirks,
      shortPages: this.#shortPages,
      ...(this.#licenses ? { licenses: this.#licenses } : {}),
    };
    const outcome = spec.run(ctx);
    if ("fail" in outcome) {
      return failWith(outcome.fail.code, outcome.fail.message);
    }
    return send({ ...outcome.ok, stat: "ok" });
  }

  #oauthEndpoint(req: Request, url: URL, params: RequestParams): Reply {
    const step = url.pathname.replace(/\/$/, "").split("/").pop();
    let out: TextOut;
    if (step === "request_token") {
      out = this.#oauth.requestToken(req.method, url, params);
    } else if (step === "authorize") {
      out = this.#oauth.authorize(url, this.#account);
    } else if (step === "access_token") {
      out = this.#oauth.accessToken(req.method, url, params, this.#account);
    } else {
      return notFound();
    }
    return fromTextOut(out);
  }

  /**
   * `/photos/{owner}/{id}/play/{kind}/{secret}/` → 302 to the CDN with an
   * expiring token. `orig` (and any stream of a non-public video) needs an
   * OAuth signature by the owner's valid token; otherwise 404.
   */
  #play(req: Request, url: URL, params: RequestParams): Reply {
    const m = /^\/photos\/([^/]+)\/(\d+)\/play\/([0-9a-z_]+)\/([0-9a-f]+)\/?$/
      .exec(url.pathname);
    if (!m) return notFound();
    const [, owner = "", id = "", kind = "", secret] = m;
    const account = this.#account;
    const photo = account.photos.get(id);
    if (
      !photo || photo.media !== "video" ||
      (owner !== account.nsid && owner !== account.pathAlias)
    ) {
      return notFound();
    }
    const wantSecret = kind === "orig" ? photo.originalSecret : photo.secret;
    const exists = kind === "orig"
      ? photo.originalAvailable
      : variantEntity(photo, kind) !== undefined;
    if (secret !== wantSecret || !exists) return notFound();
    const mode = this.quirks.play;
    if (kind === "orig" && mode === "origNotFound") {
      // As recorded: owner-only play/orig answers 404 to scripts.
      const reply = notFound();
      reply.headers.set("x-fake-flickr-reason", "play/orig 404 (quirk)");
      return reply;
    }
    if (mode !== "unsigned" && (kind === "orig" || !photo.isPublic)) {
      const auth = this.#oauth.authenticate(req.method, url, params);
      const ok = auth !== undefined && "kind" in auth &&
        auth.kind === "oauth" && auth.token !== undefined &&
        !auth.token.revoked;
      if (!ok) {
        const reply = notFound();
        const why = auth === undefined
          ? "unsigned"
          : "status" in auth
          ? auth.text
          : "restFail" in auth
          ? auth.restFail.message
          : "no token";
        reply.headers.set("x-fake-flickr-reason", why.slice(0, 1000));
        return reply;
      }
    }
    return {
      status: 302,
      headers: new Headers({
        location: videoCdnUrl(this.url, photo, kind),
        "content-length": "0",
        "content-type": "text/html; charset=UTF-8",
      }),
    };
  }

  #page(url: URL): Reply {
    const account = this.#account;
    const m = /^\/(?:photos|people)\/([^/]+)(?:\/(\d+))?/.exec(url.pathname);
    const slug = m?.[1];
    if (!m || (slug !== account.nsid && slug !== account.pathAlias)) {
      return notFound();
    }
    const photo = m[2] ? account.photos.get(m[2]) : undefined;
    if (m[2] && !photo) return notFound();
    const title = photo ? photo.title : account.username;
    return textReply(
      200,
      `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${
        escapeHtml(title)
      } | Flickr</title></head><body><h1>${escapeHtml(title)}</h1><p>${
        escapeHtml(ownerSlug(account))
      }</p></body></html>\n`,
      "text/html; charset=utf-8",
    );
  }
}

/** Classifies a path. */
export function classify(path: string): RequestKind {
  if (/^\/services\/rest\/?$/.test(path)) return "rest";
  if (path.startsWith("/services/oauth/")) return "oauth";
  if (/^\/photos\/[^/]+\/\d+\/play\//.test(path)) return "play";
  if (path.startsWith("/video/") || parseStaticPath(path)) return "file";
  if (/^\/(photos|people|apps)\//.test(path)) return "page";
  return "other";
}

async function readParams(
  req: Request,
  url: URL,
): Promise<{ params: RequestParams; bodyText?: string }> {
  const query: Pairs = [...url.searchParams];
  const body: Pairs = [];
  let bodyText: string | undefined;
  const type = req.headers.get("content-type") ?? "";
  if (req.body && req.method !== "GET" && req.method !== "HEAD") {
    if (type.startsWith("multipart/form-data")) {
      const form = await req.formData();
      for (const [k, v] of form) if (typeof v === "string") body.push([k, v]);
      bodyText = body.map(([k, v]) => `${k}=${v}`).join("&");
    } else {
      bodyText = await req.text();
      if (type.startsWith("application/x-www-form-urlencoded")) {
        body.push(...new URLSearchParams(bodyText));
      }
    }
  }
  const header = parseAuthorizationHeader(
    req.headers.get("authorization") ?? "",
  ) ?? [];
  return { params: { query, body, header }, bodyText };
}
