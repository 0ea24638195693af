/**
 * Minimal assertions for tests (JSR's @std/assert is not reachable here).
 * Built on node:assert's deep equality.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert";

/** Throws when `condition` is falsy. */
export function assert(
  condition: unknown,
  message = "Assertion failed",
): asserts condition {
  if (!condition) throw new Error(message);
}

/** Throws when `actual` and `expected` are not deeply equal. */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  try {
    deepStrictEqual(actual, expected);
  } catch (error) {
    throw new Error(
      `${message ? message + ": " : ""}${(error as Error).message}`,
    );
  }
}

/** Throws when `actual` is not `expected` (Object.is). */
export function assertStrictEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  if (!Object.is(actual, expected)) {
    throw new Error(
      `${message ? message + ": " : ""}expected ${String(expected)}, got ${
        String(actual)
      }`,
    );
  }
}

/** Throws when `actual` does not contain `expected`. */
export function assertStringIncludes(
  actual: string,
  expected: string,
  message?: string,
): void {
  if (!actual.includes(expected)) {
    throw new Error(
      `${message ? message + ": " : ""}expected ${
        JSON.stringify(actual)
      } to include ${JSON.stringify(expected)}`,
    );
  }
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Runs `fn` and returns the error it throws, checking its class. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  errorClass?: ErrorClass<E>,
  messageIncludes?: string,
): E {
  try {
    fn();
  } catch (error) {
    checkError(error, errorClass, messageIncludes);
    return error as E;
  }
  throw new Error("Expected function to throw");
}

/** Awaits `fn` and returns the error it rejects with, checking its class. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  errorClass?: ErrorClass<E>,
  messageIncludes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    checkError(error, errorClass, messageIncludes);
    return error as E;
  }
  throw new Error("Expected function to reject");
}

function checkError<E extends Error>(
  error: unknown,
  errorClass?: ErrorClass<E>,
  messageIncludes?: string,
): void {
  if (errorClass && !(error instanceof errorClass)) {
    throw new Error(
      `Expected error of class ${errorClass.name}, got ${String(error)}`,
      { cause: error },
    );
  }
  if (
    messageIncludes !== undefined &&
    !(error instanceof Error && error.message.includes(messageIncludes))
  ) {
    throw new Error(
      `Expected error message to include ${
        JSON.stringify(messageIncludes)
      }, got ${String(error)}`,
      { cause: error },
    );
  }
}

/** Fails unless nothing exists at `path`. */
export async function assertMissing(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    return;
  }
  throw new Error(`${path} should not exist`);
}
