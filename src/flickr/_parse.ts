/**
 * Turns Flickr's loosely typed JSON into the normalised types. Numbers come
 * as ints or strings (even within one photo), booleans as 0/1/"0"/"1"/true,
 * text as a string or `{ "_content": … }` (FLICKR_API.md §2.3).
 *
 * @module
 */

import type {
  FlickrPhoto,
  GeoLocation,
  ListingSize,
  PersonInfo,
  Photoset,
  PhotoSize,
  RawPhoto,
  RawPhotoset,
  RawSize,
  VideoStream,
} from "./api_types.ts";
import { SIZE_LABELS } from "./api_types.ts";

/** Reads a finite number from a number or numeric string; else undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      return undefined;
    }
    const parsed = Number(text);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** Reads an integer (truncating toward zero); else undefined. */
export function toInt(value: unknown): number | undefined {
  const parsed = toNumber(value);
  return parsed === undefined ? undefined : Math.trunc(parsed);
}

/** Reads a boolean from true/false, 1/0, "1"/"0", "true"/"false". */
export function toBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === "1" || value === "true") return true;
  if (value === 0 || value === "0" || value === "false") return false;
  return undefined;
}

/** Reads text from `"x"`, `{ _content: "x" }` or a number; else "". */
export function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (value && typeof value === "object" && "_content" in value) {
    return toText((value as { _content?: unknown })._content);
  }
  return "";
}

/** Like {@link toText}, but undefined for empty or missing text. */
export function toOptionalText(value: unknown): string | undefined {
  const text = toText(value);
  return text === "" ? undefined : text;
}

/** Reads an id (string or int) as a string; "" when missing. */
export function toId(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return "";
}

/** Reads a list that may be an array, one object, or missing. */
export function toList<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === "object") return [value as T];
  return [];
}

/** Reads an object member, or undefined when `value` is not an object. */
export function member(value: unknown, name: string): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return (value as Record<string, unknown>)[name];
  }
  return undefined;
}

function words(value: unknown): string[] {
  return toText(value).split(/\s+/).filter((word) => word !== "");
}

function optional<K extends string, V>(
  key: K,
  value: V | undefined,
): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function geo(raw: RawPhoto): GeoLocation | undefined {
  const latitude = toNumber(raw.latitude);
  const longitude = toNumber(raw.longitude);
  if (latitude === undefined || longitude === undefined) return undefined;
  // Not geotagged: Flickr sends latitude 0, longitude 0, accuracy 0.
  if (latitude === 0 && longitude === 0) return undefined;
  const accuracy = toInt(raw.accuracy);
  return {
    latitude,
    longitude,
    ...optional("accuracy", accuracy ? accuracy : undefined),
  };
}

function listingSizes(raw: RawPhoto): ListingSize[] {
  const sizes: ListingSize[] = [];
  for (const label of SIZE_LABELS) {
    const url = raw[`url_${label}`];
    if (typeof url !== "string" || url === "") continue;
    const size: ListingSize = { label, url };
    setDefined(size, "width", positive(toInt(raw[`width_${label}`])));
    setDefined(size, "height", positive(toInt(raw[`height_${label}`])));
    sizes.push(size);
  }
  return sizes;
}

/**
 * Sets `key` only when `value` is defined: optional fields stay absent, not
 * `undefined` (the photo's JSON is kept in the state). Cheaper than spreading
 * a one-key object per field, which matters for every photo of every listing.
 */
function setDefined<T, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value !== undefined) target[key] = value;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/**
 * Normalises one photo list entry. Optional fields are set in a fixed order,
 * so the JSON kept in the state reads the same from run to run.
 */
export function parsePhoto(raw: RawPhoto): FlickrPhoto {
  const originalWidth = positive(toInt(raw.o_width)) ??
    positive(toInt(raw.width_o));
  const originalHeight = positive(toInt(raw.o_height)) ??
    positive(toInt(raw.height_o));
  const pathAlias = typeof raw.pathalias === "string" && raw.pathalias !== ""
    ? raw.pathalias
    : typeof raw.path_alias === "string" && raw.path_alias !== ""
    ? raw.path_alias
    : undefined;
  const license = raw.license === undefined || raw.license === null ||
      raw.license === ""
    ? undefined
    : toId(raw.license) || undefined;
  // The cast: every other required field is assigned below, in this order.
  const photo = {
    id: toId(raw.id),
    secret: toText(raw.secret),
    server: toId(raw.server),
  } as FlickrPhoto;
  setDefined(photo, "owner", toOptionalText(raw.owner));
  setDefined(photo, "originalSecret", toOptionalText(raw.originalsecret));
  setDefined(photo, "originalFormat", toOptionalText(raw.originalformat));
  photo.title = toText(raw.title);
  photo.description = toText(raw.description);
  photo.tags = words(raw.tags);
  photo.machineTags = words(raw.machine_tags);
  setDefined(photo, "license", license);
  setDefined(photo, "dateUpload", positive(toInt(raw.dateupload)));
  setDefined(photo, "dateTaken", toOptionalText(raw.datetaken));
  photo.dateTakenGranularity = toInt(raw.datetakengranularity) ?? 0;
  photo.dateTakenUnknown = toBool(raw.datetakenunknown) ?? false;
  setDefined(photo, "lastUpdate", positive(toInt(raw.lastupdate)));
  setDefined(photo, "geo", geo(raw));
  photo.media = raw.media === "video" ? "video" : "photo";
  setDefined(photo, "ownerName", toOptionalText(raw.ownername));
  setDefined(photo, "pathAlias", pathAlias);
  setDefined(photo, "views", toInt(raw.views));
  const visibility: FlickrPhoto["visibility"] = {};
  setDefined(visibility, "isPublic", toBool(raw.ispublic));
  setDefined(visibility, "isFriend", toBool(raw.isfriend));
  setDefined(visibility, "isFamily", toBool(raw.isfamily));
  photo.visibility = visibility;
  setDefined(photo, "originalWidth", originalWidth);
  setDefined(photo, "originalHeight", originalHeight);
  photo.sizes = listingSizes(raw);
  return photo;
}

/** Normalises one `photosets.getList` entry. */
export function parsePhotoset(raw: RawPhotoset): Photoset {
  return {
    id: toId(raw.id),
    title: toText(raw.title),
    description: toText(raw.description),
    primary: toId(raw.primary),
    countPhotos: toInt(raw.count_photos) ?? toInt(raw.photos) ?? 0,
    countVideos: toInt(raw.count_videos) ?? toInt(raw.videos) ?? 0,
    dateCreate: toInt(raw.date_create) ?? 0,
    dateUpdate: toInt(raw.date_update) ?? 0,
  };
}

/** Normalises one `photos.getSizes` entry. */
export function parseSize(raw: RawSize): PhotoSize {
  return {
    label: toText(raw.label),
    ...optional("width", positive(toInt(raw.width))),
    ...optional("height", positive(toInt(raw.height))),
    source: toText(raw.source),
    media: raw.media === "video" ? "video" : "photo",
  };
}

/** Normalises one `video.getStreamInfo` stream. */
export function parseStream(raw: unknown): VideoStream {
  return { type: toText(member(raw, "type")), url: toText(raw) };
}

/** Normalises `people.getInfo`'s `person`. */
export function parsePerson(raw: unknown, fallbackNsid: string): PersonInfo {
  const pathAlias = member(raw, "path_alias");
  return {
    nsid: toId(member(raw, "nsid")) || toId(member(raw, "id")) || fallbackNsid,
    username: toText(member(raw, "username")),
    ...optional("realname", toOptionalText(member(raw, "realname"))),
    ...optional(
      "pathAlias",
      typeof pathAlias === "string" && pathAlias !== "" ? pathAlias : undefined,
    ),
    ...optional("isPro", toBool(member(raw, "ispro"))),
    ...optional(
      "photosCount",
      toInt(toText(member(member(raw, "photos"), "count")) || undefined),
    ),
  };
}
