/**
 * Resume state in SQLite (`node:sqlite`, WAL) inside the backup folder.
 *
 * The state is the only thing read back between runs: the JSON sidecars are
 * for people and other tools. A photo is `done` only after its file, its
 * sidecar and its album links are durable on disk.
 *
 * {@link StateStore} is built in layers, one file per job: `state_base.ts`
 * (handle, statements, transactions), `state_api_calls.ts` (API budget
 * window), `state_runs.ts` (runs, key/values), `state_albums.ts`,
 * `state_items.ts` (photos); the schema and file checks are in
 * `state_schema.ts`, the row shapes in `state_rows.ts`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { sqliteLocalError } from "./sqlite_errors.ts";
import { LocalFatalError } from "../errors.ts";
import { ItemsState } from "./state_items.ts";
import {
  API_CALLS_SCHEMA,
  checkStateFile,
  refuseMissingColumns,
  SCHEMA,
  SCHEMA_VERSION,
} from "./state_schema.ts";

export type {
  AlbumRow,
  PhotoRow,
  PhotoStatus,
  Placement,
  StatusCounts,
} from "./state_rows.ts";
export { albumSignatureOf } from "./state_rows.ts";
export {
  checkStateFile,
  refuseMissingColumns,
  SCHEMA_VERSION,
  STATE_FILE,
} from "./state_schema.ts";

/** SQLite-backed resume state of one backup folder. */
export class StateStore extends ItemsState {
  private constructor(path: string, db: DatabaseSync) {
    super(path, db);
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
    this.db.exec(SCHEMA);
    refuseMissingColumns(this.db, this.path);
    this.db.exec(API_CALLS_SCHEMA);
    this.db.prepare(
      "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
    ).run(String(SCHEMA_VERSION));
  }
}
