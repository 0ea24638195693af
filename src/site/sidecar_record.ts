/**
 * One photo as the site shows it, read from its JSON sidecar.
 *
 * Sidecars come from several writers: the backup (schema 1, and schema 2 with
 * raw tags, machine tags, licence name and URL, visibility "unknown") and the
 * import of Flickr's data export. Every field is read defensively: a missing
 * or oddly typed field becomes "absent", never an exception, and nothing from
 * the file is trusted to be safe HTML (pages escape it).
 *
 * @module
 */

/** Granularity of a date taken, as Flickr names it. */
export type Granularity = "exact" | "month" | "year" | "circa";

/** A tag: what is shown, and the key that groups equal tags. */
export interface SiteTag {
  label: string;
  key: string;
}

/** What the site needs of one photo or video. */
export interface PhotoRecord {
  id: string;
  title: string;
  /** As Flickr holds it: text with some HTML; sanitized when rendered. */
  description: string;
  tags: SiteTag[];
  /** "YYYY-MM-DD HH:MM:SS" (or a prefix of it), or "" when unknown. */
  dateTaken: string;
  granularity: Granularity;
  geo: { latitude: number; longitude: number } | null;
  license: { name: string; url: string } | null;
  views: number | null;
  media: "photo" | "video";
  /** The photo's page on Flickr (only an https flickr.com URL), or "". */
  flickrUrl: string;
  albums: { id: string; title: string }[];
  width: number | null;
  height: number | null;
  /** SHA-256 of the downloaded bytes, when recorded (thumbnail cache key). */
  sha256: string;
  /** The account's name as the sidecar gives it, or "". */
  owner: string;
}

function str(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (value && typeof value === "object" && "_content" in value) {
    return str((value as { _content: unknown })._content);
  }
  return "";
}

function num(value: unknown): number | null {
  const n = typeof value === "string" && value.trim() !== ""
    ? Number(value)
    : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

function obj(value: unknown): Record<string, unknown> | null {
  return value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : null;
}

/** Flickr's normalized form of a tag: lower case, letters and digits only. */
export function tagKey(label: string): string {
  const key = label.normalize("NFC").toLowerCase().replace(
    /[^\p{L}\p{N}]+/gu,
    "",
  );
  return key || label.trim().toLowerCase();
}

function readTags(sidecar: Record<string, unknown>): SiteTag[] {
  const out: SiteTag[] = [];
  const seen = new Set<string>();
  const add = (label: string, key?: string) => {
    const text = label.trim();
    if (!text || text.length > 200) return;
    const k = key?.trim() ? tagKey(key) : tagKey(text);
    if (!k || seen.has(k)) return;
    seen.add(k);
    out.push({ label: text, key: k });
  };
  // Schema 2 may carry the raw tags (as typed) beside the normalized ones.
  const raw = sidecar.tags_raw ?? sidecar.raw_tags;
  if (Array.isArray(raw)) { for (const tag of raw) add(str(tag)); }
  const tags = sidecar.tags;
  if (Array.isArray(tags)) {
    for (const tag of tags) {
      const o = obj(tag);
      if (o) {
        add(
          str(o.raw) || str(o.label) || str(o._content) || str(o.normalized),
          str(o.normalized) || str(o._content),
        );
      } else add(str(tag));
    }
  } else if (typeof tags === "string") {
    for (const tag of tags.split(/\s+/)) add(tag);
  }
  return out;
}

const GRANULARITY_CODES: Record<string, Granularity> = {
  "0": "exact",
  "4": "month",
  "6": "year",
  "8": "circa",
};

function readDate(
  sidecar: Record<string, unknown>,
): { dateTaken: string; granularity: Granularity } {
  const taken = sidecar.date_taken;
  const o = obj(taken);
  let value = o ? str(o.value) : str(taken);
  let granularity: Granularity = "exact";
  if (o) {
    const g = str(o.granularity);
    granularity = GRANULARITY_CODES[g] ??
      (["exact", "month", "year", "circa"].includes(g)
        ? g as Granularity
        : "exact");
    if (o.unknown === true) value = "";
  }
  const match =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?)?)?/
      .exec(value.trim());
  if (!match || match[1] === "0000") return { dateTaken: "", granularity };
  const [, y, mo, d, h, mi, s] = match;
  const dateTaken = [
    y,
    mo && `-${mo}`,
    d && `-${d}`,
    h && ` ${h}:${mi}:${s ?? "00"}`,
  ].filter(Boolean).join("");
  return { dateTaken, granularity };
}

function readGeo(value: unknown): PhotoRecord["geo"] {
  const o = obj(value);
  if (!o) return null;
  const latitude = num(o.latitude);
  const longitude = num(o.longitude);
  if (latitude === null || longitude === null) return null;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  if (latitude === 0 && longitude === 0) return null;
  return { latitude, longitude };
}

/** Only web links are kept as links; anything else is shown as text. */
export function safeHttpUrl(value: string): string {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:"
      ? url.href
      : "";
  } catch {
    return "";
  }
}

function readLicense(value: unknown): PhotoRecord["license"] {
  const o = obj(value);
  if (o) {
    const name = str(o.name) || (str(o.id) ? `Licence ${str(o.id)}` : "");
    return name ? { name, url: safeHttpUrl(str(o.url)) } : null;
  }
  const text = str(value);
  return text ? { name: text, url: "" } : null;
}

function flickrPage(value: string): string {
  const url = safeHttpUrl(value);
  return /^https:\/\/(www\.)?flickr\.com\//.test(url) ? url : "";
}

/**
 * Reads one parsed sidecar. Returns undefined when it is not a photo
 * sidecar at all (no usable id).
 */
export function readSidecar(
  parsed: unknown,
  fallbackId: string,
): PhotoRecord | undefined {
  const sidecar = obj(parsed);
  if (!sidecar) return undefined;
  // A sidecar names its photo; one naming another photo is not trusted.
  const id = str(sidecar.id) || fallbackId;
  if (!/^\d{1,30}$/.test(id) || id !== fallbackId) return undefined;
  const saved = obj(sidecar.saved);
  const dims = obj(sidecar.original_dimensions);
  const albums: PhotoRecord["albums"] = [];
  if (Array.isArray(sidecar.albums)) {
    for (const album of sidecar.albums) {
      const o = obj(album);
      const albumId = o ? str(o.id) : "";
      if (/^\d{1,30}$/.test(albumId) && !albums.some((a) => a.id === albumId)) {
        albums.push({ id: albumId, title: str(o?.title) });
      }
    }
  }
  return {
    id,
    title: str(sidecar.title).slice(0, 2000),
    description: str(sidecar.description).slice(0, 100_000),
    tags: readTags(sidecar),
    ...readDate(sidecar),
    geo: readGeo(sidecar.geo ?? sidecar.location),
    license: readLicense(sidecar.license ?? sidecar.licence),
    views: num(sidecar.views),
    media: str(sidecar.media) === "video" ? "video" : "photo",
    flickrUrl: flickrPage(str(sidecar.url)),
    albums,
    width: num(saved?.width) ?? num(dims?.width),
    height: num(saved?.height) ?? num(dims?.height),
    sha256: str(saved?.sha256_downloaded),
    owner: str(obj(sidecar.owner)?.realname) ||
      str(obj(sidecar.owner)?.username),
  };
}
