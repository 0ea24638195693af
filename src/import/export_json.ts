/**
 * Flickr's data export, understood: the JSON files of the account-data zips
 * turned into the tool's own photo shape, and media file names turned into
 * photo ids (FLICKR_EXPORT.md §2–§5). Pure: no I/O.
 *
 * @module
 */

import type { FlickrPhoto } from "../flickr/api_types.ts";
import { BUILT_IN_LICENSES } from "../app/licenses.ts";
import { isMachineTag } from "../app/tags.ts";

/** Extensions of video files in an export (videos are originals). */
export const VIDEO_EXTENSIONS = new Set([
  "mp4",
  "mov",
  "avi",
  "3gp",
  "m4v",
  "mpg",
  "mpeg",
  "wmv",
  "mts",
  "m2ts",
  "webm",
  "ogv",
]);

/** Facts only the export has; kept in the sidecar under `export`. */
export interface ExportFacts {
  count_views: number | null;
  count_faves: number | null;
  count_comments: number | null;
  comments: { date: string; user: string; comment: string; url: string }[];
  notes: unknown[];
  people: unknown[];
  groups: { id: string; name: string; url: string }[];
  /** As the export states it: "public", "private", "friend & family". */
  privacy: string | null;
  safety: string | null;
  comment_permissions: string | null;
  tagging_permissions: string | null;
  rotation: number | null;
  description_html: string;
  license_name: string | null;
  date_imported: string | null;
  /** Where the date taken came from: "date_taken" or "date_imported". */
  date_taken_from: "date_taken" | "date_imported" | "none";
  original_url: string | null;
}

/** One `photo_<id>.json`, understood. */
export interface ExportPhoto {
  photo: FlickrPhoto;
  facts: ExportFacts;
  /** Album ids the photo JSON itself lists. */
  albumIds: string[];
  /** The video was never processed: Flickr has no file for it. */
  neverProcessed: boolean;
}

/** An album of `albums.json`. */
export interface ExportAlbum {
  id: string;
  title: string;
  description: string;
  /** Epoch seconds. */
  lastUpdated: number;
  photoIds: string[];
}

/** The account of `account_profile.json`. */
export interface ExportAccount {
  nsid: string;
  username: string;
  realname?: string;
  pathAlias?: string;
}

/** `photo_<digits>.json` → the id, else undefined. */
export function photoJsonId(name: string): string | undefined {
  return /^photo_(\d+)\.json$/.exec(name)?.[1];
}

/**
 * Candidate ids of a media file name (§2): split the stem on `_`, drop a
 * trailing `o`/`O`, and take the last numeric token and, when the name
 * starts with digits, the first one. Callers keep only a candidate that has
 * a `photo_<id>.json`.
 */
export function idCandidates(name: string): string[] {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const tokens = stem.split("_");
  if (tokens.length > 1 && tokens[tokens.length - 1]!.toLowerCase() === "o") {
    tokens.pop();
  }
  const numeric = (token: string | undefined) =>
    token !== undefined && /^\d+$/.test(token) ? token : undefined;
  const out: string[] = [];
  const last = numeric(tokens[tokens.length - 1]);
  if (last) out.push(last);
  const first = numeric(tokens[0]);
  if (first && first !== last) out.push(first);
  return out;
}

/**
 * The id of a media file: the one candidate with metadata. `ambiguous` when
 * two candidates both have metadata; `orphan` (with the likeliest id) when
 * none has.
 */
export function recoverId(
  name: string,
  known: (id: string) => boolean,
):
  | { kind: "matched"; id: string }
  | { kind: "orphan"; id?: string }
  | { kind: "ambiguous"; ids: string[] } {
  const candidates = idCandidates(name);
  const matched = candidates.filter(known);
  if (matched.length === 1) return { kind: "matched", id: matched[0]! };
  if (matched.length > 1) return { kind: "ambiguous", ids: matched };
  const likely = candidates.find((id) => /^\d{6,12}$/.test(id));
  return likely ? { kind: "orphan", id: likely } : { kind: "orphan" };
}

/** Lower-case extension of a file name ("" when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/**
 * HTML as Flickr stores descriptions and comments, as plain text: line
 * breaks kept, tags dropped, entities decoded.
 */
export function htmlToText(html: string): string {
  return decodeEntities(
    html.replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/p>\s*/gi, "\n")
      .replace(/<[^>]*>/g, ""),
  ).replace(/\r\n/g, "\n").trim();
}

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/** Decodes `&amp;`, `&#39;`, `&#x27;` and the common named entities. */
export function decodeEntities(text: string): string {
  return text.replace(
    /&(#x[0-9a-f]+|#\d+|[a-z]+);/gi,
    (whole, body: string) => {
      if (body[0] === "#") {
        const code = body[1] === "x" || body[1] === "X"
          ? parseInt(body.slice(2), 16)
          : parseInt(body.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff
          ? String.fromCodePoint(code)
          : whole;
      }
      return NAMED[body.toLowerCase()] ?? whole;
    },
  );
}

/**
 * A date as the export writes it ("YYYY-MM-DD HH:MM:SS", sometimes with
 * spaces after the colons) in the API's form, or undefined if impossible.
 */
export function normaliseDate(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):\s*(\d{1,2}):\s*(\d{1,2})$/
    .exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as number[];
  if (
    y! < 1800 || mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 ||
    mi! > 59 || s! > 59
  ) return undefined;
  const probe = new Date(Date.UTC(y!, mo! - 1, d!));
  if (probe.getUTCDate() !== d) return undefined; // 31 February
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${y}-${pad(mo!)}-${pad(d!)} ${pad(h!)}:${pad(mi!)}:${pad(s!)}`;
}

function str(value: unknown): string {
  return typeof value === "string"
    ? value
    : typeof value === "number"
    ? String(value)
    : "";
}

function num(value: unknown): number | null {
  const n = typeof value === "number" ? value : Number(str(value));
  return str(value) !== "" && Number.isFinite(n) ? n : null;
}

/** Microdegrees as integer strings → degrees, or undefined. */
function geoOf(
  raw: unknown,
): { latitude: number; longitude: number; accuracy?: number } | undefined {
  const entry = Array.isArray(raw) ? raw[0] : raw;
  if (!entry || typeof entry !== "object") return undefined;
  const e = entry as Record<string, unknown>;
  const lat = num(e.latitude);
  const lon = num(e.longitude);
  if (lat === null || lon === null || (lat === 0 && lon === 0)) {
    return undefined;
  }
  const latitude = lat / 1e6;
  const longitude = lon / 1e6;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  const accuracy = num(e.accuracy);
  return { latitude, longitude, ...(accuracy ? { accuracy } : {}) };
}

/** A licence name from the export → the API's licence id, if known. */
export function licenseId(name: unknown): string | undefined {
  if (typeof name !== "string" || !name.trim()) return undefined;
  const key = (text: string) => text.toLowerCase().replace(/[^a-z]/g, "");
  const wanted = key(name);
  for (const { id, name: label } of BUILT_IN_LICENSES) {
    const short = label.replace(/\s*\(.*\)$/, "");
    if (key(label) === wanted || key(short) === wanted) return id;
  }
  return undefined;
}

/** The original secret and format from the export's `original` URL. */
function fromOriginalUrl(
  url: string,
  id: string,
): { secret?: string; format?: string } {
  const m = new RegExp(`/${id}_([0-9a-f]+)_o\\.([a-z0-9]+)$`, "i").exec(url);
  return m ? { secret: m[1]!, format: m[2]!.toLowerCase() } : {};
}

/** The path alias from a photo page URL. */
function aliasFrom(url: string): string | undefined {
  return /\/photos\/([^/]+)\//.exec(url)?.[1];
}

/**
 * One `photo_<id>.json` as a photo. `mediaExt` is the extension of its
 * media file when known (videos are told by extension, §5.11).
 */
export function parsePhotoJson(
  raw: unknown,
  fileId: string,
  mediaExt?: string,
): ExportPhoto {
  const r = (raw && typeof raw === "object" ? raw : {}) as Record<
    string,
    unknown
  >;
  const id = /^\d+$/.test(str(r.id)) ? str(r.id) : fileId;
  const original = str(r.original);
  const neverProcessed = /video_encoding\.jpg$/i.test(original);
  const isVideo = neverProcessed ||
    (mediaExt !== undefined && VIDEO_EXTENSIONS.has(mediaExt));
  const fromUrl = fromOriginalUrl(original, id);
  const taken = normaliseDate(r.date_taken);
  const imported = normaliseDate(r.date_imported);
  const tags: string[] = [];
  const machineTags: string[] = [];
  if (Array.isArray(r.tags)) {
    for (const tag of r.tags) {
      const text = typeof tag === "string"
        ? tag
        : str((tag as Record<string, unknown> | null)?.tag);
      if (!text) continue;
      if (isMachineTag(text)) machineTags.push(text);
      else tags.push(text);
    }
  }
  const privacy = typeof r.privacy === "string" ? r.privacy : null;
  const geo = geoOf(r.geo);
  const license = licenseId(r.license);
  const photopage = str(r.photopage);
  const alias = aliasFrom(photopage);
  const importedSeconds = imported
    ? Math.floor(Date.parse(imported.replace(" ", "T") + "Z") / 1000)
    : undefined;
  const photo: FlickrPhoto = {
    id,
    secret: "",
    server: "",
    ...(fromUrl.secret ? { originalSecret: fromUrl.secret } : {}),
    ...(!isVideo && fromUrl.format ? { originalFormat: fromUrl.format } : {}),
    title: str(r.name),
    description: htmlToText(str(r.description)),
    tags,
    machineTags,
    ...(license !== undefined ? { license } : {}),
    ...(importedSeconds !== undefined ? { dateUpload: importedSeconds } : {}),
    ...(taken ? { dateTaken: taken } : imported ? { dateTaken: imported } : {}),
    dateTakenGranularity: 0,
    dateTakenUnknown: !taken,
    geo,
    media: isVideo ? "video" : "photo",
    ...(alias ? { pathAlias: alias } : {}),
    ...(num(r.count_views) !== null ? { views: num(r.count_views)! } : {}),
    visibility: {
      isPublic: privacy === "public",
      isFriend: privacy === "friend & family" || privacy === "friends",
      isFamily: privacy === "friend & family" || privacy === "family",
    },
    sizes: [],
  };
  if (!geo) delete photo.geo;
  const list = (value: unknown) => Array.isArray(value) ? value : [];
  const facts: ExportFacts = {
    count_views: num(r.count_views),
    count_faves: num(r.count_faves),
    count_comments: num(r.count_comments),
    comments: list(r.comments).map((c) => {
      const e = (c ?? {}) as Record<string, unknown>;
      return {
        date: str(e.date),
        user: str(e.user),
        comment: htmlToText(str(e.comment)),
        url: str(e.url),
      };
    }),
    notes: list(r.notes),
    people: list(r.people),
    groups: list(r.groups).map((g) => {
      const e = (g ?? {}) as Record<string, unknown>;
      return { id: str(e.id), name: str(e.name), url: str(e.url) };
    }),
    privacy,
    safety: typeof r.safety === "string" ? r.safety : null,
    comment_permissions: typeof r.comment_permissions === "string"
      ? r.comment_permissions
      : null,
    tagging_permissions: typeof r.tagging_permissions === "string"
      ? r.tagging_permissions
      : null,
    rotation: typeof r.rotation === "number" ? r.rotation : null,
    description_html: str(r.description),
    license_name: typeof r.license === "string" ? r.license : null,
    date_imported: imported ?? null,
    date_taken_from: taken ? "date_taken" : imported ? "date_imported" : "none",
    original_url: original || null,
  };
  const albumIds = list(r.albums).map((a) =>
    str((a as Record<string, unknown> | null)?.id)
  ).filter((albumId) => /^\d+$/.test(albumId));
  return { photo, facts, albumIds, neverProcessed };
}

/** `albums.json` → albums (photo ids checked; `"0"` dropped). */
export function parseAlbumsJson(raw: unknown): {
  albums: ExportAlbum[];
  dropped: number;
} {
  const list = (raw as { albums?: unknown } | null)?.albums;
  const albums: ExportAlbum[] = [];
  let dropped = 0;
  if (!Array.isArray(list)) return { albums, dropped };
  for (const entry of list) {
    const e = (entry ?? {}) as Record<string, unknown>;
    const id = str(e.id);
    if (!/^\d+$/.test(id)) continue;
    const photoIds: string[] = [];
    for (const photoId of Array.isArray(e.photos) ? e.photos : []) {
      const text = str(photoId);
      if (/^\d+$/.test(text) && text !== "0") photoIds.push(text);
      else dropped++;
    }
    albums.push({
      id,
      title: str(e.title),
      description: htmlToText(str(e.description)),
      lastUpdated: num(e.last_updated) ?? 0,
      photoIds,
    });
  }
  return { albums, dropped };
}

/** `account_profile.json` → the account, if it names one. */
export function parseAccountProfile(raw: unknown): ExportAccount | undefined {
  const r = (raw ?? {}) as Record<string, unknown>;
  const nsid = str(r.nsid);
  if (!nsid) return undefined;
  const realname = str(r.real_name);
  const alias = str(r.path_alias);
  return {
    nsid,
    username: str(r.screen_name) || nsid,
    ...(realname ? { realname } : {}),
    ...(alias ? { pathAlias: alias } : {}),
  };
}
