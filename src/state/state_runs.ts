/**
 * Runs and the key/value table of the state.
 *
 * @module
 */

import { ApiCallsState } from "./state_api_calls.ts";

/** {@link ApiCallsState} plus runs and key/values. */
export class RunsState extends ApiCallsState {
  /** Reads a value from the key/value table. */
  getMeta(key: string): string | undefined {
    const row = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  /** Writes a value to the key/value table. */
  setMeta(key: string, value: string): void {
    this.stmt("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)").run(
      key,
      value,
    );
  }

  /** Records the start of a run and returns its id. */
  beginRun(startedAt: number): number {
    const result = this.stmt("INSERT INTO runs(started_at) VALUES (?)").run(
      startedAt,
    );
    return Number(result.lastInsertRowid);
  }

  /** Marks that every listing of this run completed without error. */
  markListingComplete(runId: number, mode: "full" | "incremental"): void {
    this.stmt(
      "UPDATE runs SET listing_complete = 1, listing_mode = ? WHERE id = ?",
    ).run(mode, runId);
  }

  /** The latest run whose listing completed (the base of incremental runs). */
  lastCompleteListing():
    | { id: number; startedAt: number; mode: string }
    | undefined {
    const row = this.stmt(
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
    this.stmt(
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
    const row = this.stmt(
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
}
