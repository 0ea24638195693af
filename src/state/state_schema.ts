/**
 * The state file's schema, and the checks that refuse a file this build must
 * not touch (damaged, not ours, newer, or missing columns).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { LocalFatalError } from "../errors.ts";

/** Name of the state file inside the backup folder. */
export const STATE_FILE = ".flickr_backup.sqlite";

/** Schema version this build writes; newer files are refused. */
export const SCHEMA_VERSION = 1;
export const SCHEMA = `
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
export const API_CALLS_SCHEMA =
  "CREATE TABLE IF NOT EXISTS api_calls (at INTEGER NOT NULL)";

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
