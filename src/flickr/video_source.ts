/**
 * Where a video's file comes from, cheapest first (FLICKR_API.md §4.2, §9).
 * Recordings show play URLs answering *unsigned* GETs with a 302 to the
 * video CDN and owner-only `play/orig` answering 404 to scripts; whether
 * Flickr honours an OAuth-signed GET there is unconfirmed. So each video
 * tries, in order: the getSizes "Video Original" URL unsigned, then signed,
 * then `flickr.video.getStreamInfo`'s `orig` stream, then the best stream
 * (not the original: flagged). The route that worked is remembered for the
 * account, tried first for the next video (one API call per video), and
 * counted in the summary, so a user's log settles what Flickr does today.
 *
 * @module
 */

import type { PhotoSize, VideoStream } from "./api_types.ts";
import { extensionFromUrl, type PhotoSource, rankBest } from "./sources.ts";

/** The ways to a video's file. */
export type VideoRoute =
  | "orig-unsigned"
  | "orig-signed"
  | "stream-orig"
  | "best-stream";

/** Every route, cheapest first. */
export const VIDEO_ROUTES: readonly VideoRoute[] = [
  "orig-unsigned",
  "orig-signed",
  "stream-orig",
  "best-stream",
];

/** The routes that give the original file (worth remembering). */
export function isOriginalRoute(route: string): route is VideoRoute {
  return route === "orig-unsigned" || route === "orig-signed" ||
    route === "stream-orig";
}

/** Routes in the order to try them: a remembered original route first. */
export function routeOrder(remembered?: string): VideoRoute[] {
  if (!remembered || !isOriginalRoute(remembered)) return [...VIDEO_ROUTES];
  return [remembered, ...VIDEO_ROUTES.filter((r) => r !== remembered)];
}

/**
 * Rank of `flickr.video.getStreamInfo` stream types (gallery-dl's order;
 * unknown types rank after all of these).
 */
export const STREAM_RANK: Record<string, number> = {
  orig: 9,
  "1080p": 8,
  "720p": 7,
  "360p": 6,
  "288p": 5,
  "700": 4,
  "300": 3,
  "100": 2,
  appletv: 1,
  iphone_wifi: 0,
};

/**
 * Rank of every getSizes video label seen in real answers: 2016 ("Site
 * MP4", "Mobile MP4", "HD MP4", "Video Original") and 2024 (stream names,
 * often with empty widths). "Video Player" is a Flash page, never a file.
 * Unknown labels rank after all of these.
 */
export const VIDEO_SIZE_RANK: Record<string, number> = {
  "Video Original": 10,
  "1080p": 8,
  "HD MP4": 7,
  "720p": 7,
  "Site MP4": 6,
  "360p": 6,
  "288p": 5,
  "Mobile MP4": 4.5,
  "700": 4,
  "300": 3,
  "100": 2,
  appletv: 1,
  iphone_wifi: 0,
};

/** The getSizes entry of the original video, if Flickr offers it. */
export function originalFromSizes(
  sizes: readonly PhotoSize[],
): PhotoSource | undefined {
  const size = sizes.find((s) =>
    s.media === "video" && /^(video original|orig)$/i.test(s.label)
  );
  if (!size || !size.source) return undefined;
  return {
    kind: "original",
    label: "orig",
    url: size.source,
    extension: "mp4",
    ...(size.width ? { width: size.width } : {}),
    ...(size.height ? { height: size.height } : {}),
  };
}

/** The `orig` stream of getStreamInfo, if Flickr offers it. */
export function originalFromStreams(
  streams: readonly VideoStream[],
): PhotoSource | undefined {
  const stream = streams.find((s) => s.type === "orig");
  return stream
    ? {
      kind: "original",
      label: "orig",
      url: stream.url,
      extension: extensionFromUrl(stream.url, "mp4"),
    }
    : undefined;
}

/** A saved stream that is not the original (flagged in the sidecar). */
export type StreamSource = Omit<PhotoSource, "kind"> & { kind: "stream" };

/**
 * Every non-original stream, best first: getStreamInfo's streams, then the
 * getSizes video entries that point at play URLs.
 */
export function bestStreams(
  streams: readonly VideoStream[],
  sizes: readonly PhotoSize[],
): StreamSource[] {
  const out: StreamSource[] = rankBest(
    streams.filter((s) => s.type !== "orig"),
    (s) => s.type,
    STREAM_RANK,
  ).map((stream) => ({
    kind: "stream",
    label: stream.type,
    url: stream.url,
    extension: extensionFromUrl(stream.url, "mp4"),
  }));
  const playable = sizes.filter((s) =>
    s.media === "video" && !/^(video original|orig|video player)$/i.test(
      s.label,
    ) && /\/play\//.test(s.source)
  );
  for (const size of rankBest(playable, (s) => s.label, VIDEO_SIZE_RANK)) {
    out.push({
      kind: "stream",
      label: size.label,
      url: size.source,
      extension: "mp4",
      ...(size.width ? { width: size.width } : {}),
      ...(size.height ? { height: size.height } : {}),
    });
  }
  return out;
}
