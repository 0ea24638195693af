/**
 * Why one download attempt failed (retry, restart or give up), and how other
 * errors become one.
 *
 * @module
 */

import { AppError } from "../errors.ts";
import { redactText } from "./_http_headers.ts";

type FailureKind = "transient" | "permanent" | "restart";

/** Why one attempt failed; decides retry, restart or give up. */
export class AttemptError extends Error {
  constructor(
    readonly kind: FailureKind,
    reason: string,
    readonly extra: {
      status?: number;
      retryAfterMs?: number;
      /** Drop the part: its bytes are not worth resuming. */
      discard?: boolean;
      /** Final message to use verbatim (NotCapable). */
      message?: string;
    } = {},
  ) {
    super(reason);
    this.name = "AttemptError";
  }
}

export class IdleTimeoutError extends Error {
  constructor(ms: number, message?: string) {
    super(message ?? `no data received for ${Math.round(ms / 1000)} s`);
    this.name = "IdleTimeoutError";
  }
}
export function toAttemptError(
  err: unknown,
  status: number | undefined,
): unknown {
  if (err instanceof AttemptError || err instanceof AppError) return err;
  if (err instanceof IdleTimeoutError) {
    return new AttemptError("transient", err.message, {
      ...(status !== undefined ? { status } : {}),
    });
  }
  if (err instanceof DOMException && err.name === "AbortError") return err;
  if (err instanceof Error && err.name === "AbortError") return err;
  // Body read errors (reset, short framing, corrupt gzip) are transient.
  if (
    err instanceof TypeError || err instanceof Deno.errors.Http ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.UnexpectedEof ||
    err instanceof Deno.errors.Interrupted
  ) {
    return new AttemptError(
      "transient",
      `reading the body failed: ${redactText(errorMessage(err))}`,
      { ...(status !== undefined ? { status } : {}) },
    );
  }
  return err;
}
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
