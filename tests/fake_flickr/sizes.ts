/**
 * Flickr's size ladder (FLICKR_API.md §3, §4): which sizes a photo has, their
 * pixel sizes, secrets and live.staticflickr.com-style paths, and the video
 * streams of a video.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Account, FakePhoto } from "./scenario.ts";

/** One rung of the ladder. */
export interface SizeSpec {
  /** Key in `url_X` extras and in `/sizes/X/` page URLs. */
  key: string;
  /** getSizes label. */
  label: string;
  /** File name suffix ("" for Medium 500, which has none). */
  suffix: string;
  /** Longest edge in px (square sizes: the side). */
  edge: number;
  square?: boolean;
  /** Sizes from 1600 up have their own secret each (DOC-URLS). */
  unique?: boolean;
}

/** All sizes, ascending, Original last. */
export const SIZE_LADDER: readonly SizeSpec[] = [
  { key: "sq", label: "Square", suffix: "s", edge: 75, square: true },
  { key: "q", label: "Large Square", suffix: "q", edge: 150, square: true },
  { key: "t", label: "Thumbnail", suffix: "t", edge: 100 },
  { key: "s", label: "Small", suffix: "m", edge: 240 },
  { key: "n", label: "Small 320", suffix: "n", edge: 320 },
  { key: "w", label: "Small 400", suffix: "w", edge: 400 },
  { key: "m", label: "Medium", suffix: "", edge: 500 },
  { key: "z", label: "Medium 640", suffix: "z", edge: 640 },
  { key: "c", label: "Medium 800", suffix: "c", edge: 800 },
  { key: "l", label: "Large", suffix: "b", edge: 1024 },
  { key: "h", label: "Large 1600", suffix: "h", edge: 1600, unique: true },
  { key: "k", label: "Large 2048", suffix: "k", edge: 2048, unique: true },
  { key: "3k", label: "X-Large 3K", suffix: "3k", edge: 3072, unique: true },
  { key: "4k", label: "X-Large 4K", suffix: "4k", edge: 4096, unique: true },
  { key: "5k", label: "X-Large 5K", suffix: "5k", edge: 5120, unique: true },
  { key: "6k", label: "X-Large 6K", suffix: "6k", edge: 6144, unique: true },
  { key: "o", label: "Original", suffix: "o", edge: Infinity },
];

/** A size a given photo has. */
export interface PhotoSize {
  spec: SizeSpec;
  width: number;
  height: number;
  secret: string;
  /** File extension ("jpg" except for photo originals). */
  ext: string;
  /** Path on the CDN origin, e.g. "/65535/531…_a1b2c3d4e5_b.jpg". */
  path: string;
}

/** The 10-hex secret of a size ≥ 1600 px (stable per photo and size). */
export function uniqueSecret(photo: FakePhoto, suffix: string): string {
  return createHash("sha1")
    .update(`${photo.id}:${photo.secret}:${photo.originalSecret}:${suffix}`)
    .digest("hex")
    .slice(0, 10);
}

/** Path of a static file: `/{server}/{id}_{secret}[_{suffix}].{ext}`. */
export function staticPath(
  photo: FakePhoto,
  secret: string,
  suffix: string,
  ext: string,
): string {
  return `/${photo.server}/${photo.id}_${secret}${
    suffix ? `_${suffix}` : ""
  }.${ext}`;
}

/**
 * Sizes the photo has, ascending. Thumbnails (sq, q, t) always exist; other
 * sizes only up to the original's longest edge; without an available
 * original nothing above 1024 px and no Original. For videos every size,
 * Original included, is a JPEG poster frame.
 */
export function photoSizes(photo: FakePhoto): PhotoSize[] {
  const longest = Math.max(photo.width, photo.height, 1);
  const out: PhotoSize[] = [];
  for (const spec of SIZE_LADDER) {
    if (spec.key === "o") {
      if (!photo.originalAvailable) continue;
      const ext = photo.media === "video" ? "jpg" : photo.originalFormat;
      out.push({
        spec,
        width: photo.width,
        height: photo.height,
        secret: photo.originalSecret,
        ext,
        path: staticPath(photo, photo.originalSecret, "o", ext),
      });
      continue;
    }
    const always = spec.square || spec.key === "t";
    if (!always && spec.edge > longest) continue;
    if (!photo.originalAvailable && spec.edge > 1024) continue;
    const scale = Math.min(1, spec.edge / longest);
    const width = spec.square
      ? spec.edge
      : Math.max(1, Math.round(photo.width * scale));
    const height = spec.square
      ? spec.edge
      : Math.max(1, Math.round(photo.height * scale));
    const secret = spec.unique
      ? uniqueSecret(photo, spec.suffix)
      : photo.secret;
    out.push({
      spec,
      width,
      height,
      secret,
      ext: "jpg",
      path: staticPath(photo, secret, spec.suffix, "jpg"),
    });
  }
  return out;
}

/** A video stream kind as in play URLs and getStreamInfo. */
export interface VideoStream {
  /** "orig", "site", "hd", "1080p", … */
  kind: string;
  width: number;
  height: number;
  /** Share of the original's byte size the transcode takes. */
  ratio: number;
}

const STREAMS: readonly { kind: string; height: number; ratio: number }[] = [
  { kind: "1080p", height: 1080, ratio: 0.6 },
  { kind: "720p", height: 720, ratio: 0.4 },
  { kind: "hd", height: 720, ratio: 0.4 },
  { kind: "appletv", height: 720, ratio: 0.35 },
  { kind: "site", height: 360, ratio: 0.2 },
  { kind: "360p", height: 360, ratio: 0.15 },
  { kind: "700", height: 360, ratio: 0.18 },
  { kind: "mobile", height: 270, ratio: 0.1 },
  { kind: "288p", height: 288, ratio: 0.08 },
  { kind: "iphone_wifi", height: 270, ratio: 0.09 },
  { kind: "300", height: 180, ratio: 0.05 },
  { kind: "100", height: 90, ratio: 0.02 },
];

/**
 * Transcoded streams a video has (never above its own height, except that
 * the small ones always exist), best first. `orig` is not included.
 */
export function videoStreams(photo: FakePhoto): VideoStream[] {
  const out: VideoStream[] = [];
  for (const s of STREAMS) {
    if (s.height > photo.height && s.height > 360) continue;
    const height = Math.min(s.height, photo.height);
    const width = Math.round(photo.width * height / Math.max(1, photo.height));
    out.push({ kind: s.kind, width, height, ratio: s.ratio });
  }
  return out;
}

/** The `orig` pseudo-stream: the original video file. */
export function origStream(photo: FakePhoto): VideoStream {
  return {
    kind: "orig",
    width: photo.width,
    height: photo.height,
    ratio: 1,
  };
}

/** Owner segment of flickr.com photo URLs: path alias, else NSID. */
export function ownerSlug(account: Account): string {
  return account.pathAlias ?? account.nsid;
}

/** `{www}/photos/{owner}/{id}/play/{kind}/{secret}/` */
export function playUrl(
  origin: string,
  account: Account,
  photo: FakePhoto,
  kind: string,
): string {
  const secret = kind === "orig" ? photo.originalSecret : photo.secret;
  return `${origin}/photos/${
    ownerSlug(account)
  }/${photo.id}/play/${kind}/${secret}/`;
}
