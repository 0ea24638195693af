/**
 * The bytes behind every file URL the fake serves: originals (from
 * {@linkcode PhotoContent}), resized JPEGs of each size, video posters and
 * video streams, each with its Content-Type and a strong ETag.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { encodeJpeg, mix32 } from "../helpers/jpeg.ts";
import {
  type ByteSource,
  bytesSource,
  encodeGif,
  encodePng,
  generatedSource,
} from "./media.ts";
import type { FakePhoto, PhotoContent } from "./scenario.ts";
import { type PhotoSize, photoSizes, videoStreams } from "./sizes.ts";

/** A servable file. */
export interface FileEntity {
  source: ByteSource;
  contentType: string;
  /** Strong ETag, quoted. */
  etag: string;
  /** Unix seconds, for Last-Modified. */
  lastModified: number;
  /** File extension of the bytes. */
  ext: string;
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  mp4: "video/mp4",
  mov: "video/quicktime",
};

/** MIME type of a file extension. */
export function contentTypeOf(ext: string): string {
  return CONTENT_TYPES[ext.toLowerCase()] ?? "application/octet-stream";
}

/** FNV-1a of a string, 32 bits. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function sha1Hex(data: Uint8Array | string): string {
  return createHash("sha1").update(data).digest("hex");
}

/** Small LRU of encoded files, so Range retries do not re-encode. */
const cache = new Map<string, { bytes: Uint8Array; etag: string }>();
const CACHE_MAX = 256;

function cached(
  key: string,
  make: () => Uint8Array,
): { bytes: Uint8Array; etag: string } {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const bytes = make();
  const entry = { bytes, etag: `"${sha1Hex(bytes)}"` };
  cache.set(key, entry);
  if (cache.size > CACHE_MAX) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return entry;
}

const contentKeys = new WeakMap<PhotoContent, string>();
let contentCounter = 0;

/** Identity of a content object (a replaced content gets a new key). */
function contentKey(content: PhotoContent): string {
  let key = contentKeys.get(content);
  if (!key) {
    key = `c${++contentCounter}`;
    contentKeys.set(content, key);
  }
  return key;
}

/** The original file: the photo's content (the video file for videos). */
export function originalEntity(photo: FakePhoto): FileEntity {
  const content = photo.content;
  const ext = photo.originalFormat;
  const base = {
    contentType: contentTypeOf(ext),
    lastModified: photo.lastUpdate,
    ext,
  };
  if (content.kind === "generated") {
    const descriptor = JSON.stringify([
      content.size,
      content.seed,
      content.format ?? "bin",
      content.exif ?? null,
    ]);
    return {
      ...base,
      source: generatedSource(content),
      etag: `"g${sha1Hex(descriptor).slice(0, 31)}"`,
    };
  }
  const key = `orig:${photo.id}:${
    contentKey(content)
  }:${photo.width}x${photo.height}`;
  const { bytes, etag } = cached(key, () => encodeContent(photo, content));
  return { ...base, source: bytesSource(bytes), etag };
}

function encodeContent(photo: FakePhoto, content: PhotoContent): Uint8Array {
  switch (content.kind) {
    case "bytes":
      return content.bytes;
    case "jpeg":
      return encodeJpeg({
        width: content.width ?? photo.width,
        height: content.height ?? photo.height,
        seed: content.seed,
        components: 1,
        jfif: content.exif === undefined,
        exif: content.exif,
        progressive: content.progressive,
        trailer: content.trailer,
        padTo: content.padTo,
        comment: `fake-flickr original ${photo.id}`,
      });
    case "png":
      return encodePng({
        width: content.width ?? photo.width,
        height: content.height ?? photo.height,
        seed: content.seed,
        comment: `fake-flickr original ${photo.id}`,
      });
    case "gif":
      return encodeGif({
        width: content.width ?? photo.width,
        height: content.height ?? photo.height,
        seed: content.seed,
        comment: `fake-flickr original ${photo.id}`,
      });
    case "generated":
      throw new TypeError("generated content is streamed, not encoded");
  }
}

/**
 * The file of one size. The photo Original is the original file; every
 * other size (and a video's "Original", its poster frame) is a JPEG of the
 * size's exact pixel dimensions.
 */
export function sizeEntity(photo: FakePhoto, size: PhotoSize): FileEntity {
  if (size.spec.key === "o" && photo.media === "photo") {
    return originalEntity(photo);
  }
  const key =
    `size:${photo.id}:${size.spec.key}:${size.secret}:${photo.originalSecret}:${size.width}x${size.height}`;
  const { bytes, etag } = cached(key, () =>
    encodeJpeg({
      width: size.width,
      height: size.height,
      seed: mix32(fnv1a(key)),
      components: 1,
      jfif: true,
      comment: `fake-flickr ${size.spec.label} ${photo.id}`,
    }));
  return {
    source: bytesSource(bytes),
    contentType: "image/jpeg",
    etag,
    lastModified: photo.lastUpdate,
    ext: "jpg",
  };
}

/**
 * A video stream file: `orig` is the original video; other kinds are
 * generated MP4s, smaller than the original by the stream's ratio.
 */
export function streamEntity(
  photo: FakePhoto,
  kind: string,
): FileEntity | undefined {
  if (photo.media !== "video") return undefined;
  if (kind === "orig") return originalEntity(photo);
  const stream = videoStreams(photo).find((s) => s.kind === kind);
  if (!stream) return undefined;
  const originalSize = originalEntity(photo).source.size;
  const size = Math.max(4096, Math.floor(originalSize * stream.ratio));
  const seed = mix32(fnv1a(`${photo.id}:${photo.secret}:${kind}`));
  const source = generatedSource({ size, seed, format: "mp4" });
  return {
    source,
    contentType: "video/mp4",
    etag: `"v${sha1Hex(`${size}:${seed}`).slice(0, 31)}"`,
    lastModified: photo.lastUpdate,
    ext: "mp4",
  };
}

/**
 * Resolves a variant name to a file: undefined → the original (the video
 * file for videos); a getSizes label ("Large 1600", "Original"); a url_X key
 * ("url_l", or just "l"); "poster" (a video's poster Original); a video
 * stream kind ("orig", "site", "hd", "720p", …).
 */
export function variantEntity(
  photo: FakePhoto,
  variant?: string,
): FileEntity | undefined {
  if (variant === undefined) return originalEntity(photo);
  const sizes = photoSizes(photo);
  const v = variant.toLowerCase();
  const key = v.startsWith("url_") ? v.slice(4) : v;
  const size = sizes.find((s) => s.spec.label.toLowerCase() === v) ??
    sizes.find((s) => s.spec.key === key) ??
    (v === "poster" ? sizes.find((s) => s.spec.key === "o") : undefined);
  if (size) return sizeEntity(photo, size);
  if (photo.media === "video") {
    if (v === "video original") return originalEntity(photo);
    const label = VIDEO_LABELS[v];
    return streamEntity(photo, label ?? v);
  }
  return undefined;
}

const VIDEO_LABELS: Record<string, string> = {
  "site mp4": "site",
  "mobile mp4": "mobile",
  "hd mp4": "hd",
};

/** True when the video stream kind exists for the photo. */
export function hasStream(photo: FakePhoto, kind: string): boolean {
  if (photo.media !== "video") return false;
  if (kind === "orig") return photo.originalAvailable;
  return videoStreams(photo).some((s) => s.kind === kind);
}

/** Reads a whole entity into memory (tests only; not for huge files). */
export function readAll(entity: FileEntity): Uint8Array {
  const out = new Uint8Array(entity.source.size);
  let at = 0;
  for (const chunk of entity.source.read(0, entity.source.size)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
