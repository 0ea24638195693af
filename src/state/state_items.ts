/**
 * Photos (items) in the state: listing, status, placements, counts.
 *
 * @module
 */

import { AlbumsState } from "./state_albums.ts";
import {
  ALBUM_SIGNATURE_SQL,
  type AlbumRow,
  type PhotoRow,
  type PhotoStatus,
  type Placement,
  type StatusCounts,
  toAlbumRow,
  toPhotoRow,
} from "./state_rows.ts";

/** What a planned item needs: see {@link ItemsState.planWork}. */
export type WorkKind = "todo" | "refresh" | "upgrade";
const WORK_KINDS: readonly WorkKind[] = ["todo", "refresh", "upgrade"];

/** Photos of run `?` that still need work (not done, not deleted). */
const TODO_SQL = "seen_run = ? AND status != 'done' AND deleted_on_flickr = 0";

/** One item of a run's plan. */
export interface PlannedItem {
  kind: WorkKind;
  id: string;
}

/**
 * A planned item with what its job reads first: the photo's row (undefined
 * if it is gone) and its albums in the run (see `albumsOf`).
 */
export interface PlannedJob extends PlannedItem {
  row: PhotoRow | undefined;
  albums: AlbumRow[];
}

/** The plan's items after `(?, ?)` (kind index, id), at most `?`. */
const PLAN_PAGE_SQL = `SELECT kind, id FROM temp.work_plan
  WHERE (kind, id) > (?, ?) ORDER BY kind, id LIMIT ?`;

/** {@link AlbumsState} plus photos. */
export class ItemsState extends AlbumsState {
  /** Carries every photo still on Flickr into `runId` (incremental runs). */
  carryPhotos(runId: number): void {
    this.stmt(
      "UPDATE photos SET seen_run = ? WHERE deleted_on_flickr = 0",
    ).run(runId);
  }

  /** Photos the backup knows that are still on Flickr. */
  aliveCount(): number {
    const row = this.stmt(
      "SELECT count(*) AS n FROM photos WHERE deleted_on_flickr = 0",
    ).get() as { n: number };
    return Number(row.n);
  }

  /**
   * Photos not seen by a full listing of `runId`; with `includeGone`, also
   * those flagged deleted earlier and not pruned (to confirm them again).
   */
  unseenPhotos(
    runId: number,
    includeGone = false,
  ): { id: string; deletedOnFlickr: boolean }[] {
    return (this.stmt(
      `SELECT id, deleted_on_flickr FROM photos WHERE seen_run != ? AND (deleted_on_flickr = 0 OR (? AND pruned_to = '')) ORDER BY id`,
    ).all(runId, includeGone ? 1 : 0) as Record<string, unknown>[]).map(
      (row) => ({
        id: String(row.id),
        deletedOnFlickr: Number(row.deleted_on_flickr) === 1,
      }),
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
        this.stmt(
          `UPDATE photos SET seen_run = ?,
             deleted_on_flickr = CASE WHEN ? THEN 0 ELSE deleted_on_flickr END
           WHERE id = ?`,
        ).run(runId, revive ? 1 : 0, id);
      }
    });
  }

  /** Flags photos as deleted on Flickr (they stay in the backup). */
  markPhotosGone(ids: string[]): void {
    this.transaction(() => {
      for (const id of ids) {
        this.stmt("UPDATE photos SET deleted_on_flickr = 1 WHERE id = ?").run(
          id,
        );
      }
    });
  }

  /** Photos deleted on Flickr that are still in the backup. */
  gonePhotos(): PhotoRow[] {
    return (this.stmt(
      "SELECT * FROM photos WHERE deleted_on_flickr = 1 AND pruned_to = '' ORDER BY id",
    ).all() as Record<string, unknown>[]).map(toPhotoRow);
  }

  /** Records that a deleted photo's files were moved to the trash. */
  markPruned(id: string, trashDir: string): void {
    this.transaction(() => {
      this.stmt("UPDATE photos SET pruned_to = ? WHERE id = ?").run(
        trashDir,
        id,
      );
      this.stmt("DELETE FROM placements WHERE photo_id = ?").run(id);
    });
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
    this.stmt(
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

  /** One photo's row. */
  photo(id: string): PhotoRow | undefined {
    const row = this.stmt("SELECT * FROM photos WHERE id = ?").get(id) as
      | Record<string, unknown>
      | undefined;
    return row ? toPhotoRow(row) : undefined;
  }

  /** Ids of photos seen in `runId` that still need work, in a stable order. */
  photosToProcess(runId: number): string[] {
    return (this.stmt(
      `SELECT id FROM photos WHERE ${TODO_SQL} ORDER BY id`,
    ).all(runId) as { id: string }[]).map((row) => row.id);
  }

  /**
   * Snapshots the work of run `runId` in a temporary table, in the order a
   * run does it: photos seen that still need work (`todo`, see
   * {@link photosToProcess}), done ones whose files or sidecars are stale
   * (`refresh`: Flickr's metadata changed since it was applied, or their
   * albums differ from what their placements and sidecars show) and, with
   * `upgrade`, every other done one (sidecars of an older schema). Read
   * back a page at a time
   * with {@link plannedWork}, so that planning a run holds no list of the
   * whole account in memory.
   */
  planWork(runId: number, upgrade: boolean): Record<WorkKind, number> {
    this.db.exec(
      `CREATE TEMP TABLE IF NOT EXISTS work_plan (
         kind INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (kind, id)
       ) WITHOUT ROWID`,
    );
    this.stmt("DELETE FROM temp.work_plan").run();
    this.stmt(
      `INSERT INTO temp.work_plan(kind, id) SELECT 0, id FROM photos
       WHERE ${TODO_SQL}`,
    ).run(runId);
    this.stmt(
      `INSERT INTO temp.work_plan(kind, id) SELECT 1, id FROM photos
       WHERE seen_run = ? AND status = 'done' AND (
         last_update > applied_update OR applied_albums != ${ALBUM_SIGNATURE_SQL})`,
    ).run(runId, runId);
    if (upgrade) {
      this.stmt(
        `INSERT INTO temp.work_plan(kind, id) SELECT 2, id FROM photos
         WHERE seen_run = ? AND status = 'done'
           AND id NOT IN (SELECT id FROM temp.work_plan WHERE kind = 1)`,
      ).run(runId);
    }
    const counts: Record<WorkKind, number> = {
      todo: 0,
      refresh: 0,
      upgrade: 0,
    };
    for (
      const row of this.stmt(
        "SELECT kind, count(*) AS n FROM temp.work_plan GROUP BY kind",
      ).all() as { kind: number; n: number }[]
    ) counts[WORK_KINDS[row.kind]!] = Number(row.n);
    return counts;
  }

  /**
   * Up to `limit` items of the plan {@link planWork} made, after `after`
   * (none: from the start): todo, then refresh, then upgrade, each by id.
   */
  plannedWork(
    after: PlannedItem | undefined,
    limit: number,
  ): PlannedItem[] {
    const rows = this.stmt(PLAN_PAGE_SQL).all(
      after ? WORK_KINDS.indexOf(after.kind) : -1,
      after?.id ?? "",
      limit,
    ) as { kind: number; id: string }[];
    return rows.map((row) => ({
      kind: WORK_KINDS[row.kind]!,
      id: String(row.id),
    }));
  }

  /**
   * {@link plannedWork} with each item's photo row and albums in `runId`
   * (as `photo` and `albumsOf` give them): two queries per page instead of
   * two per photo. Rows are read now, not when the plan was made.
   */
  plannedJobs(
    after: PlannedItem | undefined,
    limit: number,
    runId: number,
  ): PlannedJob[] {
    const params = [
      after ? WORK_KINDS.indexOf(after.kind) : -1,
      after?.id ?? "",
      limit,
    ] as const;
    const rows = this.stmt(
      `SELECT w.kind AS plan_kind, w.id AS plan_id, p.*
       FROM (${PLAN_PAGE_SQL}) w LEFT JOIN photos p ON p.id = w.id
       ORDER BY w.kind, w.id`,
    ).all(...params) as Record<string, unknown>[];
    const albums = new Map<string, AlbumRow[]>();
    for (
      const row of this.stmt(
        `SELECT m.photo_id AS member_id, a.*
         FROM memberships m JOIN albums a ON a.id = m.album_id
         WHERE m.seen_run = ? AND m.photo_id IN (
           SELECT id FROM (${PLAN_PAGE_SQL}))
         ORDER BY m.photo_id, a.position, a.id`,
      ).all(runId, ...params) as Record<string, unknown>[]
    ) {
      const id = String(row.member_id);
      let list = albums.get(id);
      if (!list) albums.set(id, list = []);
      list.push(toAlbumRow(row));
    }
    return rows.map((row) => {
      const id = String(row.plan_id);
      return {
        kind: WORK_KINDS[Number(row.plan_kind)]!,
        id,
        row: row.id === null ? undefined : toPhotoRow(row),
        albums: albums.get(id) ?? [],
      };
    });
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
      this.stmt(
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
      this.stmt("DELETE FROM placements WHERE photo_id = ?").run(id);
      for (const placement of done.placements) {
        this.stmt(
          "INSERT INTO placements(photo_id, album_id, rel_path) VALUES (?, ?, ?)",
        ).run(id, placement.albumId, placement.relPath);
      }
    });
  }

  /** Records a failed attempt; the photo is retried on the next run. */
  markFailed(id: string, error: string): void {
    this.stmt(
      "UPDATE photos SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
    ).run(error, id);
  }

  /** Records a photo deliberately not saved (e.g. `--originals-only`). */
  markSkipped(id: string, reason: string): void {
    this.stmt(
      "UPDATE photos SET status = 'skipped', last_error = ? WHERE id = ?",
    ).run(reason, id);
  }

  /** Where a photo's copies are. */
  placements(photoId: string): Placement[] {
    return (this.stmt(
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
    const row = this.stmt(
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
    const rows = this.stmt(
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
    const row = this.stmt(
      `SELECT count(*) AS listed, sum(p.status = 'done') AS done FROM photos p
       WHERE p.seen_run = ? AND NOT EXISTS (
         SELECT 1 FROM memberships m WHERE m.photo_id = p.id AND m.seen_run = ?)`,
    ).get(runId, runId) as Record<string, number | null>;
    return { listed: Number(row.listed ?? 0), done: Number(row.done ?? 0) };
  }

  /** Rows with a given status among those seen in `runId`. */
  photosWithStatus(status: PhotoStatus, runId: number): PhotoRow[] {
    return (this.stmt(
      "SELECT * FROM photos WHERE status = ? AND seen_run = ? ORDER BY id",
    ).all(status, runId) as Record<string, unknown>[]).map(toPhotoRow);
  }

  /** Done rows whose saved variant is not the original, seen in `runId`. */
  nonOriginalPhotos(runId: number): PhotoRow[] {
    return (this.stmt(
      "SELECT * FROM photos WHERE status = 'done' AND variant != 'original' AND seen_run = ? ORDER BY id",
    ).all(runId) as Record<string, unknown>[]).map(toPhotoRow);
  }
}
