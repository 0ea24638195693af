/**
 * The hourly API budget across runs: the pacer of each run reads and records
 * the calls in the backup folder's state, so back-to-back runs (cron, a
 * manual run, `verify --repair`) stay under the budget together.
 */

import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertStrictEquals,
} from "../../tests/assert.ts";
import { FakeClock } from "../platform/clock.ts";
import { HOUR_MS, Pacer } from "../http/pacer.ts";
import { STATE_FILE, StateStore } from "../state/state_store.ts";

const T0 = 1_700_000_000_000;

/** One run: opens the state, attaches its pacer, makes `calls` calls. */
async function run(
  dir: string,
  clock: FakeClock,
  calls: number,
  perHour: number,
): Promise<{ waitedMs: number }> {
  const pacer = new Pacer({ clock, perHour });
  await pacer.acquire(); // flickr.test.login-like call before the state opens
  const store = StateStore.open(join(dir, STATE_FILE));
  try {
    pacer.attachLog(store);
    for (let i = 1; i < calls; i++) await pacer.acquire();
  } finally {
    store.close();
  }
  return { waitedMs: pacer.waitedMs };
}

function recorded(dir: string): number[] {
  const store = StateStore.open(join(dir, STATE_FILE));
  try {
    return store.callsSince(0);
  } finally {
    store.close();
  }
}

function busiestHour(calls: number[]): number {
  const sorted = [...calls].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[first]! <= sorted[last]! - HOUR_MS) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

Deno.test("two runs inside one hour together never exceed the budget", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fb-budget-" });
  try {
    const clock = new FakeClock(T0);
    const first = await run(dir, clock, 2_500, 3_000);
    assertStrictEquals(first.waitedMs, 0); // under 5/6 of the budget
    clock.advance(20 * 60_000); // cron, then a manual run 20 minutes later
    const second = await run(dir, clock, 1_500, 3_000);
    const calls = recorded(dir);
    assertStrictEquals(calls.length, 4_000);
    assertStrictEquals(busiestHour(calls), 3_000);
    // Alone, 1,500 calls would not have waited at all.
    assert(second.waitedMs > 30 * 60_000, `waited ${second.waitedMs} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run more than an hour later has the whole budget again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fb-budget-" });
  try {
    const clock = new FakeClock(T0);
    await run(dir, clock, 3_000, 3_000);
    clock.advance(HOUR_MS);
    const later = await run(dir, clock, 2_000, 3_000);
    assertStrictEquals(later.waitedMs, 0);
    // Calls older than the hour are forgotten by the state.
    assertEquals(recorded(dir).length, 2_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
