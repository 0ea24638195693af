/**
 * What a backup folder holds, for the site: every photo with a sidecar and
 * its media file, the albums (from the state when there is one, else from
 * the sidecars), and which photos are in no album.
 *
 * Only sidecars whose size or modification time changed since the last
 * generation are parsed again (`cache`), so a refresh after a run that
 * changed nothing reads no file but the state.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { type PhotoRecord, readSidecar } from "./sidecar_record.ts";

/** A photo of the backup. */
export interface ScannedPhoto {
  record: PhotoRecord;
  /** Path of the media file from the backup root, with "/" separators. */
  file: string;
}

/** An album with its photos in Flickr's order. */
export interface ScannedAlbum {
  id: string;
  title: string;
  description: string;
  photoIds: string[];
  /** Deleted on Flickr; its folder is kept in the backup. */
  gone: boolean;
}

/** Everything the pages are made from. */
export interface BackupContents {
  photos: Map<string, ScannedPhoto>;
  albums: ScannedAlbum[];
  /** Photos in no album, newest first. */
  unsorted: string[];
  account: string;
}

/** Parsed sidecars by path, with the size and time they were read at. */
export type SidecarCache = Record<
  string,
  { mtime: number; size: number; record: PhotoRecord | null }
>;

const SIDECAR = /^(\d{1,30})\.([A-Za-z0-9]{1,10})\.json$/;

/**
 * What the state says about albums (Flickr's order, descriptions) and each
 * photo's main copy; the app reads it (`state/album_index.ts`) and passes it
 * in. Without it the albums come from the sidecars alone.
 */
export interface StateView {
  albums: {
    id: string;
    title: string;
    description: string;
    gone: boolean;
  }[];
  members: Map<string, string[]>;
  primary: Map<string, string>;
}

function listFolder(dir: string): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile || entry.isSymlink) names.push(entry.name);
  }
  return names;
}

/** Sort key of a date taken; unknown dates sort first. */
export function dateKey(photo: ScannedPhoto): string {
  return photo.record.dateTaken || "";
}

/** The sidecars and state of a backup, before any sidecar is parsed. */
export interface BackupListing {
  state: StateView | undefined;
  /** Photo id to its sidecars (paths from the root), the main copy first. */
  sidecars: Map<string, { rel: string; mtime: number; size: number }>;
  /**
   * Hash of every sidecar's path, size and time and of the state's albums
   * and memberships: equal listings make equal sites.
   */
  signature: string;
}

/**
 * Lists the backup folder: one stat per photo, no sidecar read.
 * Synchronous on purpose: tens of thousands of small stats finish several
 * times faster than awaited ones.
 */
export function listBackup(
  root: string,
  state: StateView | undefined,
): BackupListing {
  const folders: string[] = [];
  for (const entry of Deno.readDirSync(root)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) {
      folders.push(entry.name);
    }
  }
  // Album folders first, Unsorted last: a copy in an album is preferred.
  folders.sort((a, b) =>
    (a === "Unsorted" ? 1 : 0) - (b === "Unsorted" ? 1 : 0) ||
    (a < b ? -1 : a > b ? 1 : 0)
  );
  const found = new Map<string, string[]>();
  for (const folder of folders) {
    let names: string[];
    try {
      names = listFolder(join(root, folder)).sort();
    } catch {
      continue;
    }
    const present = new Set(names);
    for (const name of names) {
      const match = SIDECAR.exec(name);
      if (!match) continue;
      const media = name.slice(0, -".json".length);
      if (!present.has(media)) continue;
      const id = match[1]!;
      const list = found.get(id);
      if (list) list.push(`${folder}/${name}`);
      else found.set(id, [`${folder}/${name}`]);
    }
  }
  const hash = createHash("sha1");
  const sidecars: BackupListing["sidecars"] = new Map();
  for (const [id, rels] of found) {
    const main = state?.primary.get(id);
    const rel = rels.find((candidate) => candidate === `${main}.json`) ??
      rels[0]!;
    try {
      const stat = Deno.statSync(join(root, rel));
      const mtime = stat.mtime?.getTime() ?? 0;
      sidecars.set(id, { rel, mtime, size: stat.size });
      hash.update(`${rel}|${mtime}|${stat.size}\n`);
    } catch {
      // vanished since the listing
    }
  }
  hash.update(
    JSON.stringify(
      state ? [state.albums, [...state.members]] : null,
    ),
  );
  return { state, sidecars, signature: hash.digest("hex") };
}

/**
 * What the backup holds, parsing only the sidecars whose size or time
 * changed since they were cached.
 *
 * @param cache Sidecars parsed last time; updated in place (entries of
 * files that are gone are removed).
 */
export function readContents(
  root: string,
  listing: BackupListing,
  cache: SidecarCache,
): BackupContents {
  const { state } = listing;
  const photos = new Map<string, ScannedPhoto>();
  let account = "";
  const used = new Set<string>();
  for (const [id, sidecar] of listing.sidecars) {
    used.add(sidecar.rel);
    const record = readCached(root, sidecar, id, cache);
    if (!record) continue;
    if (!account && record.owner) account = record.owner;
    photos.set(id, { record, file: sidecar.rel.slice(0, -".json".length) });
  }
  for (const key of Object.keys(cache)) {
    if (!used.has(key)) delete cache[key];
  }

  const albums: ScannedAlbum[] = [];
  const byId = new Map<string, { album: ScannedAlbum; ids: Set<string> }>();
  for (const album of state?.albums ?? []) {
    const ids = (state?.members.get(album.id) ?? []).filter((id) =>
      photos.has(id)
    );
    const entry = { ...album, photoIds: ids };
    byId.set(album.id, { album: entry, ids: new Set(ids) });
    albums.push(entry);
  }
  // Albums the sidecars name that the state does not list (or no state).
  const extra: ScannedAlbum[] = [];
  const ordered = [...photos.values()].sort((a, b) =>
    dateKey(a) < dateKey(b) ? -1 : dateKey(a) > dateKey(b) ? 1 : 0
  );
  for (const photo of ordered) {
    for (const ref of photo.record.albums) {
      let entry = byId.get(ref.id);
      if (!entry) {
        entry = {
          album: {
            id: ref.id,
            title: ref.title,
            description: "",
            photoIds: [],
            gone: false,
          },
          ids: new Set(),
        };
        byId.set(ref.id, entry);
        extra.push(entry.album);
      }
      if (!entry.ids.has(photo.record.id)) {
        entry.ids.add(photo.record.id);
        entry.album.photoIds.push(photo.record.id);
      }
    }
  }
  extra.sort((a, b) => a.title.localeCompare(b.title));
  albums.push(...extra);
  const inAlbum = new Set<string>();
  for (const album of albums) {
    for (const id of album.photoIds) inAlbum.add(id);
  }
  const unsorted = ordered.filter((photo) => !inAlbum.has(photo.record.id))
    .map((photo) => photo.record.id).reverse();
  return {
    photos,
    albums: albums.filter((album) => album.photoIds.length > 0),
    unsorted,
    account,
  };
}

function readCached(
  root: string,
  sidecar: { rel: string; mtime: number; size: number },
  id: string,
  cache: SidecarCache,
): PhotoRecord | null {
  const hit = cache[sidecar.rel];
  if (hit && hit.mtime === sidecar.mtime && hit.size === sidecar.size) {
    return hit.record;
  }
  let record: PhotoRecord | null = null;
  try {
    record = readSidecar(
      JSON.parse(Deno.readTextFileSync(join(root, sidecar.rel))),
      id,
    ) ?? null;
  } catch {
    record = null; // unreadable or not JSON: the photo is left out
  }
  cache[sidecar.rel] = { mtime: sidecar.mtime, size: sidecar.size, record };
  return record;
}
