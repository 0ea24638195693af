/**
 * The CDN side of the fake: live.staticflickr.com-style photo paths and
 * `/video/…` stream URLs, with strong ETags, `Accept-Ranges`, Range (206 /
 * 416), If-Range, If-None-Match and HEAD.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { type FileEntity, hasStream, streamEntity } from "./content.ts";
import { sizeEntity } from "./content.ts";
import type { FaultPlan } from "./faults.ts";
import type { ByteSource } from "./media.ts";
import { bytesSource } from "./media.ts";
import type { Account, FakePhoto } from "./scenario.ts";
import { photoSizes } from "./sizes.ts";
import { requestedRange } from "../helpers/http_range.ts";

/** A reply before faults and streaming are applied. */
export interface Reply {
  status: number;
  headers: Headers;
  /** Body bytes; undefined for no body (HEAD, 204, 302 …). */
  body?: ByteSource;
}

/** A reply with a text body. */
export function textReply(
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): Reply {
  const bytes = new TextEncoder().encode(text);
  const h = new Headers(headers);
  h.set("content-type", contentType);
  h.set("content-length", String(bytes.length));
  return { status, headers: h, body: bytesSource(bytes) };
}

/** A plain 404 like the CDN's. */
export function notFound(): Reply {
  return textReply(
    404,
    "<html><body><h1>404 Not Found</h1></body></html>\n",
    "text/html; charset=utf-8",
  );
}

/** Parts of a static photo path. */
export interface StaticPath {
  server: string;
  id: string;
  secret: string;
  /** "" for Medium. */
  suffix: string;
  ext: string;
  /** gallery-dl's `_d` download variant. */
  download: boolean;
}

/** Parses `/{server}/{id}_{secret}[_{suffix}][_d].{ext}`. */
export function parseStaticPath(pathname: string): StaticPath | undefined {
  const m = /^\/(\d+)\/(\d+)_([0-9a-f]+)(?:_([0-9a-z]+))?(_d)?\.([0-9a-z]+)$/
    .exec(pathname);
  if (!m) return undefined;
  let suffix = m[4] ?? "";
  let download = m[5] !== undefined;
  if (suffix === "d" && !download) {
    suffix = "";
    download = true;
  }
  return {
    server: m[1] ?? "",
    id: m[2] ?? "",
    secret: m[3] ?? "",
    suffix,
    ext: m[6] ?? "",
    download,
  };
}

/**
 * The file behind a static path, or undefined (wrong secret, server, size
 * or extension: all 404 on the CDN).
 */
export function findStatic(
  account: Account,
  path: StaticPath,
): FileEntity | undefined {
  const photo = account.photos.get(path.id);
  if (!photo || photo.server !== path.server) return undefined;
  const size = photoSizes(photo).find((s) =>
    s.spec.suffix === path.suffix && s.secret === path.secret &&
    s.ext === path.ext
  );
  return size ? sizeEntity(photo, size) : undefined;
}

/** Key signing the `s` token of video URLs (per process). */
const TOKEN_KEY = crypto.getRandomValues(new Uint8Array(16));

function tokenSig(id: string, expiry: number, kind: string): string {
  return createHmac("sha1", TOKEN_KEY).update(`${id}:${expiry}:${kind}`)
    .digest("hex");
}

/**
 * The `s` query token of a video CDN URL: base64url JSON
 * `{"i":<id>,"e":<expiry>,"s":"<40 hex>","v":1}` (id as a bare number).
 */
export function videoToken(
  id: string,
  kind: string,
  ttlSeconds = 3600,
): string {
  const e = Math.floor(Date.now() / 1000) + ttlSeconds;
  const json = `{"i":${id},"e":${e},"s":"${tokenSig(id, e, kind)}","v":1}`;
  return btoa(json).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function checkToken(token: string | null, id: string, kind: string): boolean {
  if (!token) return false;
  try {
    const json = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
    const m = /^\{"i":(\d+),"e":(\d+),"s":"([0-9a-f]{40})","v":1\}$/.exec(json);
    if (!m || m[1] !== id) return false;
    const e = Number(m[2]);
    return e >= Date.now() / 1000 && m[3] === tokenSig(id, e, kind);
  } catch {
    return false;
  }
}

/** Path of a video stream on the CDN: `/video/{id}/{secret}/{kind}.{ext}`. */
export function videoCdnPath(photo: FakePhoto, kind: string): string {
  if (kind === "orig") {
    return `/video/${photo.id}/${photo.originalSecret}/orig.${photo.originalFormat}`;
  }
  return `/video/${photo.id}/${photo.secret}/${kind}.mp4`;
}

/** Full CDN URL of a video stream, with a fresh `s` token. */
export function videoCdnUrl(
  origin: string,
  photo: FakePhoto,
  kind: string,
): string {
  return `${origin}${videoCdnPath(photo, kind)}?s=${
    videoToken(photo.id, kind)
  }`;
}

/**
 * Resolves `/video/{id}/{secret}/{kind}.{ext}?s=…`: 403 without a valid
 * unexpired token, 404 for a wrong secret or kind. The `orig` file carries
 * `Content-Disposition: attachment; filename={id}.{ext}`.
 */
export function findVideo(
  account: Account,
  url: URL,
): { entity: FileEntity; headers: Record<string, string> } | Reply {
  const m = /^\/video\/(\d+)\/([0-9a-f]+)\/([0-9a-z_]+)\.([0-9a-z]+)$/.exec(
    url.pathname,
  );
  if (!m) return notFound();
  const [, id = "", secret, kind = "", ext] = m;
  const photo = account.photos.get(id);
  if (!checkToken(url.searchParams.get("s"), id, kind)) {
    return textReply(403, "Forbidden\n", "text/plain; charset=utf-8");
  }
  if (!photo || photo.media !== "video" || !hasStream(photo, kind)) {
    return notFound();
  }
  const wantSecret = kind === "orig" ? photo.originalSecret : photo.secret;
  const wantExt = kind === "orig" ? photo.originalFormat : "mp4";
  if (secret !== wantSecret || ext !== wantExt) return notFound();
  const entity = streamEntity(photo, kind);
  if (!entity) return notFound();
  const headers: Record<string, string> = kind === "orig"
    ? {
      "content-disposition":
        `attachment; filename=${photo.id}.${photo.originalFormat}`,
    }
    : {};
  return { entity, headers };
}

/** A view of `[start, end)` of a source. */
export function sliceSource(
  source: ByteSource,
  start: number,
  end: number,
): ByteSource {
  return {
    size: end - start,
    read: (a, b) => source.read(start + a, start + b),
  };
}

function httpDate(unix: number): string {
  return new Date(unix * 1000).toUTCString();
}

/**
 * Serves a file: HEAD, If-None-Match (304), Range (206 / 416), If-Range
 * (a non-matching validator → 200 full body), with the Range and ETag faults
 * of `plan` applied.
 */
export function serveEntity(
  req: Request,
  entity: FileEntity,
  plan: FaultPlan,
  extraHeaders: Record<string, string> = {},
): Reply {
  const size = entity.source.size;
  const etag = plan.etag
    ? `"${entity.etag.slice(1, -1)}-changed"`
    : entity.etag;
  const lastModified = httpDate(entity.lastModified);
  const headers = new Headers(extraHeaders);
  headers.set("content-type", entity.contentType);
  headers.set("etag", etag);
  headers.set("last-modified", lastModified);
  headers.set("accept-ranges", "bytes");
  headers.set("cache-control", "max-age=315360000");
  const isHead = req.method === "HEAD";

  const inm = req.headers.get("if-none-match");
  if (inm && inm.split(",").some((t) => t.trim() === etag)) {
    return { status: 304, headers };
  }

  let range = requestedRange(req.headers, size, { etag, lastModified });
  if (range && plan.range?.kind === "ignoreRange") range = undefined;

  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${size}`);
    headers.set("content-length", "0");
    headers.set("content-type", "text/html; charset=utf-8");
    return { status: 416, headers };
  }
  if (range) {
    let { start, end } = range;
    let total = size;
    if (plan.range?.kind === "misalignedRange") {
      start = Math.min(
        plan.range.start ?? Math.floor(start / 2),
        Math.max(0, size - 1),
      );
      end = size - 1;
      total = plan.range.total ?? size;
    }
    headers.set("content-range", `bytes ${start}-${end}/${total}`);
    headers.set("content-length", String(end - start + 1));
    return {
      status: 206,
      headers,
      body: isHead ? undefined : sliceSource(entity.source, start, end + 1),
    };
  }
  headers.set("content-length", String(size));
  return { status: 200, headers, body: isHead ? undefined : entity.source };
}
