/**
 * std-like assertions for the tests, on top of `node:assert` (JSR, and so
 * `@std/assert`, is not reachable here).
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Asserts a truthy value. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep strict equality. */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Deep strict inequality. */
export function assertNotEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** String matches a pattern. */
export function assertMatch(
  actual: string,
  expected: RegExp,
  message?: string,
): void {
  nodeAssert.match(actual, expected, message);
}

/** String contains a substring. */
export function assertStringIncludes(
  actual: string,
  expected: string,
  message?: string,
): void {
  nodeAssert.ok(
    actual.includes(expected),
    message ??
      `Expected ${JSON.stringify(actual.slice(0, 500))} to include ${
        JSON.stringify(expected)
      }`,
  );
}

/** `actual < limit`. */
export function assertLess(
  actual: number,
  limit: number,
  message?: string,
): void {
  nodeAssert.ok(actual < limit, message ?? `Expected ${actual} < ${limit}`);
}

/** Awaits a promise that must reject; returns the error. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  message?: string,
): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new nodeAssert.AssertionError({
    message: message ?? "Expected the promise to reject",
  });
}

/** Byte-array equality with a short message (no huge diffs). */
export function assertBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  message?: string,
): void {
  if (actual.length !== expected.length) {
    throw new nodeAssert.AssertionError({
      message: message ??
        `Expected ${expected.length} bytes, got ${actual.length}`,
    });
  }
  const at = actual.findIndex((b, i) => b !== expected[i]);
  if (at >= 0) {
    throw new nodeAssert.AssertionError({
      message: message ?? `Bytes differ at offset ${at}`,
    });
  }
}
