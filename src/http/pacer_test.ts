import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../tests/assert.ts";
import { FakeClock } from "../platform/clock.ts";
import {
  blockUntil,
  type CallLog,
  defaultBurst,
  gapMs,
  HOUR_MS,
  initialPacerState,
  nextSlot,
  Pacer,
  type PacerState,
} from "./pacer.ts";

const T0 = 1_000_000_000;

function state(overrides: Partial<PacerState>): PacerState {
  return { ...initialPacerState({ perHour: 10, burst: 6 }), ...overrides };
}

/** `n` calls at `at` (ascending input for the window). */
function callsAt(n: number, at: number): number[] {
  return Array.from({ length: n }, () => at);
}

/** A log in memory, as the state keeps it. */
class MemoryLog implements CallLog {
  readonly calls: number[] = [];
  callsSince(since: number): number[] {
    return this.calls.filter((at) => at > since);
  }
  recordCall(at: number): void {
    this.calls.push(at);
  }
}

/** The most calls that fall in any rolling hour of `calls`. */
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

Deno.test("defaults: a budget of 3,600 calls an hour, 3,000 of them at once", () => {
  const s = initialPacerState();
  assertStrictEquals(s.perHour, 3600);
  assertStrictEquals(s.burst, 3000);
  assertStrictEquals(defaultBurst(600), 500);
  assertStrictEquals(defaultBurst(1), 1);
  assertStrictEquals(
    initialPacerState({ perHour: 100, burst: 500 }).burst,
    100,
  );
});

Deno.test("gapMs() grows smoothly from 0 to twice the sustained spacing (table)", () => {
  const s = { perHour: 10, burst: 6 }; // sustained spacing 360 s; room 5
  const cases: [number, number][] = [
    [0, 0],
    [5, 0],
    [6, 144_000], // 2 × 360 s × 1/5
    [7, 288_000],
    [8, 432_000],
    [9, 576_000],
    [10, 720_000], // capped at twice the spacing
    [50, 720_000],
  ];
  for (const [n, expected] of cases) {
    assertStrictEquals(gapMs(s, n), expected, `n=${n}`);
  }
  // The slow part takes as long as it would at the sustained rate.
  const big = { perHour: 3600, burst: 3000 };
  let total = 0;
  for (let n = 3000; n < 3600; n++) total += gapMs(big, n);
  assert(Math.abs(total - 600 * 1000) < 2000, `slow part takes ${total} ms`);
});

Deno.test("nextSlot() gives the instant the next call may start (table)", () => {
  const cases: [string, PacerState, number][] = [
    ["empty window", state({}), T0],
    ["below the burst", state({ calls: callsAt(5, T0) }), T0],
    [
      "at the burst: a small gap after the latest call",
      state({ calls: callsAt(6, T0) }),
      T0 + 144_000,
    ],
    [
      "gap already served",
      state({ calls: callsAt(6, T0 - 200_000) }),
      T0,
    ],
    [
      "fuller window, longer gap",
      state({ calls: [...callsAt(8, T0 - 100_000)] }),
      T0 - 100_000 + 432_000,
    ],
    [
      "budget spent: wait until the oldest call leaves the hour",
      state({ calls: [T0 - 3_000_000, ...callsAt(9, T0 - 10)] }),
      T0 - 3_000_000 + HOUR_MS,
    ],
    [
      "calls older than an hour do not count",
      state({ calls: callsAt(10, T0 - HOUR_MS) }),
      T0,
    ],
    [
      "a 429 block",
      state({ blockedUntil: T0 + 5000 }),
      T0 + 5000,
    ],
    [
      "block shorter than the gap",
      state({ calls: callsAt(6, T0), blockedUntil: T0 + 1000 }),
      T0 + 144_000,
    ],
    ["block in the past", state({ blockedUntil: T0 - 1 }), T0],
    [
      "reserved calls ahead count too",
      state({ calls: [...callsAt(5, T0), T0 + 50_000] }),
      T0 + 50_000 + 144_000,
    ],
  ];
  for (const [name, s, expected] of cases) {
    assertStrictEquals(nextSlot(s, T0), expected, name);
  }
});

Deno.test("blockUntil() only moves the block forward", () => {
  const s = state({ blockedUntil: T0 + 5000 });
  assertStrictEquals(blockUntil(s, T0 + 1000).blockedUntil, T0 + 5000);
  assertStrictEquals(blockUntil(s, T0 + 9000).blockedUntil, T0 + 9000);
});

Deno.test("initialPacerState() refuses a zero budget or burst", () => {
  assertThrows(() => initialPacerState({ perHour: 0 }), RangeError);
  assertThrows(() => initialPacerState({ burst: 0 }), RangeError);
  assertThrows(() => initialPacerState({ perHour: Infinity }), RangeError);
});

Deno.test("Pacer: a 1,000-album listing (1,010 calls) is not slowed at all", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock });
  for (let i = 0; i < 1010; i++) await pacer.acquire();
  assertEquals(clock.sleeps, []);
  assertStrictEquals(pacer.waitedMs, 0);
});

Deno.test("Pacer: concurrent callers never exceed the budget in any rolling hour", async () => {
  const clock = new FakeClock(T0);
  const log = new MemoryLog();
  const pacer = new Pacer({ clock, perHour: 120 });
  pacer.attachLog(log);
  // Four workers, 400 calls: more than three hours' budget.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 100; i++) await pacer.acquire();
    }),
  );
  assertStrictEquals(log.calls.length, 400);
  assertStrictEquals(busiestHour(log.calls), 120);
  // The first 100 (5/6) went at once; the whole took about 3 hours, not 4.
  assertStrictEquals(log.calls.filter((at) => at === T0).length, 100);
  const span = Math.max(...log.calls) - T0;
  assert(span > 3 * HOUR_MS - 600_000 && span < 3.5 * HOUR_MS, `${span}`);
});

Deno.test("Pacer: two runs inside one hour share the budget through the log", async () => {
  const clock = new FakeClock(T0);
  const log = new MemoryLog();
  // The cron run spends most of the budget ...
  const first = new Pacer({ clock, perHour: 600 });
  first.attachLog(log);
  for (let i = 0; i < 450; i++) await first.acquire();
  assertEquals(clock.sleeps, []);
  // ... then, ten minutes later, a manual run (a new process).
  clock.advance(600_000);
  const second = new Pacer({ clock, perHour: 600 });
  await second.acquire(); // signing in, before the state is open
  second.attachLog(log);
  for (let i = 0; i < 399; i++) await second.acquire();
  assertStrictEquals(log.calls.length, 850);
  assertStrictEquals(busiestHour(log.calls), 600);
  // Alone, the second run would not have waited: 400 < 500.
  assert(second.waitedMs > HOUR_MS / 2, `${second.waitedMs}`);
});

Deno.test("Pacer.blockUntil() holds every caller until the instant", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock });
  pacer.blockUntil(T0 + 7000);
  await pacer.acquire();
  assertEquals(clock.sleeps, [7000]);
  await pacer.acquire();
  assertEquals(clock.sleeps, [7000]);
});

Deno.test("Pacer.acquire() re-checks a block set while it slept", async () => {
  const clock = new FakeClock(T0);
  let raised = false;
  // Another worker sees a 429 while this caller sleeps for its slot.
  const pacer: Pacer = new Pacer({
    clock: {
      now: () => clock.now(),
      sleep: async (ms, signal) => {
        await clock.sleep(ms, signal);
        if (!raised) {
          raised = true;
          pacer.blockUntil(clock.now() + 4000);
        }
      },
    },
    perHour: 10,
    burst: 1,
  });
  await pacer.acquire();
  await pacer.acquire();
  assertEquals(clock.sleeps, [72_000, 4000]);
  assertStrictEquals(pacer.state.calls.length, 2);
});

Deno.test("Pacer.acquire() rejects with the abort reason and gives the slot back", async () => {
  const clock = new FakeClock(T0);
  const log = new MemoryLog();
  const pacer = new Pacer({ clock, perHour: 10, burst: 1 });
  pacer.attachLog(log);
  const controller = new AbortController();
  const reason = new Error("stop");
  controller.abort(reason);
  const error = await assertRejects(() => pacer.acquire(controller.signal));
  assertStrictEquals(error, reason);
  assertStrictEquals(pacer.state.calls.length, 0);

  await pacer.acquire();
  const later = new AbortController();
  const aborting = {
    now: () => clock.now(),
    sleep: (_ms: number, signal?: AbortSignal) => {
      later.abort(reason);
      return Promise.reject(signal?.reason);
    },
  };
  const p2 = new Pacer({ clock: aborting, perHour: 10, burst: 1 });
  await p2.acquire();
  await assertRejects(() => p2.acquire(later.signal));
  assertStrictEquals(p2.state.calls.length, 1);
  assertStrictEquals(log.calls.length, 1);
});

Deno.test("Pacer.attachLog() records the calls made before it", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock });
  await pacer.acquire();
  clock.advance(5);
  await pacer.acquire();
  const log = new MemoryLog();
  log.calls.push(T0 - HOUR_MS, T0 - 100); // one too old, one in the hour
  pacer.attachLog(log);
  assertEquals(log.calls, [T0 - HOUR_MS, T0 - 100, T0, T0 + 5]);
  assertEquals(pacer.state.calls, [T0 - 100, T0, T0 + 5]);
});
