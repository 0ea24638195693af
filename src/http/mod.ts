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
  DEFAULT_BURST,
  DEFAULT_PER_HOUR,
  initialPacerState,
  msPerToken,
  nextDelay,
  Pacer,
  type PacerOptions,
  type PacerState,
  refill,
  reserve,
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
