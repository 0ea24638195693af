/**
 * The pacer's record of recent API calls in the state (the hourly API budget
 * window shared by every run on one folder).
 *
 * @module
 */

import { StateBase } from "./state_base.ts";

/** {@link StateBase} plus the API budget window. */
export class ApiCallsState extends StateBase {
  /**
   * Start times (ms) of the API calls recorded after `since` (the pacer's
   * rolling hour, shared by every run on this folder); older ones are
   * forgotten.
   */
  callsSince(since: number): number[] {
    this.stmt("DELETE FROM api_calls WHERE at <= ?").run(since);
    return (this.stmt("SELECT at FROM api_calls ORDER BY at").all() as {
      at: number;
    }[]).map((row) => Number(row.at));
  }

  /** Records that an API call started at `at` (ms). */
  recordCall(at: number): void {
    this.stmt("INSERT INTO api_calls(at) VALUES (?)").run(at);
  }
}
