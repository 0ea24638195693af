/**
 * The JSON sidecar written beside every saved file: `<photo_id>.<ext>.json`.
 * It is for people and other tools (Immich, PhotoPrism, scripts); the tool
 * never reads it back as state. The schema is documented in README
 * ("The sidecar JSON") and versioned by `schema_version`.
 *
 * @module
 */

import type { FlickrPhoto } from "../flickr/api_types.ts";
import { type License, licenseFor } from "./licenses.ts";
import { type PresentedTags, presentTags } from "./tags.ts";

/**
 * Version of the sidecar layout; bump on incompatible changes. 2: `tags`
 * are the owner's raw spellings without machine tags, `machine_tags` holds
 * machine and automatic (`vision:*`) tags, `license` has a `url`, and
 * `privacy` flags may be "unknown".
 */
export const SIDECAR_SCHEMA_VERSION = 2;

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
  /** Where the file came from: the API (default) or Flickr's data export. */
  source?: "api" | "export";
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
  /** Keywords and machine tags (default: split from the listing's tags). */
  tags?: PresentedTags;
  /** The photo's licence, named (default: the built-in table). */
  license?: License;
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
  const tags = context.tags ?? presentTags(photo);
  const license = photo.license === undefined
    ? undefined
    : context.license ?? licenseFor(photo.license);
  const flag = (value: boolean | undefined) => value ?? "unknown";
  return {
    schema_version: SIDECAR_SCHEMA_VERSION,
    id: photo.id,
    url: photoPageUrl(photo, context.owner.nsid),
    title: photo.title,
    description: photo.description,
    tags: tags.keywords,
    machine_tags: tags.machineTags,
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
    license: license === undefined
      ? null
      : { id: license.id, name: license.name, url: license.url || null },
    privacy: {
      public: flag(photo.visibility.isPublic),
      friends: flag(photo.visibility.isFriend),
      family: flag(photo.visibility.isFamily),
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
      source: saved.source ?? "api",
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

/**
 * The facts only Flickr's data export has (`export`, the privacy as the
 * export states it, and the top-level `source` an import adds), carried
 * from the sidecar a refresh replaces into the new one.
 */
export function keepExportFacts(
  next: Record<string, unknown>,
  previous: unknown,
): Record<string, unknown> {
  const old = previous as Record<string, unknown> | undefined;
  if (typeof old?.export !== "object" || old.export === null) return next;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    out[key] = value;
    if (key === "id" && "source" in old) {
      out.source = (next.saved as { source?: string }).source ?? "api";
    }
  }
  const asExported = (old.privacy as { as_exported?: unknown } | undefined)
    ?.as_exported;
  if (asExported !== undefined) {
    out.privacy = { ...(next.privacy as object), as_exported: asExported };
  }
  out.export = old.export;
  return out;
}
