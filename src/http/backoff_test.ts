import { assertEquals, assertStrictEquals } from "../../tests/assert.ts";
import {
  backoffDelay,
  backoffDelays,
  type BackoffPolicy,
  formatDuration,
  parseHttpDate,
  parseRetryAfter,
} from "./backoff.ts";

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0); // Wed, 25 Nov 2026 12:00:00 GMT

function fixed(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
}

Deno.test("backoffDelay() follows the policy (table)", () => {
  const base = { baseMs: 1000, maxMs: 30_000 };
  const cases: [
    BackoffPolicy["jitter"],
    retry: number,
    random: number,
    previous: number | undefined,
    expected: number,
  ][] = [
    ["none", 0, 0.5, undefined, 1000],
    ["none", 1, 0.5, undefined, 2000],
    ["none", 4, 0.5, undefined, 16_000],
    ["none", 5, 0.5, undefined, 30_000], // capped
    ["none", 50, 0.5, undefined, 30_000], // no overflow
    ["full", 0, 0, undefined, 0],
    ["full", 0, 0.5, undefined, 500],
    ["full", 3, 0.5, undefined, 4000],
    ["full", 3, 0.999, undefined, 7992],
    ["full", 10, 0.5, undefined, 15_000], // half of the cap
    ["full", 2, 2, undefined, 4000], // random() out of range is clamped
    ["full", 2, Number.NaN, undefined, 0],
    ["decorrelated", 0, 0, undefined, 1000], // never below base
    ["decorrelated", 0, 1, undefined, 3000],
    ["decorrelated", 1, 0.5, 3000, 5000], // base + 0.5 * (9000 - base)
    ["decorrelated", 5, 1, 20_000, 30_000], // capped
    ["decorrelated", 5, 0.25, 20_000, 8250],
  ];
  for (const [jitter, retry, random, previous, expected] of cases) {
    assertStrictEquals(
      backoffDelay({ ...base, jitter }, retry, () => random, previous),
      expected,
      `${jitter} retry=${retry} random=${random} previous=${previous}`,
    );
  }
});

Deno.test("backoffDelays() gives attempts - 1 bounded delays", () => {
  const policy: BackoffPolicy = {
    baseMs: 1000,
    maxMs: 10_000,
    attempts: 6,
    jitter: "full",
  };
  assertEquals(backoffDelays(policy, fixed(1)), [
    1000,
    2000,
    4000,
    8000,
    10_000,
  ]);
  assertEquals(
    backoffDelays({ ...policy, jitter: "decorrelated" }, fixed(1)),
    [3000, 9000, 10_000, 10_000, 10_000],
  );
  assertEquals(
    backoffDelays({ ...policy, jitter: "decorrelated" }, fixed(0)),
    [1000, 1000, 1000, 1000, 1000],
  );
  assertEquals(backoffDelays({ ...policy, attempts: 1 }, fixed(1)), []);
  for (let i = 0; i < 100; i++) {
    for (const delay of backoffDelays(policy, Math.random)) {
      if (delay < 0 || delay > 10_000) {
        throw new Error(`out of bounds ${delay}`);
      }
    }
  }
});

Deno.test("parseRetryAfter() reads seconds and HTTP-dates (table)", () => {
  const cases: [string | null | undefined, number | undefined][] = [
    ["0", 0],
    ["1", 1000],
    [" 120 ", 120_000],
    ["3600", 3_600_000],
    // IMF-fixdate, RFC 850 and asctime, 2 s ahead.
    ["Wed, 25 Nov 2026 12:00:02 GMT", 2000],
    ["Wednesday, 25-Nov-26 12:00:02 GMT", 2000],
    ["Wed Nov 25 12:00:02 2026", 2000],
    ["Sun Nov  6 08:49:37 1994", 0], // a past date: retry now
    ["Wed, 25 Nov 2026 11:59:00 GMT", 0],
    ["Thu, 26 Nov 2026 12:00:00 GMT", 86_400_000],
    // Garbage, negatives, fractions and lookalikes.
    [null, undefined],
    [undefined, undefined],
    ["", undefined],
    ["-5", undefined],
    ["1.5", undefined],
    ["soon", undefined],
    ["10s", undefined],
    ["Wed, 25 Nov 2026 12:00:02 PST", undefined],
    ["Wed, 31 Feb 2026 12:00:02 GMT", undefined],
    ["Wed, 25 Nov 2026 25:00:02 GMT", undefined],
    ["2026-11-25T12:00:02Z", undefined],
    ["99999999999999999999", undefined],
  ];
  for (const [value, expected] of cases) {
    assertStrictEquals(parseRetryAfter(value, NOW), expected, String(value));
  }
});

Deno.test("parseHttpDate() puts two-digit RFC 850 years in the right century", () => {
  assertStrictEquals(
    parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", NOW),
    Date.UTC(1994, 10, 6, 8, 49, 37),
  );
  assertStrictEquals(
    parseHttpDate("Monday, 06-Nov-34 08:49:37 GMT", NOW),
    Date.UTC(2034, 10, 6, 8, 49, 37),
  );
  assertStrictEquals(
    parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
    Date.UTC(1994, 10, 6, 8, 49, 37),
  );
});

Deno.test("formatDuration() reads naturally (table)", () => {
  const cases: [number, string][] = [
    [0, "0 ms"],
    [800, "800 ms"],
    [1000, "1 s"],
    [45_000, "45 s"],
    [60_000, "1 min"],
    [90_000, "1 min 30 s"],
    [300_000, "5 min"],
    [3_600_000, "1 h"],
    [5_400_000, "1 h 30 min"],
    [86_400_000, "1 d"],
    [97_200_000, "1 d 3 h"],
  ];
  for (const [ms, expected] of cases) {
    assertStrictEquals(formatDuration(ms), expected, String(ms));
  }
});
