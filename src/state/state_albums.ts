/**
 * Albums and memberships in the state.
 *
 * @module
 */

import { RunsState } from "./state_runs.ts";
import {
  ALBUM_SIGNATURE_SQL,
  type AlbumRow,
  toAlbumRow,
} from "./state_rows.ts";

/** {@link RunsState} plus albums and memberships. */
export class AlbumsState extends RunsState {
  /** Inserts or updates an album seen in this run's listing. */
  upsertAlbum(
    album: Omit<AlbumRow, "folder" | "seenRun" | "deletedOnFlickr">,
    runId: number,
  ): void {
    this.stmt(
      `INSERT INTO albums(id, title, description, position, date_update, expected_count, seen_run)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET title = excluded.title, description = excluded.description,
         position = excluded.position, date_update = excluded.date_update,
         expected_count = excluded.expected_count, seen_run = excluded.seen_run,
         deleted_on_flickr = 0`,
    ).run(
      album.id,
      album.title,
      album.description,
      album.position,
      album.dateUpdate,
      album.expectedCount,
      runId,
    );
  }

  /**
   * Records that an album's photos were listed completely in `runId`:
   * memberships not seen in this listing are dropped, and the album's
   * `date_update` and count are remembered so that later runs can skip
   * listing it while they stay the same.
   */
  markAlbumListed(
    albumId: string,
    dateUpdate: number,
    count: number,
    runId: number,
  ): void {
    this.transaction(() => {
      this.stmt(
        "DELETE FROM memberships WHERE album_id = ? AND seen_run != ?",
      ).run(albumId, runId);
      this.stmt(
        "UPDATE albums SET listed_update = ?, listed_count = ? WHERE id = ?",
      ).run(dateUpdate, count, albumId);
    });
  }

  /** Keeps an unchanged album's memberships as they were, for `runId`. */
  carryAlbumMemberships(albumId: string, runId: number): void {
    this.stmt("UPDATE memberships SET seen_run = ? WHERE album_id = ?").run(
      runId,
      albumId,
    );
  }

  /** Whether an album needs listing: new, or changed since it was listed. */
  albumNeedsListing(
    albumId: string,
    dateUpdate: number,
    count: number,
  ): boolean {
    const row = this.stmt(
      "SELECT listed_update, listed_count FROM albums WHERE id = ?",
    ).get(albumId) as
      | { listed_update: number; listed_count: number }
      | undefined;
    return !row || row.listed_update !== dateUpdate ||
      row.listed_count !== count;
  }

  /** Flags albums not in this run's album list; returns them. */
  markAlbumsGone(runId: number): AlbumRow[] {
    const gone = (this.stmt(
      "SELECT * FROM albums WHERE seen_run != ? AND deleted_on_flickr = 0",
    ).all(runId) as Record<string, unknown>[]).map(toAlbumRow);
    this.stmt(
      "UPDATE albums SET deleted_on_flickr = 1 WHERE seen_run != ?",
    ).run(runId);
    return gone;
  }

  /** Albums known to the backup that are gone from Flickr. */
  goneAlbums(): AlbumRow[] {
    return (this.stmt(
      "SELECT * FROM albums WHERE deleted_on_flickr = 1 ORDER BY position, id",
    ).all() as Record<string, unknown>[]).map(toAlbumRow);
  }

  /** Albums known to the backup, not deleted, that `runId` did not list. */
  albumsNotSeen(runId: number): AlbumRow[] {
    return (this.stmt(
      "SELECT * FROM albums WHERE seen_run != ? AND deleted_on_flickr = 0 ORDER BY position, id",
    ).all(runId) as Record<string, unknown>[]).map(toAlbumRow);
  }

  /** Keeps an album a listing missed, with its memberships, in `runId`. */
  carryAlbum(albumId: string, runId: number): void {
    this.transaction(() => {
      this.stmt("UPDATE albums SET seen_run = ? WHERE id = ?").run(
        runId,
        albumId,
      );
      this.carryAlbumMemberships(albumId, runId);
    });
  }

  /** Renames an album folder in every recorded path. */
  renameFolder(albumId: string, from: string, to: string): void {
    this.transaction(() => {
      this.stmt("UPDATE albums SET folder = ? WHERE id = ?").run(to, albumId);
      const prefix = `${from}/`;
      this.stmt(
        `UPDATE placements SET rel_path = ? || substr(rel_path, ?) WHERE substr(rel_path, 1, ?) = ?`,
      ).run(`${to}/`, prefix.length + 1, prefix.length, prefix);
      this.stmt(
        `UPDATE photos SET rel_path = ? || substr(rel_path, ?) WHERE substr(rel_path, 1, ?) = ?`,
      ).run(`${to}/`, prefix.length + 1, prefix.length, prefix);
    });
  }

  /** The album signature of one photo as of `runId` (see planWork). */
  albumSignature(photoId: string, runId: number): string {
    const row = this.stmt(
      `SELECT ${ALBUM_SIGNATURE_SQL} AS sig FROM photos WHERE id = ?`,
    ).get(runId, photoId) as { sig: string | null } | undefined;
    return row?.sig ?? "";
  }

  /** Sets the folder an album is stored in. */
  setAlbumFolder(albumId: string, folder: string): void {
    this.stmt("UPDATE albums SET folder = ? WHERE id = ?").run(
      folder,
      albumId,
    );
  }

  /** Every known album, in the user's order. */
  albums(): AlbumRow[] {
    return (this.stmt(
      "SELECT * FROM albums ORDER BY position, id",
    ).all() as Record<string, unknown>[]).map(toAlbumRow);
  }

  /** Records that a photo is in an album at a position. */
  recordMembership(
    albumId: string,
    photoId: string,
    position: number,
    runId: number,
  ): void {
    this.stmt(
      `INSERT INTO memberships(album_id, photo_id, position, seen_run) VALUES (?, ?, ?, ?)
       ON CONFLICT(album_id, photo_id) DO UPDATE SET position = excluded.position, seen_run = excluded.seen_run`,
    ).run(albumId, photoId, position, runId);
  }

  /** Album ids a photo belongs to as of `runId`, in the user's album order. */
  albumsOf(photoId: string, runId: number): AlbumRow[] {
    return (this.stmt(
      `SELECT a.* FROM memberships m JOIN albums a ON a.id = m.album_id
       WHERE m.photo_id = ? AND m.seen_run = ? ORDER BY a.position, a.id`,
    ).all(photoId, runId) as Record<string, unknown>[]).map(toAlbumRow);
  }
}
