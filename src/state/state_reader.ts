/**
 * Read-only access to a backup folder's state, for `status` and `verify`.
 *
 * {@link StateStore.open} creates the file, migrates it and writes to it, so
 * it cannot serve `status` (no lock: a backup may be running, and a folder
 * without a backup must stay untouched). This reader opens the SQLite file
 * with `readOnly: true`, never writes, and answers the few questions those
 * commands ask that `StateStore` has no method for. Under WAL a reader sees a
 * consistent snapshot per statement while a backup writes.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { LocalFatalError } from "../errors.ts";
import {
  checkStateFile,
  type PhotoRow,
  type PhotoStatus,
  refuseMissingColumns,
} from "./state_store.ts";

/** A done photo whose files are in the backup: what `verify` checks. */
export type RecordedPhoto = Pick<
  PhotoRow,
  "id" | "media" | "relPath" | "bytes" | "sha256" | "deletedOnFlickr"
>;

/** Everything `status` counts, in one pass over the photos and albums. */
export interface BackupInventory {
  photos: {
    /** Known photos and videos still on Flickr. */
    onFlickr: number;
    /** Of those, by status. */
    done: number;
    failed: number;
    pending: number;
    skipped: number;
    /** Done, but saved at less than the original (no original offered). */
    nonOriginal: number;
    /** Gone from Flickr, still in the backup (never pruned). */
    deletedOnFlickr: number;
    /** Gone from Flickr and moved to `.trash/` by `--prune`. */
    pruned: number;
  };
  /** Media files in the backup (done, not pruned) and their recorded size. */
  files: { count: number; bytes: number };
  albums: { onFlickr: number; goneFromFlickr: number };
}

/** A finished run, as {@link StateStore.lastRun} returns it. */
export interface FinishedRun {
  id: number;
  startedAt: number;
  finishedAt: number;
  result: string;
  summary: unknown;
}

/** Read-only view of a state file. */
export class StateReader {
  readonly path: string;
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /**
   * Opens an existing state file read-only (check that it exists first:
   * SQLite cannot tell "missing" from "unreadable" clearly).
   *
   * @throws {LocalFatalError} When the file is damaged, newer than this
   * build, not a flickr-backup state, or lacks columns (another build).
   */
  static open(path: string): StateReader {
    let db: DatabaseSync | undefined;
    try {
      db = openReadOnly(path);
      db.exec("PRAGMA busy_timeout = 5000");
      if (checkStateFile(db, path) === "empty") {
        throw new LocalFatalError(
          `Cannot use the state file "${path}": it is not a flickr-backup state (it holds no tables)`,
        );
      }
      refuseMissingColumns(db, path);
      return new StateReader(path, db);
    } catch (error) {
      try {
        db?.close();
      } catch {
        // Closing a handle to a damaged file can fail too; the report matters.
      }
      if (error instanceof LocalFatalError) throw error;
      throw new LocalFatalError(
        `Cannot read the state file "${path}": ${
          (error as Error).message
        }. It was left untouched`,
        { cause: error },
      );
    }
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The most recent finished run (same as `StateStore.lastRun`). */
  lastRun(): FinishedRun | undefined {
    const row = this.#stmt(
      "SELECT id, started_at, finished_at, result, summary_json FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    ).get() as Record<string, unknown> | undefined;
    if (!row) return undefined;
    let summary: unknown = {};
    try {
      summary = JSON.parse(String(row.summary_json));
    } catch {
      // A summary that does not parse is shown as absent, not as an error.
    }
    return {
      id: Number(row.id),
      startedAt: Number(row.started_at),
      finishedAt: Number(row.finished_at),
      result: String(row.result),
      summary,
    };
  }

  /**
   * The latest run that never recorded its end, if it is newer than the
   * last finished one: running now, killed, or stopped by an error.
   */
  unfinishedRun(): { id: number; startedAt: number } | undefined {
    const row = this.#stmt(
      `SELECT id, started_at FROM runs WHERE finished_at IS NULL
       AND id > COALESCE((SELECT max(id) FROM runs WHERE finished_at IS NOT NULL), 0)
       ORDER BY id DESC LIMIT 1`,
    ).get() as Record<string, unknown> | undefined;
    return row
      ? { id: Number(row.id), startedAt: Number(row.started_at) }
      : undefined;
  }

  /** The latest run whose listing completed (same as the store's). */
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

  /** Counts for `status`, from the flags the runs recorded. */
  inventory(): BackupInventory {
    const p = this.#stmt(
      `SELECT
        sum(deleted_on_flickr = 0) AS on_flickr,
        sum(deleted_on_flickr = 0 AND status = 'done') AS done,
        sum(deleted_on_flickr = 0 AND status = 'failed') AS failed,
        sum(deleted_on_flickr = 0 AND status = 'pending') AS pending,
        sum(deleted_on_flickr = 0 AND status = 'skipped') AS skipped,
        sum(deleted_on_flickr = 0 AND status = 'done' AND variant != 'original') AS non_original,
        sum(deleted_on_flickr = 1 AND pruned_to = '') AS deleted,
        sum(pruned_to != '') AS pruned,
        sum(status = 'done' AND pruned_to = '') AS files,
        sum(CASE WHEN status = 'done' AND pruned_to = '' THEN bytes ELSE 0 END) AS bytes
       FROM photos`,
    ).get() as Record<string, number | null>;
    const a = this.#stmt(
      `SELECT sum(deleted_on_flickr = 0) AS on_flickr, sum(deleted_on_flickr = 1) AS gone
       FROM albums`,
    ).get() as Record<string, number | null>;
    const n = (value: number | null | undefined) => Number(value ?? 0);
    return {
      photos: {
        onFlickr: n(p.on_flickr),
        done: n(p.done),
        failed: n(p.failed),
        pending: n(p.pending),
        skipped: n(p.skipped),
        nonOriginal: n(p.non_original),
        deletedOnFlickr: n(p.deleted),
        pruned: n(p.pruned),
      },
      files: { count: n(p.files), bytes: n(p.bytes) },
      albums: { onFlickr: n(a.on_flickr), goneFromFlickr: n(a.gone) },
    };
  }

  /** Albums gone from Flickr whose folders stay in the backup. */
  goneAlbums(): { id: string; title: string; folder: string }[] {
    return (this.#stmt(
      "SELECT id, title, folder FROM albums WHERE deleted_on_flickr = 1 ORDER BY position, id",
    ).all() as Record<string, unknown>[]).map((row) => ({
      id: String(row.id),
      title: String(row.title),
      folder: String(row.folder),
    }));
  }

  /**
   * Done photos whose files are in the backup (not pruned), in id order,
   * `limit` at a time after `afterId` ("" for the first page): memory stays
   * bounded however large the account.
   */
  recordedPhotos(afterId: string, limit: number): RecordedPhoto[] {
    return (this.#stmt(
      `SELECT id, media, rel_path, bytes, sha256, deleted_on_flickr FROM photos
       WHERE status = 'done' AND pruned_to = '' AND id > ? ORDER BY id LIMIT ?`,
    ).all(afterId, limit) as Record<string, unknown>[]).map((row) => ({
      id: String(row.id),
      media: String(row.media),
      relPath: String(row.rel_path),
      bytes: Number(row.bytes),
      sha256: String(row.sha256),
      deletedOnFlickr: Number(row.deleted_on_flickr) === 1,
    }));
  }

  /** How many photos {@link recordedPhotos} yields in all. */
  recordedPhotoCount(): number {
    const row = this.#stmt(
      "SELECT count(*) AS n FROM photos WHERE status = 'done' AND pruned_to = ''",
    ).get() as { n: number };
    return Number(row.n);
  }

  /** Album folders (album id "" = Unsorted) a photo's copies are in. */
  placements(photoId: string): { albumId: string; relPath: string }[] {
    return (this.#stmt(
      "SELECT album_id, rel_path FROM placements WHERE photo_id = ? ORDER BY album_id",
    ).all(photoId) as Record<string, unknown>[]).map((row) => ({
      albumId: String(row.album_id),
      relPath: String(row.rel_path),
    }));
  }

  /** Status and last error of one photo, if the state knows it. */
  photoStatus(
    id: string,
  ): { status: PhotoStatus; lastError: string } | undefined {
    const row = this.#stmt(
      "SELECT status, last_error FROM photos WHERE id = ?",
    ).get(id) as Record<string, unknown> | undefined;
    return row
      ? {
        status: String(row.status) as PhotoStatus,
        lastError: String(row.last_error),
      }
      : undefined;
  }

  /** A value of the key/value table. */
  getMeta(key: string): string | undefined {
    const row = this.#stmt("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  /** Closes the connection. */
  close(): void {
    this.#statements.clear();
    this.#db.close();
    const copy = copies.get(this.#db);
    if (copy) Deno.removeSync(copy, { recursive: true });
  }
}

/** Temporary copies opened instead of a state on read-only media. */
const copies = new WeakMap<DatabaseSync, string>();

/**
 * Opens `path` read-only. A WAL database on read-only media (a mounted
 * copy, an archive) cannot be opened in place, since SQLite wants to create
 * its `-shm` file there (and Deno's permission layer takes no `file:` URI
 * with `immutable=1`): a temporary copy of the state (and its `-wal`) is
 * opened instead and removed on close.
 */
function openReadOnly(path: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get(); // opens for real
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // Nothing was opened.
    }
    if (!/unable to open|readonly|read-only/i.test(String(error))) throw error;
    const dir = Deno.makeTempDirSync({ prefix: "flickr-backup-state-" });
    try {
      const copy = `${dir}/state.sqlite`;
      Deno.copyFileSync(path, copy);
      try {
        Deno.copyFileSync(`${path}-wal`, `${copy}-wal`);
      } catch {
        // No -wal: everything is in the main file.
      }
      const opened = new DatabaseSync(copy, { readOnly: true });
      copies.set(opened, dir);
      return opened;
    } catch (copyError) {
      Deno.removeSync(dir, { recursive: true });
      throw copyError;
    }
  }
}
