/**
 * The site's pages as HTML strings. Every string from Flickr goes through
 * {@link esc} (or {@link sanitizeDescription}); every link is relative.
 *
 * Layout of the site folder (`.flickr_site/` in the backup root):
 * `a/<album>.html`, `p/<photo>.html`, `t/<tag>.html`, `m/<yyyy-mm>.html`,
 * `s/{tags,timeline,search}.html`, `assets/`, `th/<photo>.jpg`; the home page
 * is `index.html` in the backup root.
 *
 * @module
 */

import { descriptionText, esc, sanitizeDescription, urlPath } from "./html.ts";
import type {
  BackupContents,
  ScannedAlbum,
  ScannedPhoto,
} from "./backup_scan.ts";
import type { Granularity, SiteTag } from "./sidecar_record.ts";

/** Name of the site folder in the backup root. */
export const SITE_DIR = ".flickr_site";

/** Where a photo's thumbnail is. */
export type ThumbRef =
  | { at: "site"; path: string; rotate: number }
  | { at: "root"; path: string }
  | { at: "none"; label: string };

/** Everything the pages need besides the backup contents. */
export interface SiteModel {
  contents: BackupContents;
  thumbs: Map<string, ThumbRef>;
  /** Tags by key, with their photos newest first. */
  tags: Map<string, { label: string; slug: string; photoIds: string[] }>;
  /** "yyyy-mm" (or "undated") to photo ids, oldest first. */
  months: Map<string, string[]>;
}

/** Relative prefixes from a page to the backup root and the site folder. */
interface Where {
  root: string;
  site: string;
}
const HOME: Where = { root: "", site: `${SITE_DIR}/` };
const PAGE: Where = { root: "../../", site: "../" };

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** A date taken as precise as Flickr knows it. */
export function formatTaken(date: string, granularity: Granularity): string {
  if (!date) return "date unknown";
  const [y, mo, d] = [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10)];
  const month = MONTHS[Number(mo) - 1];
  if (granularity === "year") return y;
  if (granularity === "circa") return `circa ${y}`;
  if (granularity === "month" || !d) return month ? `${month} ${y}` : y;
  const time = date.slice(11, 16);
  return `${Number(d)} ${month ?? ""} ${y}${time ? `, ${time}` : ""}`;
}

/** "March 2021 – May 2023" for a list of photos. */
function dateRange(photos: ScannedPhoto[]): string {
  const dates = photos.map((p) => p.record.dateTaken).filter(Boolean).sort();
  if (!dates.length) return "";
  const label = (date: string) => {
    const month = MONTHS[Number(date.slice(5, 7)) - 1];
    return month
      ? `${month.slice(0, 3)} ${date.slice(0, 4)}`
      : date.slice(0, 4);
  };
  const first = label(dates[0]!);
  const last = label(dates[dates.length - 1]!);
  return first === last ? first : `${first} – ${last}`;
}

/** The file name of a tag page. */
export function tagSlug(key: string, hash: (text: string) => string): string {
  return /^[a-z0-9]{1,60}$/.test(key) ? key : `x${hash(key).slice(0, 16)}`;
}

function albumPage(id: string): string {
  return id === "" ? "a/unsorted.html" : `a/${id}.html`;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "media-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** What every page has around its body. */
interface LayoutOptions {
  title: string;
  account: string;
  kind: string;
  scripts?: string[];
}

function layout(where: Where, options: LayoutOptions & { body: string }) {
  const [head, tail] = layoutAround(where, options);
  return `${head}${options.body}${tail}`;
}

/** The text of a page before and after its body. */
function layoutAround(
  where: Where,
  options: LayoutOptions,
): [string, string] {
  const scripts = [...(options.scripts ?? []), "assets/site.js"].map((src) =>
    `<script src="${where.site}${src}" defer></script>`
  ).join("");
  const home = esc(options.account || "Flickr backup");
  return [
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<title>${esc(options.title)}</title>
<link rel="stylesheet" href="${where.site}assets/site.css">${scripts}
</head><body data-page="${options.kind}">
<header class="bar"><a class="home" href="${where.root}index.html">${home}</a>
<nav><a href="${where.site}s/timeline.html">Timeline</a> <a href="${where.site}s/tags.html">Tags</a></nav>
<form class="find" action="${where.site}s/search.html" method="get" role="search"><input type="search" name="q" placeholder="Search" aria-label="Search titles, descriptions and tags"></form>
</header>
<main>
`,
    `
</main></body></html>
`,
  ];
}

function thumbUrl(where: Where, thumb: ThumbRef | undefined): string {
  if (!thumb || thumb.at === "none") return "";
  return thumb.at === "site"
    ? `${where.site}${thumb.path}`
    : `${where.root}${urlPath(thumb.path)}`;
}

function tile(
  where: Where,
  model: SiteModel,
  id: string,
  albumId?: string,
): string {
  const photo = model.contents.photos.get(id)!;
  const thumb = model.thumbs.get(id);
  const title = photo.record.title || "Untitled";
  const href = `${where.site}p/${id}.html${
    albumId !== undefined ? `#a=${albumId || "unsorted"}` : ""
  }`;
  const video = photo.record.media === "video" ? " video" : "";
  if (!thumb || thumb.at === "none") {
    return `<a class="tile none${video}" href="${href}"><span>${
      esc(thumb?.label ?? "photo")
    }</span><span class="cap">${esc(title)}</span></a>`;
  }
  const rotate = thumb.at === "site" && thumb.rotate
    ? ` class="r${thumb.rotate}"`
    : "";
  return `<a class="tile${video}" href="${href}"><img src="${
    thumbUrl(where, thumb)
  }" alt="${
    esc(title)
  }" loading="lazy" decoding="async" width="160" height="160"${rotate}></a>`;
}

/** A grid of tiles, a tile at a time. */
function* grid(
  where: Where,
  model: SiteModel,
  ids: string[],
  albumId?: string,
): Generator<string> {
  yield `<div class="grid">\n`;
  for (const [n, id] of ids.entries()) {
    yield `${n ? "\n" : ""}${tile(where, model, id, albumId)}`;
  }
  yield `\n</div>`;
}

function countText(photos: ScannedPhoto[]): string {
  const videos = photos.filter((p) => p.record.media === "video").length;
  const stills = photos.length - videos;
  const parts = [];
  if (stills || !videos) {
    parts.push(`${stills} photo${stills === 1 ? "" : "s"}`);
  }
  if (videos) parts.push(`${videos} video${videos === 1 ? "" : "s"}`);
  return parts.join(", ");
}

/** The albums of the home page: Flickr's order, Unsorted last. */
export function homeAlbums(contents: BackupContents): ScannedAlbum[] {
  const list = contents.albums.map((album) => ({ ...album }));
  if (contents.unsorted.length) {
    list.push({
      id: "",
      title: "Unsorted",
      description: "",
      photoIds: contents.unsorted,
      gone: false,
    });
  }
  return list;
}

/** `index.html` in the backup root. */
export function renderHome(model: SiteModel): string {
  const where = HOME;
  const { contents } = model;
  const cards = homeAlbums(contents).map((album) => {
    const photos = album.photoIds.map((id) => contents.photos.get(id)!);
    const cover = album.photoIds.find((id) =>
      model.thumbs.get(id)?.at !== "none"
    );
    const src = cover ? thumbUrl(where, model.thumbs.get(cover)) : "";
    const thumb = cover ? model.thumbs.get(cover) : undefined;
    const rotate = thumb?.at === "site" && thumb.rotate
      ? ` class="r${thumb.rotate}"`
      : "";
    const title = album.title || "Untitled album";
    return `<a class="album" href="${where.site}${albumPage(album.id)}">${
      src
        ? `<img src="${src}" alt="${
          esc(title)
        }" loading="lazy" decoding="async" width="240" height="240"${rotate}>`
        : `<span class="nocover"></span>`
    }<span class="name">${esc(title)}</span><span class="meta">${
      esc(countText(photos))
    }${photos.length ? " · " : ""}${esc(dateRange(photos))}${
      album.gone ? " · deleted on Flickr" : ""
    }</span></a>`;
  }).join("\n");
  const all = [...contents.photos.values()];
  return layout(where, {
    title: contents.account || "Flickr backup",
    account: contents.account,
    kind: "home",
    body: `<h1>${esc(contents.account || "Flickr backup")}</h1>
<p class="meta">${esc(countText(all))} · ${homeAlbums(contents).length} albums${
      all.length ? ` · ${esc(dateRange(all))}` : ""
    }</p>
<div class="albums">
${cards}
</div>`,
  });
}

/**
 * One album page (`id` "" is Unsorted), in pieces: the page of a large
 * album (megabytes of tiles) never exists as one string.
 */
export function* renderAlbum(
  model: SiteModel,
  album: ScannedAlbum,
): Generator<string> {
  const where = PAGE;
  const photos = album.photoIds.map((id) => model.contents.photos.get(id)!);
  const title = album.title || "Untitled album";
  const description = album.description
    ? `<div class="desc">${sanitizeDescription(album.description)}</div>`
    : "";
  const [head, tail] = layoutAround(where, {
    title: `${title} · ${model.contents.account || "Flickr backup"}`,
    account: model.contents.account,
    kind: "album",
  });
  yield `${head}<h1>${esc(title)}</h1>
<p class="meta">${esc(countText(photos))}${
    photos.length ? ` · ${esc(dateRange(photos))}` : ""
  }${album.gone ? " · deleted on Flickr, kept in the backup" : ""}</p>
${description}
`;
  yield* grid(where, model, album.photoIds, album.id);
  yield tail;
}

function tagLinks(where: Where, model: SiteModel, tags: SiteTag[]): string {
  return tags.map((tag) => {
    const entry = model.tags.get(tag.key);
    return entry
      ? `<a class="tag" href="${where.site}t/${entry.slug}.html">${
        esc(tag.label)
      }</a>`
      : "";
  }).join(" ");
}

/** One photo page, with prev/next in each album holding it. */
export function renderPhoto(
  model: SiteModel,
  photo: ScannedPhoto,
  albums: { id: string; title: string; photoIds: string[] }[],
): string {
  const where = PAGE;
  const r = photo.record;
  const title = r.title || "Untitled";
  const file = `${where.root}${urlPath(photo.file)}`;
  const size = r.width && r.height
    ? ` width="${r.width}" height="${r.height}"`
    : "";
  const picture = r.media === "video"
    ? `<video controls preload="metadata" src="${file}"${size}>Your browser cannot play this video: <a href="${file}">open the file</a>.</video>`
    : `<img src="${file}" alt="${esc(title)}"${size}>`;
  const sequences = albums.map((album) => {
    const at = album.photoIds.indexOf(r.id);
    const prev = album.photoIds[at - 1];
    const next = album.photoIds[at + 1];
    const key = album.id || "unsorted";
    const link = (id: string | undefined, rel: string, text: string) =>
      id
        ? `<a rel="${rel}" href="${id}.html#a=${key}">${text}</a>`
        : `<span class="off">${text}</span>`;
    return `<nav class="seq" data-album="${key}" data-back="../${
      albumPage(album.id)
    }">${link(prev, "prev", "← Previous")} <a class="up" href="../${
      albumPage(album.id)
    }">${esc(album.title || "Untitled album")}</a> <span class="pos">${
      at + 1
    } / ${album.photoIds.length}</span> ${link(next, "next", "Next →")}</nav>`;
  }).join("\n");
  const facts: string[] = [];
  facts.push(
    `<dt>Taken</dt><dd>${esc(formatTaken(r.dateTaken, r.granularity))}</dd>`,
  );
  if (r.tags.length) {
    facts.push(`<dt>Tags</dt><dd>${tagLinks(where, model, r.tags)}</dd>`);
  }
  if (r.geo) {
    const lat = r.geo.latitude.toFixed(6);
    const lon = r.geo.longitude.toFixed(6);
    const map =
      `https://www.openstreetmap.org/?mlat=${lat}&amp;mlon=${lon}#map=15/${lat}/${lon}`;
    facts.push(
      `<dt>Place</dt><dd>${lat}, ${lon} (<a href="${map}" rel="noopener noreferrer">map</a>)</dd>`,
    );
  }
  if (r.license) {
    facts.push(
      `<dt>Licence</dt><dd>${
        r.license.url
          ? `<a href="${esc(r.license.url)}" rel="noopener noreferrer">${
            esc(r.license.name)
          }</a>`
          : esc(r.license.name)
      }</dd>`,
    );
  }
  if (r.views !== null) facts.push(`<dt>Views</dt><dd>${r.views}</dd>`);
  if (albums.length) {
    facts.push(
      `<dt>Albums</dt><dd>${
        albums.map((album) =>
          `<a href="../${albumPage(album.id)}">${
            esc(album.title || "Untitled album")
          }</a>`
        ).join(", ")
      }</dd>`,
    );
  }
  const links = [`<a href="${file}">Original file</a>`];
  if (r.flickrUrl) {
    links.push(
      `<a href="${esc(r.flickrUrl)}" rel="noopener noreferrer">On Flickr</a>`,
    );
  }
  facts.push(`<dt>Files</dt><dd>${links.join(" · ")}</dd>`);
  return layout(where, {
    title: `${title} · ${model.contents.account || "Flickr backup"}`,
    account: model.contents.account,
    kind: "photo",
    body: `${sequences}
<figure class="picture">${picture}</figure>
<h1>${esc(title)}</h1>
${
      r.description
        ? `<div class="desc">${sanitizeDescription(r.description)}</div>`
        : ""
    }
<dl class="facts">${facts.join("\n")}</dl>`,
  });
}

/** A grid page for a tag or a month, in pieces (as {@link renderAlbum}). */
export function* renderGridPage(
  model: SiteModel,
  kind: "tag" | "month",
  heading: string,
  ids: string[],
): Generator<string> {
  const photos = ids.map((id) => model.contents.photos.get(id)!);
  const [head, tail] = layoutAround(PAGE, {
    title: `${heading} · ${model.contents.account || "Flickr backup"}`,
    account: model.contents.account,
    kind,
  });
  yield `${head}<h1>${esc(heading)}</h1>
<p class="meta">${esc(countText(photos))}</p>
`;
  yield* grid(PAGE, model, ids);
  yield tail;
}

/** Month key to its heading. */
export function monthHeading(key: string): string {
  if (key === "undated") return "Date unknown";
  if (key.endsWith("-00")) return `${key.slice(0, 4)}, month unknown`;
  return `${MONTHS[Number(key.slice(5, 7)) - 1] ?? ""} ${key.slice(0, 4)}`;
}

/** The tag index. */
export function renderTags(model: SiteModel): string {
  const tags = [...model.tags.values()].sort((a, b) =>
    a.label.localeCompare(b.label)
  );
  return layout(PAGE, {
    title: `Tags · ${model.contents.account || "Flickr backup"}`,
    account: model.contents.account,
    kind: "tags",
    body: `<h1>Tags</h1>
<p class="meta">${tags.length} tags</p>
<p class="tags">${
      tags.map((tag) =>
        `<a class="tag" href="../t/${tag.slug}.html">${
          esc(tag.label)
        } <span class="n">${tag.photoIds.length}</span></a>`
      ).join("\n")
    }</p>`,
  });
}

/** The timeline: years, then months with their counts. */
export function renderTimeline(model: SiteModel): string {
  const years = new Map<string, string[]>();
  for (const key of [...model.months.keys()].sort().reverse()) {
    const year = key === "undated" ? "Date unknown" : key.slice(0, 4);
    years.set(year, [...(years.get(year) ?? []), key]);
  }
  const sections = [...years].map(([year, months]) => {
    const total = months.reduce(
      (n, key) => n + model.months.get(key)!.length,
      0,
    );
    return `<section><h2>${
      esc(year)
    } <span class="n">${total}</span></h2><ul class="months">${
      months.map((key) =>
        `<li><a href="../m/${key}.html">${
          esc(monthHeading(key))
        }</a> <span class="n">${model.months.get(key)!.length}</span></li>`
      ).join("")
    }</ul></section>`;
  }).join("\n");
  return layout(PAGE, {
    title: `Timeline · ${model.contents.account || "Flickr backup"}`,
    account: model.contents.account,
    kind: "timeline",
    body: `<h1>Timeline</h1>\n${sections}`,
  });
}

/**
 * Photos per search index file. The index is cut into files of this many
 * photos, each built, written and let go in turn (a whole index of 10,000
 * photos held ~20 MB while built and serialized); the search page loads
 * them all and merges their hits.
 */
export const SEARCH_SHARD_PHOTOS = 1000;

/** The search index files (from the site folder) of `photos` photos. */
export function searchShardFiles(photos: number): string[] {
  const count = Math.max(1, Math.ceil(photos / SEARCH_SHARD_PHOTOS));
  return Array.from({ length: count }, (_, k) => `assets/search-${k}.js`);
}

/** The search page (results are rendered by site.js). */
export function renderSearch(model: SiteModel): string {
  const shards = searchShardFiles(model.contents.photos.size);
  return layout(PAGE, {
    title: `Search · ${model.contents.account || "Flickr backup"}`,
    account: model.contents.account,
    kind: "search",
    scripts: ["assets/minisearch.js", ...shards],
    body: `<h1>Search</h1>
<form class="search" action="search.html" method="get" role="search"><input id="q" type="search" name="q" placeholder="Words from titles, descriptions, tags" aria-label="Search" autofocus></form>
<p id="status" class="meta" aria-live="polite"></p>
<div id="results" class="grid" data-shards="${shards.length}"></div>`,
  });
}

/** What the search index holds of a photo. */
export interface SearchDocument {
  id: string;
  title: string;
  text: string;
  tags: string;
  thumb: string;
  date: string;
}

/** The search document of one photo. */
export function searchDocument(
  model: SiteModel,
  photo: ScannedPhoto,
): SearchDocument {
  return {
    id: photo.record.id,
    title: photo.record.title,
    text: descriptionText(photo.record.description),
    tags: photo.record.tags.map((tag) => `${tag.label} ${tag.key}`).join(" "),
    thumb: thumbUrl(PAGE, model.thumbs.get(photo.record.id)),
    date: formatTaken(photo.record.dateTaken, photo.record.granularity),
  };
}

/** Albums a photo is in, for its page. */
export function albumsOf(
  contents: BackupContents,
): Map<string, ScannedAlbum[]> {
  const map = new Map<string, ScannedAlbum[]>();
  for (const album of homeAlbums(contents)) {
    for (const id of album.photoIds) {
      const list = map.get(id) ?? [];
      list.push(album);
      map.set(id, list);
    }
  }
  return map;
}
