/**
 * Deadlines for requests that must not wait forever, on the injected clock:
 * a try that has no complete answer in time is aborted and reported as
 * transient (retried like a 503), and an answer body is read only up to a
 * cap, so a hostile or broken server can neither hang a run nor fill memory.
 *
 * @module
 */

import { AppError, ExitCode } from "../errors.ts";
import { type Clock, startTimer } from "../platform/clock.ts";
import { TransientError } from "./errors.ts";

/** Largest API answer read (a 500-photo page with every extra is ~1 MB). */
export const MAX_API_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Runs `fn` with a signal that also aborts after `ms` (virtual time on a
 * test clock). When the deadline, not `signal`, ended it, throws a
 * {@link TransientError}; the timer stops when `fn` settles.
 */
export async function withDeadline<T>(
  clock: Clock,
  ms: number,
  signal: AbortSignal | undefined,
  fn: (limited: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let expired = false;
  const cancel = startTimer(clock, ms, () => {
    expired = true;
    controller.abort(new TransientError(noAnswer(ms)));
  });
  const limited = signal
    ? AbortSignal.any([signal, controller.signal])
    : controller.signal;
  try {
    return await fn(limited);
  } catch (error) {
    if (expired && !signal?.aborted) throw new TransientError(noAnswer(ms));
    throw error;
  } finally {
    cancel();
  }
}

function noAnswer(ms: number): string {
  return `no complete answer within ${Math.round(ms / 1000)} s`;
}

/**
 * The same response with a body that fails once it passes `maxBytes` (and
 * at once when `Content-Length` says it will).
 */
export function capBody(
  response: Response,
  label: string,
  maxBytes = MAX_API_BODY_BYTES,
): Response {
  const tooLarge = () =>
    new AppError(
      `Flickr's answer to ${label} is larger than ${
        Math.round(maxBytes / 1024 / 1024)
      } MB, which no API answer should be; stopped reading it: try again later`,
      ExitCode.Unavailable,
    );
  const declared = Number(response.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body || [204, 205, 304].includes(response.status)) {
    return response;
  }
  let seen = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        seen += chunk.length;
        if (seen > maxBytes) throw tooLarge();
        c.enqueue(chunk);
      },
    }),
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
