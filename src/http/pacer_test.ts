import {
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../tests/assert.ts";
import { FakeClock } from "../platform/clock.ts";
import {
  blockUntil,
  initialPacerState,
  nextDelay,
  Pacer,
  type PacerState,
  refill,
  reserve,
} from "./pacer.ts";

const T0 = 1_000_000;

function state(overrides: Partial<PacerState>): PacerState {
  return { ...initialPacerState(T0), ...overrides };
}

Deno.test("nextDelay() gives the wait for one token (table)", () => {
  const cases: [string, PacerState, number, number][] = [
    ["full bucket", state({}), T0, 0],
    ["one token left", state({ tokens: 1 }), T0, 0],
    ["empty bucket, 3600/h", state({ tokens: 0 }), T0, 1000],
    ["half a token", state({ tokens: 0.5 }), T0, 500],
    ["refilled since", state({ tokens: 0, updatedAt: T0 - 1000 }), T0, 0],
    ["partly refilled", state({ tokens: 0, updatedAt: T0 - 400 }), T0, 600],
    ["in debt by 2", state({ tokens: -2 }), T0, 3000],
    ["1800/h", state({ perHour: 1800, tokens: 0 }), T0, 2000],
    ["7200/h", state({ perHour: 7200, tokens: 0 }), T0, 500],
    ["blocked by a 429", state({ blockedUntil: T0 + 5000 }), T0, 5000],
    [
      "block shorter than token wait",
      state({ tokens: -4, blockedUntil: T0 + 2000 }),
      T0,
      5000,
    ],
    ["block in the past", state({ blockedUntil: T0 - 1 }), T0, 0],
  ];
  for (const [name, s, now, expected] of cases) {
    assertStrictEquals(nextDelay(s, now), expected, name);
  }
});

Deno.test("reserve() queues callers one token period apart once the burst is spent", () => {
  let s = initialPacerState(T0, { perHour: 3600, burst: 3 });
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const r = reserve(s, T0);
    s = r.state;
    delays.push(r.delayMs);
  }
  assertEquals(delays, [0, 0, 0, 1000, 2000, 3000]);
  assertStrictEquals(s.tokens, -3);
  // After 10 s the debt is paid and the bucket is full again (capped).
  assertStrictEquals(refill(s, T0 + 10_000).tokens, 3);
});

Deno.test("reserve() keeps 3600 calls within an hour after the burst", () => {
  let s = initialPacerState(T0, { perHour: 3600, burst: 20 });
  let now = T0;
  for (let i = 0; i < 3620; i++) {
    const r = reserve(s, now);
    s = r.state;
    now += r.delayMs;
  }
  // 20 free calls, then one per second: call 3620 starts 3600 s in.
  assertStrictEquals(now - T0, 3_600_000);
});

Deno.test("blockUntil() only moves the block forward", () => {
  const s = state({ blockedUntil: T0 + 5000 });
  assertStrictEquals(blockUntil(s, T0 + 1000).blockedUntil, T0 + 5000);
  assertStrictEquals(blockUntil(s, T0 + 9000).blockedUntil, T0 + 9000);
});

Deno.test("initialPacerState() refuses a zero rate or burst", () => {
  assertThrows(() => initialPacerState(T0, { perHour: 0 }), RangeError);
  assertThrows(() => initialPacerState(T0, { burst: 0 }), RangeError);
  assertThrows(() => initialPacerState(T0, { perHour: Infinity }), RangeError);
});

Deno.test("Pacer.acquire() waits through the clock once the burst is spent", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock, perHour: 1800, burst: 2 });
  for (let i = 0; i < 5; i++) await pacer.acquire();
  assertEquals(clock.sleeps, [2000, 2000, 2000]);
  assertStrictEquals(clock.now(), T0 + 6000);
  assertStrictEquals(pacer.waitedMs, 6000);
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
  // Another worker sees a 429 while this caller sleeps for its token.
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
    burst: 1,
  });
  await pacer.acquire();
  await pacer.acquire();
  assertEquals(clock.sleeps, [1000, 4000]);
});

Deno.test("Pacer.acquire() rejects with the abort reason and returns the token", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock, burst: 1 });
  const controller = new AbortController();
  const reason = new Error("stop");
  controller.abort(reason);
  const error = await assertRejects(() => pacer.acquire(controller.signal));
  assertStrictEquals(error, reason);
  assertStrictEquals(pacer.state.tokens, 1);

  await pacer.acquire();
  const later = new AbortController();
  const aborting = {
    now: () => clock.now(),
    sleep: (_ms: number, signal?: AbortSignal) => {
      later.abort(reason);
      return Promise.reject(signal?.reason);
    },
  };
  const p2 = new Pacer({ clock: aborting, burst: 1 });
  await p2.acquire();
  await assertRejects(() => p2.acquire(later.signal));
  assertStrictEquals(p2.state.tokens, 0);
});
