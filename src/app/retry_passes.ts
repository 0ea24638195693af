/**
 * Further passes over the items that failed for a reason that may go away
 * (a flaky network, 5xx bursts, resets): after the main pass, wait, try them
 * again, wait twice as long, … until none is left, the passes run out or the
 * time budget (`--retry-for`) would be exceeded. Waits go through the
 * injected clock and stop at once on abort.
 *
 * @module
 */

import type { Clock } from "../platform/clock.ts";

/** Options of {@link retryPasses}. */
export interface RetryPassOptions {
  clock: Clock;
  signal: AbortSignal;
  /** Total time the passes (waits included) may take, from now. */
  budgetMs: number;
  /** Wait before the first extra pass; doubles each pass. */
  firstDelayMs: number;
  /** Most extra passes. */
  maxPasses: number;
}

/**
 * Runs extra passes while `failed()` names items. `onWait` is told before
 * each wait. Returns the number of passes made.
 */
export async function retryPasses(
  failed: () => string[],
  pass: (ids: string[]) => Promise<void>,
  onWait: (info: { count: number; delayMs: number; pass: number }) => void,
  options: RetryPassOptions,
): Promise<number> {
  const { clock, signal } = options;
  const deadline = clock.now() + options.budgetMs;
  let made = 0;
  for (let n = 0; n < options.maxPasses; n++) {
    const ids = failed();
    if (ids.length === 0) break;
    const delayMs = options.firstDelayMs * 2 ** n;
    if (clock.now() + delayMs > deadline) break;
    onWait({ count: ids.length, delayMs, pass: n + 2 });
    await clock.sleep(delayMs, signal);
    await pass(ids);
    made++;
  }
  return made;
}
