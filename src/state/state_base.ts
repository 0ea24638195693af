/**
 * The database handle under every part of {@link StateStore}: cached
 * statements, transactions, closing.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { sqliteLocalError } from "./sqlite_errors.ts";

/** The database of one state file (see `state_store.ts`). */
export class StateBase {
  readonly path: string;
  protected db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #inTransaction = false;

  protected constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
  }

  /** A prepared statement, cached by its SQL text. */
  protected stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
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
    this.db.exec("BEGIN IMMEDIATE");
    this.#inTransaction = true;
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite may have rolled back already (e.g. a COMMIT on a full disk).
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw sqliteLocalError(error, this.path) ?? error;
    } finally {
      this.#inTransaction = false;
    }
  }

  /** Closes the database (checkpointing the WAL). */
  close(): void {
    this.#statements.clear();
    this.db.close();
  }
}
