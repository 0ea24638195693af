/**
 * Resume state in SQLite (`node:sqlite`, WAL) inside the backup folder.
 *
 * The state is the only thing read back between runs: the JSON sidecars are
 * for people and other tools. A photo is `done` only after its file, its
 * sidecar and its album links are durable on disk.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { sqliteLocalError } from "./sqlite_errors.ts";
import { LocalFatalError } from "../errors.ts";

/** Name of the state file inside the backup folder. */
export const STATE_FILE = ".flickr_backup.sqlite";

/** Schema version this build writes; newer files are refused. */
export const SCHEMA_VERSION = 1;

/** Where a photo stands. */
export type PhotoStatus = "pending" | "done" | "failed" | "skipped";

/** An album as the state remembers it. */
export interface AlbumRow {
  id: string;
  title: string;
  description: string;
  position: number;
  folder: string;
  dateUpdate: number;
  expectedCount: number;
  seenRun: number;
  deletedOnFlickr: boolean;
}

/** A photo as the state remembers it. */
export interface PhotoRow {
  id: string;
  media: string;
  status: PhotoStatus;
  lastUpdate: number;
  originalSecret: string;
  /** What was saved: "original", "large:<size>", "stream:<type>". */
  variant: string;
  /** Canonical file, relative to the backup root, "/"-separated. */
  relPath: string;
  bytes: number;
  sha256: string;
  attempts: number;
  lastError: string;
  /** The latest Flickr metadata, as JSON (for sidecars and metadata). */
  infoJson: string;
  seenRun: number;
  /** Last update of Flickr metadata that was applied to the files. */
  appliedUpdate: number;
  /** Album signature the placements and sidecars reflect. */
  appliedAlbums: string;
  sourceBytes: number;
  sourceSha256: string;
  savedJson: string;
  deletedOnFlickr: boolean;
  /** Trash folder the files were moved to by `--prune`, or "". */
  prunedTo: string;
}

/** One album folder (or "" for Unsorted) a photo lives in. */
export interface Placement {
  photoId: string;
  albumId: string;
  position: number;
  relPath: string;
}

/** Counts by status, for summaries and `status`. */
export interface StatusCounts {
  total: number;
  done: number;
  failed: number;
  pending: number;
  skipped: number;
  nonOriginal: number;
  bytes: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS albums (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  position INTEGER NOT NULL DEFAULT 0,
  folder TEXT NOT NULL DEFAULT '',
  date_update INTEGER NOT NULL DEFAULT 0,
  expected_count INTEGER NOT NULL DEFAULT 0,
  seen_run INTEGER NOT NULL DEFAULT 0,
  listed_update INTEGER NOT NULL DEFAULT -1,
  listed_count INTEGER NOT NULL DEFAULT -1,
  deleted_on_flickr INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS photos (
  id TEXT PRIMARY KEY,
  media TEXT NOT NULL DEFAULT 'photo',
  status TEXT NOT NULL DEFAULT 'pending',
  last_update INTEGER NOT NULL DEFAULT 0,
  original_secret TEXT NOT NULL DEFAULT '',
  variant TEXT NOT NULL DEFAULT '',
  rel_path TEXT NOT NULL DEFAULT '',
  bytes INTEGER NOT NULL DEFAULT 0,
  sha256 TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  info_json TEXT NOT NULL DEFAULT '{}',
  seen_run INTEGER NOT NULL DEFAULT 0,
  applied_update INTEGER NOT NULL DEFAULT 0,
  applied_albums TEXT NOT NULL DEFAULT '',
  source_bytes INTEGER NOT NULL DEFAULT 0,
  source_sha256 TEXT NOT NULL DEFAULT '',
  saved_json TEXT NOT NULL DEFAULT '{}',
  deleted_on_flickr INTEGER NOT NULL DEFAULT 0,
  pruned_to TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS photos_status ON photos(status);
CREATE TABLE IF NOT EXISTS memberships (
  album_id TEXT NOT NULL,
  photo_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  seen_run INTEGER NOT NULL,
  PRIMARY KEY (album_id, photo_id)
);
CREATE INDEX IF NOT EXISTS memberships_photo ON memberships(photo_id);
CREATE TABLE IF NOT EXISTS placements (
  photo_id TEXT NOT NULL,
  album_id TEXT NOT NULL,
  rel_path TEXT NOT NULL,
  PRIMARY KEY (photo_id, album_id)
);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  result TEXT NOT NULL DEFAULT 'running',
  listing_complete INTEGER NOT NULL DEFAULT 0,
  listing_mode TEXT NOT NULL DEFAULT '',
  summary_json TEXT NOT NULL DEFAULT '{}'
);
`;

// The pacer's record of recent API calls. Not part of SCHEMA: a state file
// of an earlier build simply gains it, and readers never need it.
const API_CALLS_SCHEMA =
  "CREATE TABLE IF NOT EXISTS api_calls (at INTEGER NOT NULL)";

/** SQLite-backed resume state of one backup folder. */
export class StateStore {
  readonly path: string;
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #inTransaction = false;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /**
   * Opens (or creates) the state file. A damaged file is never discarded:
   * it is left as it is and reported with the way out.
   *
   * @throws {LocalFatalError} When the file is not a valid state database.
   */
  static open(path: string): StateStore {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      db.exec("PRAGMA busy_timeout = 5000");
      checkStateFile(db, path);
      db.exec("PRAGMA journal_mode = WAL");
      // NORMAL: a commit is not fsynced until the next WAL checkpoint. A
      // crash of the process loses nothing; a power cut may lose the latest
      // commits, which is safe: every file is made durable before the
      // commit that marks it done, so the state can only fall behind the
      // disk (such files are recognised, not fetched again), never ahead.
      db.exec("PRAGMA synchronous = NORMAL");
      const store = new StateStore(path, db);
      store.#migrate();
      return store;
    } catch (error) {
      try {
        db?.close();
      } catch {
        // Closing a handle to a damaged file can fail too; the report below matters.
      }
      if (error instanceof LocalFatalError) throw error;
      const local = sqliteLocalError(error, path);
      if (local) throw local; // a full disk is no damaged file
      throw new LocalFatalError(
        `Cannot use the state file "${path}": ${
          (error as Error).message
        }. It was left untouched. Move it aside (for example to "${path}.damaged") and run again: files already in the backup are recognised and not downloaded again`,
        { cause: error },
      );
    }
  }

  #migrate(): void {
    this.#db.exec(SCHEMA);
    refuseMissingColumns(this.#db, this.path);
    this.#db.exec(API_CALLS_SCHEMA);
    this.#db.prepare(
      "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
    ).run(String(SCHEMA_VERSION));
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` in one transaction (committed, or rolled back on throw). Called
   * inside another transaction, `fn` simply becomes part of it.
   */
  transaction<T>(fn: () => T): T {
    if (this.#inTransaction) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    this.#inTransaction = true;
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite may have rolled back already (e.g. a COMMIT on a full disk).
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw sqliteLocalError(error, this.path) ?? error;
    } finally {
      this.#inTransaction = false;
    }
  }

  /**
   * Start times (ms) of the API calls recorded after `since` (the pacer's
   * rolling hour, shared by every run on this folder); older ones are
   * forgotten.
   */
  callsSince(since: number): number[] {
    this.#stmt("DELETE FROM api_calls WHERE at <= ?").run(since);
    return (this.#stmt("SELECT at FROM api_calls ORDER BY at").all() as {
      at: number;
    }[]).map((row) => Number(row.at));
  }

  /** Records that an API call started at `at` (ms). */
  recordCall(at: number): void {
    this.#stmt("INSERT INTO api_calls(at) VALUES (?)").run(at);
  }

  /** Reads a value from the key/value table. */
  getMeta(key: string): string | undefined {
    const row = this.#stmt("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  /** Writes a value to the key/value table. */
  setMeta(key: string, value: string): void {
    this.#stmt("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)").run(
      key,
      value,
    );
  }

  /** Records the start of a run and returns its id. */
  beginRun(startedAt: number): number {
    const result = this.#stmt("INSERT INTO runs(started_at) VALUES (?)").run(
      startedAt,
    );
    return Number(result.lastInsertRowid);
  }

  /** Marks that every listing of this run completed without error. */
  markListingComplete(runId: number, mode: "full" | "incremental"): void {
    this.#stmt(
      "UPDATE runs SET listing_complete = 1, listing_mode = ? WHERE id = ?",
    ).run(mode, runId);
  }

  /** The latest run whose listing completed (the base of incremental runs). */
  lastCompleteListing():
    | { id: number; startedAt: number; mode: string }
    | undefined {
    const row = this.#stmt(
      "SELECT id, started_at, listing_mode FROM runs WHERE listing_complete = 1 ORDER BY id DESC LIMIT 1",
    ).get() as Record<string, unknown> | undefined;
    return row
      ? {
        id: Number(row.id),
        startedAt: Number(row.started_at),
        mode: String(row.listing_mode),
      }
      : undefined;
  }

  /** Records how a run ended. */
  finishRun(
    runId: number,
    finishedAt: number,
    result: string,
    summary: unknown,
  ): void {
    this.#stmt(
      "UPDATE runs SET finished_at = ?, result = ?, summary_json = ? WHERE id = ?",
    ).run(finishedAt, result, JSON.stringify(summary), runId);
  }

  /** The most recent finished run, if any. */
  lastRun():
    | {
      id: number;
      startedAt: number;
      finishedAt: number;
      result: string;
      summary: unknown;
    }
    | undefined {
    const row = this.#stmt(
      "SELECT id, started_at, finished_at, result, summary_json FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    ).get() as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      id: Number(row.id),
      startedAt: Number(row.started_at),
      finishedAt: Number(row.finished_at),
      result: String(row.result),
      summary: JSON.parse(String(row.summary_json)),
    };
  }

  /** Inserts or updates an album seen in this run's listing. */
  upsertAlbum(
    album: Omit<AlbumRow, "folder" | "seenRun" | "deletedOnFlickr">,
    runId: number,
  ): void {
    this.#stmt(
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
      this.#stmt(
        "DELETE FROM memberships WHERE album_id = ? AND seen_run != ?",
      ).run(albumId, runId);
      this.#stmt(
        "UPDATE albums SET listed_update = ?, listed_count = ? WHERE id = ?",
      ).run(dateUpdate, count, albumId);
    });
  }

  /** Keeps an unchanged album's memberships as they were, for `runId`. */
  carryAlbumMemberships(albumId: string, runId: number): void {
    this.#stmt("UPDATE memberships SET seen_run = ? WHERE album_id = ?").run(
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
    const row = this.#stmt(
      "SELECT listed_update, listed_count FROM albums WHERE id = ?",
    ).get(albumId) as
      | { listed_update: number; listed_count: number }
      | undefined;
    return !row || row.listed_update !== dateUpdate ||
      row.listed_count !== count;
  }

  /** Flags albums not in this run's album list; returns them. */
  markAlbumsGone(runId: number): AlbumRow[] {
    const gone = (this.#stmt(
      "SELECT * FROM albums WHERE seen_run != ? AND deleted_on_flickr = 0",
    ).all(runId) as Record<string, unknown>[]).map(toAlbumRow);
    this.#stmt(
      "UPDATE albums SET deleted_on_flickr = 1 WHERE seen_run != ?",
    ).run(runId);
    return gone;
  }

  /** Albums known to the backup that are gone from Flickr. */
  goneAlbums(): AlbumRow[] {
    return (this.#stmt(
      "SELECT * FROM albums WHERE deleted_on_flickr = 1 ORDER BY position, id",
    ).all() as Record<string, unknown>[]).map(toAlbumRow);
  }

  /** Carries every photo still on Flickr into `runId` (incremental runs). */
  carryPhotos(runId: number): void {
    this.#stmt(
      "UPDATE photos SET seen_run = ? WHERE deleted_on_flickr = 0",
    ).run(runId);
  }

  /** Photos the backup knows that are still on Flickr. */
  aliveCount(): number {
    const row = this.#stmt(
      "SELECT count(*) AS n FROM photos WHERE deleted_on_flickr = 0",
    ).get() as { n: number };
    return Number(row.n);
  }

  /**
   * Photos not seen by a full listing of `runId`; with `includeGone`, also
   * those flagged deleted earlier and not pruned (to confirm them again).
   */
  unseenPhotos(runId: number, includeGone = false): PhotoRow[] {
    return (this.#stmt(
      `SELECT * FROM photos WHERE seen_run != ? AND (deleted_on_flickr = 0 OR (? AND pruned_to = '')) ORDER BY id`,
    ).all(runId, includeGone ? 1 : 0) as Record<string, unknown>[]).map(
      toPhotoRow,
    );
  }

  /**
   * Keeps photos a listing missed as part of `runId` (they are still on
   * Flickr, or not known to be gone); `revive` clears an earlier deletion
   * flag (Flickr answered for the photo).
   */
  keepPhotos(ids: string[], runId: number, revive: boolean): void {
    this.transaction(() => {
      for (const id of ids) {
        this.#stmt(
          `UPDATE photos SET seen_run = ?,
             deleted_on_flickr = CASE WHEN ? THEN 0 ELSE deleted_on_flickr END
           WHERE id = ?`,
        ).run(runId, revive ? 1 : 0, id);
      }
    });
  }

  /** Albums known to the backup, not deleted, that `runId` did not list. */
  albumsNotSeen(runId: number): AlbumRow[] {
    return (this.#stmt(
      "SELECT * FROM albums WHERE seen_run != ? AND deleted_on_flickr = 0 ORDER BY position, id",
    ).all(runId) as Record<string, unknown>[]).map(toAlbumRow);
  }

  /** Keeps an album a listing missed, with its memberships, in `runId`. */
  carryAlbum(albumId: string, runId: number): void {
    this.transaction(() => {
      this.#stmt("UPDATE albums SET seen_run = ? WHERE id = ?").run(
        runId,
        albumId,
      );
      this.carryAlbumMemberships(albumId, runId);
    });
  }

  /** Flags photos as deleted on Flickr (they stay in the backup). */
  markPhotosGone(ids: string[]): void {
    this.transaction(() => {
      for (const id of ids) {
        this.#stmt("UPDATE photos SET deleted_on_flickr = 1 WHERE id = ?").run(
          id,
        );
      }
    });
  }

  /** Photos deleted on Flickr that are still in the backup. */
  gonePhotos(): PhotoRow[] {
    return (this.#stmt(
      "SELECT * FROM photos WHERE deleted_on_flickr = 1 AND pruned_to = '' ORDER BY id",
    ).all() as Record<string, unknown>[]).map(toPhotoRow);
  }

  /** Records that a deleted photo's files were moved to the trash. */
  markPruned(id: string, trashDir: string): void {
    this.transaction(() => {
      this.#stmt("UPDATE photos SET pruned_to = ? WHERE id = ?").run(
        trashDir,
        id,
      );
      this.#stmt("DELETE FROM placements WHERE photo_id = ?").run(id);
    });
  }

  /** Renames an album folder in every recorded path. */
  renameFolder(albumId: string, from: string, to: string): void {
    this.transaction(() => {
      this.#stmt("UPDATE albums SET folder = ? WHERE id = ?").run(to, albumId);
      const prefix = `${from}/`;
      this.#stmt(
        `UPDATE placements SET rel_path = ? || substr(rel_path, ?) WHERE substr(rel_path, 1, ?) = ?`,
      ).run(`${to}/`, prefix.length + 1, prefix.length, prefix);
      this.#stmt(
        `UPDATE photos SET rel_path = ? || substr(rel_path, ?) WHERE substr(rel_path, 1, ?) = ?`,
      ).run(`${to}/`, prefix.length + 1, prefix.length, prefix);
    });
  }

  /**
   * Done photos seen in `runId` whose files or sidecars are stale: Flickr
   * metadata changed since it was applied, or their albums (ids, titles,
   * folders) differ from what their placements and sidecars show.
   */
  photosToRefresh(runId: number): string[] {
    return (this.#stmt(
      `SELECT id FROM photos
       WHERE seen_run = ? AND status = 'done' AND (
         last_update > applied_update OR applied_albums != ${ALBUM_SIGNATURE_SQL}
       ) ORDER BY id`,
    ).all(runId, runId) as { id: string }[]).map((row) => row.id);
  }

  /** The album signature of one photo as of `runId` (see photosToRefresh). */
  albumSignature(photoId: string, runId: number): string {
    const row = this.#stmt(
      `SELECT ${ALBUM_SIGNATURE_SQL} AS sig FROM photos WHERE id = ?`,
    ).get(runId, photoId) as { sig: string | null } | undefined;
    return row?.sig ?? "";
  }

  /** Sets the folder an album is stored in. */
  setAlbumFolder(albumId: string, folder: string): void {
    this.#stmt("UPDATE albums SET folder = ? WHERE id = ?").run(
      folder,
      albumId,
    );
  }

  /** Every known album, in the user's order. */
  albums(): AlbumRow[] {
    return (this.#stmt(
      "SELECT * FROM albums ORDER BY position, id",
    ).all() as Record<string, unknown>[]).map(toAlbumRow);
  }

  /**
   * Records a photo seen in a listing. Keeps the download state; a changed
   * original secret sends the photo back to `pending`.
   */
  recordListedPhoto(
    photo: {
      id: string;
      media: string;
      lastUpdate: number;
      originalSecret: string;
    },
    infoJson: string,
    runId: number,
  ): void {
    this.#stmt(
      `INSERT INTO photos(id, media, last_update, original_secret, info_json, seen_run)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET media = excluded.media, last_update = excluded.last_update,
         info_json = excluded.info_json, seen_run = excluded.seen_run, deleted_on_flickr = 0,
         status = CASE WHEN photos.status = 'done' AND photos.original_secret != excluded.original_secret
                        AND excluded.original_secret != '' THEN 'pending' ELSE photos.status END,
         original_secret = excluded.original_secret`,
    ).run(
      photo.id,
      photo.media,
      photo.lastUpdate,
      photo.originalSecret,
      infoJson,
      runId,
    );
  }

  /** Records that a photo is in an album at a position. */
  recordMembership(
    albumId: string,
    photoId: string,
    position: number,
    runId: number,
  ): void {
    this.#stmt(
      `INSERT INTO memberships(album_id, photo_id, position, seen_run) VALUES (?, ?, ?, ?)
       ON CONFLICT(album_id, photo_id) DO UPDATE SET position = excluded.position, seen_run = excluded.seen_run`,
    ).run(albumId, photoId, position, runId);
  }

  /** Album ids a photo belongs to as of `runId`, in the user's album order. */
  albumsOf(photoId: string, runId: number): AlbumRow[] {
    return (this.#stmt(
      `SELECT a.* FROM memberships m JOIN albums a ON a.id = m.album_id
       WHERE m.photo_id = ? AND m.seen_run = ? ORDER BY a.position, a.id`,
    ).all(photoId, runId) as Record<string, unknown>[]).map(toAlbumRow);
  }

  /** One photo's row. */
  photo(id: string): PhotoRow | undefined {
    const row = this.#stmt("SELECT * FROM photos WHERE id = ?").get(id) as
      | Record<string, unknown>
      | undefined;
    return row ? toPhotoRow(row) : undefined;
  }

  /** Ids of photos seen in `runId` that still need work, in a stable order. */
  photosToProcess(runId: number): string[] {
    return (this.#stmt(
      `SELECT id FROM photos WHERE seen_run = ? AND status != 'done' AND deleted_on_flickr = 0 ORDER BY id`,
    ).all(runId) as { id: string }[]).map((row) => row.id);
  }

  /** Ids of done photos seen in `runId`. */
  donePhotos(runId: number): string[] {
    return (this.#stmt(
      `SELECT id FROM photos WHERE seen_run = ? AND status = 'done' ORDER BY id`,
    ).all(runId) as { id: string }[]).map((row) => row.id);
  }

  /** Marks a photo durable: file, sidecar and links are on disk. */
  markDone(
    id: string,
    done: {
      variant: string;
      relPath: string;
      bytes: number;
      sha256: string;
      appliedUpdate: number;
      appliedAlbums?: string;
      /** Size and SHA-256 of the file as Flickr served it. */
      sourceBytes: number;
      sourceSha256: string;
      /** What was saved (kind, label, size), as JSON, for later sidecars. */
      savedJson?: string;
      placements: { albumId: string; relPath: string }[];
    },
  ): void {
    this.transaction(() => {
      this.#stmt(
        `UPDATE photos SET status = 'done', variant = ?, rel_path = ?, bytes = ?, sha256 = ?,
           applied_update = ?, applied_albums = ?, source_bytes = ?, source_sha256 = ?,
           saved_json = ?, last_error = '' WHERE id = ?`,
      ).run(
        done.variant,
        done.relPath,
        done.bytes,
        done.sha256,
        done.appliedUpdate,
        done.appliedAlbums ?? "",
        done.sourceBytes,
        done.sourceSha256,
        done.savedJson ?? "{}",
        id,
      );
      this.#stmt("DELETE FROM placements WHERE photo_id = ?").run(id);
      for (const placement of done.placements) {
        this.#stmt(
          "INSERT INTO placements(photo_id, album_id, rel_path) VALUES (?, ?, ?)",
        ).run(id, placement.albumId, placement.relPath);
      }
    });
  }

  /** Records a failed attempt; the photo is retried on the next run. */
  markFailed(id: string, error: string): void {
    this.#stmt(
      "UPDATE photos SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
    ).run(error, id);
  }

  /** Records a photo deliberately not saved (e.g. `--originals-only`). */
  markSkipped(id: string, reason: string): void {
    this.#stmt(
      "UPDATE photos SET status = 'skipped', last_error = ? WHERE id = ?",
    ).run(reason, id);
  }

  /** Where a photo's copies are. */
  placements(photoId: string): Placement[] {
    return (this.#stmt(
      `SELECT p.photo_id, p.album_id, p.rel_path, COALESCE(m.position, 0) AS position
       FROM placements p LEFT JOIN memberships m ON m.album_id = p.album_id AND m.photo_id = p.photo_id
       WHERE p.photo_id = ?`,
    ).all(photoId) as Record<string, unknown>[]).map((row) => ({
      photoId: String(row.photo_id),
      albumId: String(row.album_id),
      position: Number(row.position),
      relPath: String(row.rel_path),
    }));
  }

  /** Counts photos by status among those seen in `runId` (or all). */
  counts(runId?: number): StatusCounts {
    const where = runId === undefined ? "" : "WHERE seen_run = ?";
    const args = runId === undefined ? [] : [runId];
    const row = this.#stmt(
      `SELECT count(*) AS total,
        sum(status = 'done') AS done, sum(status = 'failed') AS failed,
        sum(status = 'pending') AS pending, sum(status = 'skipped') AS skipped,
        sum(status = 'done' AND variant != 'original') AS non_original,
        sum(CASE WHEN status = 'done' THEN bytes ELSE 0 END) AS bytes
       FROM photos ${where}`,
    ).get(...args) as Record<string, number | null>;
    return {
      total: Number(row.total ?? 0),
      done: Number(row.done ?? 0),
      failed: Number(row.failed ?? 0),
      pending: Number(row.pending ?? 0),
      skipped: Number(row.skipped ?? 0),
      nonOriginal: Number(row.non_original ?? 0),
      bytes: Number(row.bytes ?? 0),
    };
  }

  /** Per album: photos listed on Flickr in `runId` and how many are done. */
  albumCompleteness(
    runId: number,
  ): { album: AlbumRow; listed: number; done: number }[] {
    const rows = this.#stmt(
      `SELECT a.id AS id, count(m.photo_id) AS listed, sum(p.status = 'done') AS done
       FROM albums a
       LEFT JOIN memberships m ON m.album_id = a.id AND m.seen_run = ?
       LEFT JOIN photos p ON p.id = m.photo_id
       WHERE a.seen_run = ?
       GROUP BY a.id`,
    ).all(runId, runId) as Record<string, unknown>[];
    const byId = new Map(this.albums().map((album) => [album.id, album]));
    return rows.flatMap((row) => {
      const album = byId.get(String(row.id));
      return album
        ? [{ album, listed: Number(row.listed), done: Number(row.done ?? 0) }]
        : [];
    }).sort((a, b) => a.album.position - b.album.position);
  }

  /** Photos seen in `runId` that are in no album, and how many are done. */
  unsortedCompleteness(runId: number): { listed: number; done: number } {
    const row = this.#stmt(
      `SELECT count(*) AS listed, sum(p.status = 'done') AS done FROM photos p
       WHERE p.seen_run = ? AND NOT EXISTS (
         SELECT 1 FROM memberships m WHERE m.photo_id = p.id AND m.seen_run = ?)`,
    ).get(runId, runId) as Record<string, number | null>;
    return { listed: Number(row.listed ?? 0), done: Number(row.done ?? 0) };
  }

  /** Rows with a given status among those seen in `runId`. */
  photosWithStatus(status: PhotoStatus, runId: number): PhotoRow[] {
    return (this.#stmt(
      "SELECT * FROM photos WHERE status = ? AND seen_run = ? ORDER BY id",
    ).all(status, runId) as Record<string, unknown>[]).map(toPhotoRow);
  }

  /** Done rows whose saved variant is not the original, seen in `runId`. */
  nonOriginalPhotos(runId: number): PhotoRow[] {
    return (this.#stmt(
      "SELECT * FROM photos WHERE status = 'done' AND variant != 'original' AND seen_run = ? ORDER BY id",
    ).all(runId) as Record<string, unknown>[]).map(toPhotoRow);
  }

  /** Closes the database (checkpointing the WAL). */
  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}

// Albums of photo `photos.id` in the run bound to the one parameter, as
// "id|folder|title" lines in album order: what placements and sidecars show.
const ALBUM_SIGNATURE_SQL =
  `COALESCE((SELECT group_concat(line, char(10)) FROM (
  SELECT a.id || '|' || a.folder || '|' || a.title AS line
  FROM memberships m JOIN albums a ON a.id = m.album_id
  WHERE m.photo_id = photos.id AND m.seen_run = ?
  ORDER BY a.position, a.id)), '')`;

function toAlbumRow(row: Record<string, unknown>): AlbumRow {
  return {
    id: String(row.id),
    title: String(row.title),
    description: String(row.description ?? ""),
    position: Number(row.position),
    folder: String(row.folder),
    dateUpdate: Number(row.date_update),
    expectedCount: Number(row.expected_count),
    seenRun: Number(row.seen_run),
    deletedOnFlickr: Number(row.deleted_on_flickr ?? 0) === 1,
  };
}

function toPhotoRow(row: Record<string, unknown>): PhotoRow {
  return {
    id: String(row.id),
    media: String(row.media),
    status: String(row.status) as PhotoStatus,
    lastUpdate: Number(row.last_update),
    originalSecret: String(row.original_secret),
    variant: String(row.variant),
    relPath: String(row.rel_path),
    bytes: Number(row.bytes),
    sha256: String(row.sha256),
    attempts: Number(row.attempts),
    lastError: String(row.last_error),
    infoJson: String(row.info_json),
    seenRun: Number(row.seen_run),
    appliedUpdate: Number(row.applied_update),
    appliedAlbums: String(row.applied_albums ?? ""),
    sourceBytes: Number(row.source_bytes ?? 0),
    sourceSha256: String(row.source_sha256 ?? ""),
    savedJson: String(row.saved_json ?? "{}"),
    deletedOnFlickr: Number(row.deleted_on_flickr ?? 0) === 1,
    prunedTo: String(row.pruned_to ?? ""),
  };
}

/**
 * Refuses a state file this build must not touch: damaged (SQLite's
 * `quick_check`; thrown as a plain Error for the caller to explain), not a
 * flickr-backup state, or written by a newer flickr-backup.
 *
 * @returns "empty" for a file with no tables yet, "state" otherwise.
 */
export function checkStateFile(
  db: DatabaseSync,
  path: string,
): "empty" | "state" {
  const check = db.prepare("PRAGMA quick_check").get() as
    | Record<string, unknown>
    | undefined;
  const verdict = String(check?.["quick_check"] ?? "");
  if (verdict !== "ok") throw new Error(verdict || "quick_check failed");
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type='table'")
      .all() as { name: string }[]).map((row) => row.name),
  );
  if (tables.size === 0) return "empty";
  if (!tables.has("meta") && !tables.has("photos")) {
    throw new LocalFatalError(
      `Cannot use the state file "${path}": it is an SQLite file but not a flickr-backup state. It was left untouched; move it aside and run again`,
    );
  }
  if (tables.has("meta")) {
    const row = db.prepare(
      "SELECT value FROM meta WHERE key='schema_version'",
    ).get() as { value: string } | undefined;
    const version = Number(row?.value ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new LocalFatalError(
        `Cannot use the state file "${path}": it was written by a newer flickr-backup (schema ${version}); upgrade flickr-backup`,
      );
    }
  }
  return "state";
}

/** Refuses a state file that lacks columns of the schema (another build). */
export function refuseMissingColumns(db: DatabaseSync, path: string): void {
  const missing = missingColumns(db);
  if (missing.length) {
    throw new LocalFatalError(
      `Cannot use the state file "${path}": it lacks columns this flickr-backup needs (${
        missing.slice(0, 5).join(", ")
      }), so it comes from another build. It was left untouched; move it aside and run again`,
    );
  }
}

/** "table.column" for every column of the schema that `db` lacks. */
function missingColumns(db: DatabaseSync): string[] {
  const want = new DatabaseSync(":memory:");
  try {
    want.exec(SCHEMA);
    const tables = want.prepare(
      "SELECT name FROM sqlite_master WHERE type='table'",
    ).all() as { name: string }[];
    const missing: string[] = [];
    for (const { name } of tables) {
      const columns = (sql: DatabaseSync) =>
        new Set(
          (sql.prepare(`PRAGMA table_info("${name}")`).all() as {
            name: string;
          }[]).map((column) => column.name),
        );
      const have = columns(db);
      for (const column of columns(want)) {
        if (!have.has(column)) missing.push(`${name}.${column}`);
      }
    }
    return missing;
  } finally {
    want.close();
  }
}
