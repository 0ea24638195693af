/**
 * The HTTP seam and what wraps it: pacing under Flickr's rate limit,
 * retries with backoff and `Retry-After`, and the errors they share.
 *
 * @module
 */

export { fetchClient, type HttpClient } from "./http_client.ts";
export {
  backoffDelay,
  backoffDelays,
  type BackoffPolicy,
  formatDuration,
  type Jitter,
  parseHttpDate,
  parseRetryAfter,
} from "./backoff.ts";
export {
  blockUntil,
  type CallLog,
  DEFAULT_PER_HOUR,
  defaultBurst,
  gapMs,
  HOUR_MS,
  initialPacerState,
  nextSlot,
  Pacer,
  type PacerOptions,
  type PacerState,
} from "./pacer.ts";
export {
  classifyError,
  DEFAULT_RETRY_POLICY,
  type RetryEvent,
  retrying,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  transientForStatus,
  withRetry,
  type WithRetryOptions,
} from "./retry.ts";
export {
  describeNetworkError,
  hostNotAllowed,
  HostNotAllowedError,
  isNetworkError,
  isNotCapable,
  TransientError,
  type TransientErrorOptions,
} from "./errors.ts";
