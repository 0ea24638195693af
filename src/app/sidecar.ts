/**
 * The JSON sidecar written beside every saved file: `<photo_id>.<ext>.json`.
 * It is for people and other tools (Immich, PhotoPrism, scripts); the tool
 * never reads it back as state. The schema is documented in README
 * ("The sidecar JSON") and versioned by `schema_version`.
 *
 * @module
 */

import type { FlickrPhoto } from "../flickr/api_types.ts";

/** Version of the sidecar layout; bump on incompatible changes. */
export const SIDECAR_SCHEMA_VERSION = 1;

/** Flickr license ids and their names (flickr.photos.licenses.getInfo). */
export const LICENSES: Record<string, string> = {
  "0": "All Rights Reserved",
  "1": "Attribution-NonCommercial-ShareAlike License (CC BY-NC-SA 2.0)",
  "2": "Attribution-NonCommercial License (CC BY-NC 2.0)",
  "3": "Attribution-NonCommercial-NoDerivs License (CC BY-NC-ND 2.0)",
  "4": "Attribution License (CC BY 2.0)",
  "5": "Attribution-ShareAlike License (CC BY-SA 2.0)",
  "6": "Attribution-NoDerivs License (CC BY-ND 2.0)",
  "7": "No known copyright restrictions",
  "8": "United States Government Work",
  "9": "Public Domain Dedication (CC0)",
  "10": "Public Domain Mark",
};

/** Names of Flickr's `datetakengranularity` values. */
export const GRANULARITY: Record<number, string> = {
  0: "exact",
  4: "month",
  6: "year",
  8: "circa",
};

/** What was saved for a photo. */
export interface SavedVariant {
  /** "original", "large" (no original available) or "stream" (video). */
  kind: "original" | "large" | "stream";
  /** Flickr size label or stream type, e.g. "o", "k", "orig", "1080p". */
  label: string;
  width?: number;
  height?: number;
  bytes: number;
  /** SHA-256 of the bytes as Flickr served them. */
  sha256Downloaded: string;
}

/** Everything the sidecar needs beyond the Flickr listing. */
export interface SidecarContext {
  photo: FlickrPhoto;
  owner: { nsid: string; username: string; realname?: string };
  albums: { id: string; title: string }[];
  saved: SavedVariant;
  /** Which date ended up in the file's metadata and where it came from. */
  dateInFile: { source: "flickr" | "camera" | "none"; value?: string };
  embedded: {
    status: "written" | "unchanged" | "skipped" | "xmp-sidecar" | "disabled";
    warnings: string[];
  };
  backedUpAt: Date;
}

/** Builds the photo page URL Flickr shows for a photo. */
export function photoPageUrl(
  photo: Pick<FlickrPhoto, "id" | "pathAlias">,
  ownerNsid: string,
): string {
  return `https://www.flickr.com/photos/${
    photo.pathAlias || ownerNsid
  }/${photo.id}/`;
}

function isoFromUnix(seconds: number | undefined): string | null {
  // An absurd value from Flickr (1e308) is no date, not a crash.
  const date = seconds ? new Date(seconds * 1000) : undefined;
  return date && Number.isFinite(date.getTime()) ? date.toISOString() : null;
}

/** Builds the sidecar object (stable key order, JSON-ready). */
export function buildSidecar(context: SidecarContext): Record<string, unknown> {
  const { photo, saved } = context;
  return {
    schema_version: SIDECAR_SCHEMA_VERSION,
    id: photo.id,
    url: photoPageUrl(photo, context.owner.nsid),
    title: photo.title,
    description: photo.description,
    tags: photo.tags,
    machine_tags: photo.machineTags,
    date_taken: {
      value: photo.dateTaken ?? null,
      granularity: GRANULARITY[photo.dateTakenGranularity] ?? "exact",
      unknown: photo.dateTakenUnknown,
      in_file: {
        source: context.dateInFile.source,
        value: context.dateInFile.value ?? null,
      },
    },
    date_uploaded: isoFromUnix(photo.dateUpload),
    last_update: isoFromUnix(photo.lastUpdate),
    geo: photo.geo
      ? {
        latitude: photo.geo.latitude,
        longitude: photo.geo.longitude,
        accuracy: photo.geo.accuracy ?? null,
      }
      : null,
    license: photo.license === undefined ? null : {
      id: photo.license,
      name: LICENSES[photo.license] ?? `License ${photo.license}`,
    },
    privacy: {
      public: photo.visibility.isPublic,
      friends: photo.visibility.isFriend,
      family: photo.visibility.isFamily,
    },
    media: photo.media,
    original_format: photo.originalFormat ?? null,
    original_dimensions: photo.originalWidth && photo.originalHeight
      ? { width: photo.originalWidth, height: photo.originalHeight }
      : null,
    saved: {
      variant: saved.kind,
      is_original: saved.kind === "original",
      label: saved.label,
      width: saved.width ?? null,
      height: saved.height ?? null,
      bytes: saved.bytes,
      sha256_downloaded: saved.sha256Downloaded,
    },
    albums: context.albums.map((album) => ({
      id: album.id,
      title: album.title,
    })),
    owner: {
      nsid: context.owner.nsid,
      username: context.owner.username,
      realname: context.owner.realname ?? null,
    },
    views: photo.views ?? null,
    metadata_in_file: {
      status: context.embedded.status,
      warnings: context.embedded.warnings,
    },
    backed_up_at: context.backedUpAt.toISOString(),
  };
}
