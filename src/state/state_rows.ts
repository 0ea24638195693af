/**
 * The rows of the state as callers see them, and how SQLite rows become
 * them.
 *
 * @module
 */

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

// Albums of photo `photos.id` in the run bound to the one parameter, as
// "id|folder|title" lines in album order: what placements and sidecars show.
export const ALBUM_SIGNATURE_SQL =
  `COALESCE((SELECT group_concat(line, char(10)) FROM (
  SELECT a.id || '|' || a.folder || '|' || a.title AS line
  FROM memberships m JOIN albums a ON a.id = m.album_id
  WHERE m.photo_id = photos.id AND m.seen_run = ?
  ORDER BY a.position, a.id)), '')`;

/**
 * {@link ALBUM_SIGNATURE_SQL} of albums already read in album order (as
 * `albumsOf` returns them): the same string without another query.
 */
export function albumSignatureOf(albums: readonly AlbumRow[]): string {
  return albums.map((a) => `${a.id}|${a.folder}|${a.title}`).join("\n");
}

export function toAlbumRow(row: Record<string, unknown>): AlbumRow {
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

export function toPhotoRow(row: Record<string, unknown>): PhotoRow {
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
