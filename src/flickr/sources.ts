/**
 * Chooses what to download for a photo: the original when Flickr offers it,
 * otherwise the largest size, flagged as not original.
 *
 * @module
 */

import type { FlickrPhoto, PhotoSize } from "./api_types.ts";

/** A file to fetch for a photo and how to label it. */
export interface PhotoSource {
  kind: "original" | "large";
  /** Flickr size code ("o", "6k", …, "l") or getSizes label. */
  label: string;
  url: string;
  extension: string;
  width?: number;
  height?: number;
}

/** Lower-cased extension of a URL's path ("jpg" when there is none). */
export function extensionFromUrl(url: string, fallback = "jpg"): string {
  const path = new URL(url).pathname;
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(path);
  return match?.[1]?.toLowerCase() ?? fallback;
}

/**
 * Picks the best source from the listing's `url_*` extras, or undefined when
 * the listing carried none (the caller then asks `photos.getSizes`).
 */
export function sourceFromListing(photo: FlickrPhoto): PhotoSource | undefined {
  const best = photo.sizes[0];
  if (!best) return undefined;
  return toSource(photo, best.label === "o", best.label, best.url, best);
}

/** Picks the largest photo size from `photos.getSizes` (ascending order). */
export function sourceFromSizes(
  photo: FlickrPhoto,
  sizes: PhotoSize[],
): PhotoSource | undefined {
  const photoSizes = sizes.filter((size) => size.media !== "video");
  const best = photoSizes.find((size) => size.label === "Original") ??
    photoSizes.at(-1);
  if (!best) return undefined;
  const isOriginal = best.label === "Original";
  return toSource(photo, isOriginal, best.label, best.source, best);
}

/** The original (in its original format) or the largest size, flagged. */
function toSource(
  photo: FlickrPhoto,
  isOriginal: boolean,
  label: string,
  url: string,
  dimensions: { width?: number | undefined; height?: number | undefined },
): PhotoSource {
  return {
    kind: isOriginal ? "original" : "large",
    label,
    url,
    extension: isOriginal && photo.originalFormat
      ? photo.originalFormat.toLowerCase()
      : extensionFromUrl(url),
    ...(dimensions.width ? { width: dimensions.width } : {}),
    ...(dimensions.height ? { height: dimensions.height } : {}),
  };
}

/** Sorts video candidates best first by a rank table (unknown last). */
export function rankBest<T>(
  items: T[],
  key: (item: T) => string,
  rank: Record<string, number>,
): T[] {
  return [...items].sort((a, b) => (rank[key(b)] ?? -1) - (rank[key(a)] ?? -1));
}
