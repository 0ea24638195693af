/**
 * The albums of a backup as the state knows them, for the offline site:
 * Flickr's album order and descriptions, each album's photos in order, and
 * which copy of a photo is its main one. Read-only; never writes.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/** Albums, memberships and main copies. */
export interface AlbumIndex {
  albums: {
    id: string;
    title: string;
    description: string;
    gone: boolean;
  }[];
  /** Album id to its photo ids, in the album's order. */
  members: Map<string, string[]>;
  /** Photo id to the path of its main copy ("/" separators). */
  primary: Map<string, string>;
}

/**
 * Reads albums, memberships and each photo's main copy from a state file,
 * read-only; undefined when there is none or this build cannot read it.
 */
export function readAlbumIndex(path: string): AlbumIndex | undefined {
  let db: DatabaseSync | undefined;
  try {
    try {
      Deno.statSync(path);
    } catch {
      return undefined;
    }
    db = new DatabaseSync(path, { readOnly: true });
    db.exec("PRAGMA busy_timeout = 5000");
    const albums = (db.prepare(
      "SELECT id, title, description, deleted_on_flickr FROM albums ORDER BY position, id",
    ).all() as Record<string, unknown>[]).map((row) => ({
      id: String(row.id),
      title: String(row.title ?? ""),
      description: String(row.description ?? ""),
      gone: Number(row.deleted_on_flickr) === 1,
    }));
    const members = new Map<string, string[]>();
    // Row by row (iterate, not all): an array of every row of a large
    // account costs several times the map built from it.
    for (
      const row of db.prepare(
        "SELECT album_id, photo_id FROM memberships ORDER BY album_id, position",
      ).iterate() as Iterable<Record<string, unknown>>
    ) {
      const list = members.get(String(row.album_id)) ?? [];
      list.push(String(row.photo_id));
      members.set(String(row.album_id), list);
    }
    const primary = new Map<string, string>();
    for (
      const row of db.prepare(
        "SELECT id, rel_path FROM photos WHERE rel_path != ''",
      ).iterate() as Iterable<Record<string, unknown>>
    ) {
      primary.set(String(row.id), String(row.rel_path).replaceAll("\\", "/"));
    }
    return { albums, members, primary };
  } catch {
    // A state this build cannot read: callers fall back to the sidecars.
    return undefined;
  } finally {
    try {
      db?.close();
    } catch {
      // nothing to do
    }
  }
}
