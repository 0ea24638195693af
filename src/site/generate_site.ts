/**
 * Writes (or refreshes) the offline site of a backup folder: `index.html` in
 * the root and everything else in `.flickr_site/`.
 *
 * Incremental: a manifest in the site folder remembers the sidecars it read
 * (size, time, what they said), the thumbnails it made and a hash of every
 * page. A refresh re-reads only changed sidecars, makes only missing
 * thumbnails, renders every page in memory (cheap) and writes only pages
 * whose HTML changed; pages of photos, tags or months that are gone are
 * removed. Deleting the site folder forces a full generation.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { LocalFatalError } from "../errors.ts";
import { atomicWriteFile, fsyncDir } from "../platform/fs.ts";
import {
  type BackupContents,
  listBackup,
  readContents,
  type StateView,
} from "./backup_scan.ts";
import {
  miniSearchBrowserBuild,
  SEARCH_OPTIONS,
  SITE_CSS,
  SITE_JS,
} from "./assets.ts";
import {
  albumsOf,
  homeAlbums,
  monthHeading,
  renderAlbum,
  renderGridPage,
  renderHome,
  renderPhoto,
  renderSearch,
  renderTags,
  renderTimeline,
  SEARCH_SHARD_PHOTOS,
  type SearchDocument,
  searchDocument,
  searchShardFiles,
  SITE_DIR,
  type SiteModel,
  tagSlug,
  type ThumbRef,
} from "./pages.ts";
import { makeThumbnail } from "./thumbnails.ts";
import { shardScript } from "./search_index.ts";
import { collectGarbageIfGrown } from "../platform/collect_garbage.ts";
import {
  countFiles,
  MANIFEST,
  type Manifest,
  MANIFEST_VERSION,
  presentFiles,
  QUICK,
  type QuickCheck,
  readManifest,
  readQuick,
  removeFiles,
  writeChunks,
  writeFiles,
  writeManifest,
} from "./site_files.ts";

export { SITE_DIR } from "./pages.ts";

/** Pages written between two looks at the heap. */
const PAGES_PER_GC_CHECK = 1000;
/** Thumbnails made at once (file reads and JPEG decoding). */
const THUMB_CONCURRENCY = 4;

/** What a generation did. */
export interface SiteResult {
  /** Absolute path of the home page. */
  indexPath: string;
  photos: number;
  albums: number;
  /** Pages and assets the site has, and how many were (re)written. */
  files: number;
  written: number;
  removed: number;
  thumbnailsMade: number;
  /** Photos shown as a plain tile (no thumbnail could be had). */
  withoutThumbnail: number;
}

function hash(text: string | Uint8Array): string {
  return createHash("sha1").update(text).digest("hex");
}

async function thumbnails(
  root: string,
  contents: BackupContents,
  manifest: Manifest,
  present: Set<string>,
): Promise<{ refs: Map<string, ThumbRef>; made: number }> {
  const refs = new Map<string, ThumbRef>();
  const made = new Set<string>(); // folders known to exist
  const todo: { id: string; key: string }[] = [];
  for (const [id, photo] of contents.photos) {
    const key = `${photo.file}|${photo.record.sha256}|${photo.record.media}`;
    const old = manifest.thumbs[id];
    if (
      old && old.key === key &&
      (old.ref.at !== "site" || present.has(old.ref.path))
    ) {
      refs.set(id, old.ref);
    } else todo.push({ id, key });
  }
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { id, key } = todo[next++]!;
      const photo = contents.photos.get(id)!;
      const ext = photo.file.slice(photo.file.lastIndexOf(".") + 1)
        .toLowerCase();
      let ref: ThumbRef;
      try {
        const thumb = await makeThumbnail(
          join(root, photo.file),
          ext,
          photo.record.media,
        );
        if (thumb.kind === "jpeg") {
          const path = `th/${id}.jpg`;
          // Written at once: thumbnails of a large backup add up to
          // hundreds of megabytes.
          writeFiles(root, [[`${SITE_DIR}/${path}`, thumb.bytes]], made);
          ref = { at: "site", path, rotate: thumb.rotate };
        } else if (thumb.kind === "original") {
          ref = { at: "root", path: photo.file };
        } else {
          ref = {
            at: "none",
            label: photo.record.media === "video"
              ? `${ext.toUpperCase()} video`
              : `${ext.toUpperCase()} file`,
          };
        }
      } catch {
        ref = { at: "none", label: `${ext.toUpperCase()} file` };
      }
      refs.set(id, ref);
      manifest.thumbs[id] = { key, ref };
    }
  };
  await Promise.all(Array.from({ length: THUMB_CONCURRENCY }, worker));
  for (const id of Object.keys(manifest.thumbs)) {
    if (!contents.photos.has(id)) delete manifest.thumbs[id];
  }
  return { refs, made: todo.length };
}

function buildModel(
  contents: BackupContents,
  thumbs: Map<string, ThumbRef>,
): SiteModel {
  const tags: SiteModel["tags"] = new Map();
  const months: SiteModel["months"] = new Map();
  const slugs = new Set<string>();
  const byDate = [...contents.photos.values()].sort((a, b) =>
    a.record.dateTaken < b.record.dateTaken
      ? -1
      : a.record.dateTaken > b.record.dateTaken
      ? 1
      : 0
  );
  for (const photo of byDate) {
    const r = photo.record;
    const month = /^\d{4}-\d{2}/.test(r.dateTaken) &&
        r.granularity !== "year" && r.granularity !== "circa"
      ? r.dateTaken.slice(0, 7)
      : r.dateTaken
      ? `${r.dateTaken.slice(0, 4)}-00`
      : "undated";
    // Pushed, not copied: a copy per photo was quadratic in a month's size.
    const ids = months.get(month);
    if (ids) ids.push(r.id);
    else months.set(month, [r.id]);
    for (const tag of r.tags) {
      let entry = tags.get(tag.key);
      if (!entry) {
        let slug = tagSlug(tag.key, hash);
        while (slugs.has(slug)) slug += "_";
        slugs.add(slug);
        entry = { label: tag.label, slug, photoIds: [] };
        tags.set(tag.key, entry);
      }
      entry.photoIds.push(r.id);
    }
  }
  for (const entry of tags.values()) entry.photoIds.reverse();
  return { contents, thumbs, tags, months };
}

/**
 * The search index files, one at a time: each holds the documents of
 * {@link SEARCH_SHARD_PHOTOS} photos. `key` hashes what the file is made
 * from (its documents, the options, the program); the index itself is only
 * built when asked for (`script`).
 */
function* searchShards(
  model: SiteModel,
  generator: string,
): Generator<{ rel: string; key: string; script: () => Iterable<string> }> {
  const files = searchShardFiles(model.contents.photos.size);
  const photos = model.contents.photos.values();
  const options = JSON.stringify([SEARCH_OPTIONS, generator]);
  for (const file of files) {
    const docs: SearchDocument[] = [];
    while (docs.length < SEARCH_SHARD_PHOTOS) {
      const next = photos.next();
      if (next.done) break;
      docs.push(searchDocument(model, next.value));
    }
    yield {
      rel: `${SITE_DIR}/${file}`,
      key: docs.reduce(
        (digest, doc) => digest.update(JSON.stringify(doc)),
        createHash("sha1").update(options),
      ).digest("hex"),
      script: () => shardScript(docs),
    };
  }
}

/**
 * A page's text: whole; in pieces, made again when asked again (large
 * pages: hashed, then made again to be written only when changed); or an
 * asset read from a package.
 */
type Page =
  | string
  | { pieces: () => Iterable<string> }
  | (() => Promise<string>);

/** SHA-1 of the text of `pieces`, as {@link hash} of them joined gives. */
function hashPieces(pieces: Iterable<string>): string {
  const digest = createHash("sha1");
  let chunk = "";
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= 64 * 1024) {
      digest.update(chunk);
      chunk = "";
    }
  }
  return digest.update(chunk).digest("hex");
}

/**
 * Every page, one at a time (made when asked for: an 80,000-photo backup
 * never holds all its pages in memory at once).
 */
function* renderAll(
  model: SiteModel,
): Generator<[string, Page]> {
  const s = (rel: string) => `${SITE_DIR}/${rel}`;
  yield ["index.html", renderHome(model)];
  yield [s("assets/site.css"), SITE_CSS];
  yield [s("assets/site.js"), SITE_JS];
  yield [s("assets/minisearch.js"), () => miniSearchBrowserBuild()];
  const albums = homeAlbums(model.contents);
  for (const album of albums) {
    yield [
      s(album.id ? `a/${album.id}.html` : "a/unsorted.html"),
      { pieces: () => renderAlbum(model, album) },
    ];
  }
  const memberOf = albumsOf(model.contents);
  for (const photo of model.contents.photos.values()) {
    yield [
      s(`p/${photo.record.id}.html`),
      renderPhoto(model, photo, memberOf.get(photo.record.id) ?? []),
    ];
  }
  for (const tag of model.tags.values()) {
    yield [
      s(`t/${tag.slug}.html`),
      {
        pieces: () => renderGridPage(model, "tag", tag.label, tag.photoIds),
      },
    ];
  }
  for (const [month, ids] of model.months) {
    yield [
      s(`m/${month}.html`),
      {
        pieces: () => renderGridPage(model, "month", monthHeading(month), ids),
      },
    ];
  }
  yield [s("s/tags.html"), renderTags(model)];
  yield [s("s/timeline.html"), renderTimeline(model)];
  yield [s("s/search.html"), renderSearch(model)];
}

/**
 * Generates or refreshes the site of the backup in `root`.
 *
 * @throws {LocalFatalError} When the site folder cannot be written.
 */
export async function generateSite(
  root: string,
  options: {
    generator?: string;
    /** Albums from the backup's state; without it, from the sidecars. */
    state?: StateView | undefined;
  } = {},
): Promise<SiteResult> {
  const siteDir = join(root, SITE_DIR);
  try {
    await Deno.mkdir(siteDir, { recursive: true });
    const generator = `${options.generator ?? ""}|${hash(SITE_JS + SITE_CSS)}`;
    const listing = listBackup(root, options.state);
    const present = presentFiles(siteDir);
    const quick = await readQuick(siteDir);
    if (
      quick?.signature === listing.signature &&
      quick.generator === generator && quick.files === present.size &&
      exists(join(root, "index.html"))
    ) {
      return {
        indexPath: join(root, "index.html"),
        photos: quick.photos,
        albums: quick.albums,
        withoutThumbnail: quick.withoutThumbnail,
        thumbnailsMade: 0,
        files: quick.files,
        written: 0,
        removed: 0,
      };
    }
    const manifest = await readManifest(siteDir);
    const contents = readContents(root, listing, manifest.sidecars);
    collectGarbageIfGrown();
    const thumbs = await thumbnails(root, contents, manifest, present);
    const summary = {
      indexPath: join(root, "index.html"),
      photos: contents.photos.size,
      albums: contents.albums.length + (contents.unsorted.length ? 1 : 0),
      thumbnailsMade: thumbs.made,
      withoutThumbnail: [...thumbs.refs.values()].filter((ref) =>
        ref.at === "none"
      ).length,
    };
    const model = buildModel(contents, thumbs.refs);

    const isPresent = (rel: string) =>
      rel === "index.html"
        ? exists(join(root, rel))
        : present.has(rel.slice(SITE_DIR.length + 1));
    const newPages: Record<string, string> = {};
    // Each changed page is written as soon as it is made, then let go.
    let written = 0;
    const folders = new Set<string>();
    const write = (rel: string, text: string) => {
      writeFiles(root, [[rel, text]], folders);
      written++;
    };
    let rendered = 0;
    for (const [rel, content] of renderAll(model)) {
      // V8 left what pages and index files promote to its old space there
      // until its limit, tens of MB above what the site keeps. (Looking
      // every 25 pages made 53 collections of a 10,000-photo site in the
      // bench's process instead of 22, for the same peak of the backup.)
      if (++rendered % PAGES_PER_GC_CHECK === 0) collectGarbageIfGrown();
      if (typeof content === "string") {
        const digest = hash(content);
        newPages[rel] = digest;
        if (manifest.pages[rel] !== digest || !isPresent(rel)) {
          write(rel, content);
        }
      } else if (typeof content === "object") {
        const digest = hashPieces(content.pieces());
        newPages[rel] = digest;
        if (manifest.pages[rel] !== digest || !isPresent(rel)) {
          writeChunks(root, rel, content.pieces(), folders);
          written++;
        }
      } else if (manifest.pages[rel] && isPresent(rel)) {
        newPages[rel] = manifest.pages[rel]!; // generated from a fixed package
      } else {
        const text = await content();
        newPages[rel] = hash(text);
        write(rel, text);
      }
    }
    collectGarbageIfGrown();
    for (const shard of searchShards(model, generator)) {
      newPages[shard.rel] = shard.key;
      if (manifest.pages[shard.rel] !== shard.key || !isPresent(shard.rel)) {
        writeChunks(root, shard.rel, shard.script(), folders);
        written++;
        collectGarbageIfGrown();
      }
    }
    const usedThumbs = new Set(
      Object.values(manifest.thumbs).map((t) =>
        t.ref.at === "site" ? t.ref.path : ""
      ),
    );
    const removed = removeFiles(
      root,
      Object.keys(manifest.pages).filter((rel) => !(rel in newPages)),
    ) +
      removeFiles(
        siteDir,
        [...present].filter((rel) =>
          rel.startsWith("th/") && !usedThumbs.has(rel)
        ),
      );
    manifest.pages = newPages;
    writeManifest(join(siteDir, MANIFEST), manifest);
    await fsyncDir(siteDir);
    const quickCheck: QuickCheck = {
      version: MANIFEST_VERSION,
      generator,
      signature: listing.signature,
      files: countFiles(siteDir),
      photos: summary.photos,
      albums: summary.albums,
      withoutThumbnail: summary.withoutThumbnail,
    };
    await atomicWriteFile(join(siteDir, QUICK), JSON.stringify(quickCheck));
    return {
      ...summary,
      files: Object.keys(newPages).length,
      written,
      removed,
    };
  } catch (error) {
    if (error instanceof LocalFatalError) throw error;
    throw new LocalFatalError(
      `Cannot write the offline site in "${siteDir}": ${
        (error as Error).message
      }. The backup itself is untouched; fix the cause (disk full, permissions) and run "flickr-backup site" again`,
      { cause: error },
    );
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
