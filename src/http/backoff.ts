/**
 * Retry delay maths, pure: exponential backoff with jitter, `Retry-After`
 * parsing (RFC 9110 §10.2.3) and human-readable durations. Randomness comes
 * in as a `random()` function, so tests give fixed values.
 *
 * @module
 */

/** How the exponential delay is spread. */
export type Jitter = "full" | "decorrelated" | "none";

/** Bounds of a backoff sequence. */
export interface BackoffPolicy {
  /** First delay (before jitter), in ms. */
  baseMs: number;
  /** No delay exceeds this, in ms. */
  maxMs: number;
  /** Total tries, the first one included; `attempts - 1` delays at most. */
  attempts: number;
  /**
   * `"full"`: uniform in [0, min(max, base·2^n)] (AWS "full jitter").
   * `"decorrelated"`: uniform in [base, min(max, 3·previous)].
   * `"none"`: min(max, base·2^n).
   */
  jitter: Jitter;
}

/**
 * Returns the delay before retry number `retry + 1` (so `retry` 0 is the
 * wait after the first failed try).
 *
 * @param retry 0-based count of retries already made.
 * @param random Uniform in [0, 1), e.g. `Math.random`.
 * @param previousMs The previous delay, for decorrelated jitter (defaults to
 *   `baseMs`).
 */
export function backoffDelay(
  policy: Pick<BackoffPolicy, "baseMs" | "maxMs" | "jitter">,
  retry: number,
  random: () => number,
  previousMs?: number,
): number {
  const base = Math.max(0, policy.baseMs);
  const max = Math.max(base, policy.maxMs);
  const r = clampUnit(random());
  switch (policy.jitter) {
    case "none":
      return Math.min(max, base * 2 ** Math.max(0, retry));
    case "full":
      return Math.round(r * Math.min(max, base * 2 ** Math.max(0, retry)));
    case "decorrelated": {
      const previous = Math.max(base, previousMs ?? base);
      const upper = Math.min(max, previous * 3);
      return Math.round(base + r * (upper - base));
    }
  }
}

/**
 * Returns the whole sequence of delays a policy allows: `attempts - 1` values,
 * each from {@link backoffDelay} with the same `random`.
 */
export function backoffDelays(
  policy: BackoffPolicy,
  random: () => number,
): number[] {
  const delays: number[] = [];
  let previous: number | undefined;
  for (let retry = 0; retry < policy.attempts - 1; retry++) {
    previous = backoffDelay(policy, retry, random, previous);
    delays.push(previous);
  }
  return delays;
}

function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return value >= 1 ? 1 : value;
}

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];
const TIME = String.raw`(\d{2}):(\d{2}):(\d{2})`;
const MONTH = String.raw`(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)`;
// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = new RegExp(
  String
    .raw`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ${MONTH} (\d{4}) ${TIME} GMT$`,
);
// obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
const RFC850_DATE = new RegExp(
  String
    .raw`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-${MONTH}-(\d{2}) ${TIME} GMT$`,
);
// obsolete asctime: Sun Nov  6 08:49:37 1994
const ASCTIME_DATE = new RegExp(
  String
    .raw`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \d|\d{2}) ${TIME} (\d{4})$`,
);

/**
 * Parses an HTTP-date in any of the three RFC 9110 §5.6.7 formats and
 * returns its time in ms, or undefined.
 */
export function parseHttpDate(
  value: string,
  nowMs: number,
): number | undefined {
  const text = value.trim();
  let day: string | undefined;
  let month: string | undefined;
  let year: number | undefined;
  let hms: (string | undefined)[] = [];
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    [, day, month] = match;
    year = Number(match[3]);
    hms = match.slice(4, 7);
  } else if ((match = RFC850_DATE.exec(text))) {
    [, day, month] = match;
    // RFC 9110: a two-digit year more than 50 years in the future is in the
    // past century.
    const yy = Number(match[3]);
    const currentYear = new Date(nowMs).getUTCFullYear();
    year = 2000 + yy;
    if (year > currentYear + 50) year -= 100;
    hms = match.slice(4, 7);
  } else if ((match = ASCTIME_DATE.exec(text))) {
    month = match[1];
    day = match[2];
    hms = match.slice(3, 6);
    year = Number(match[6]);
  } else {
    return undefined;
  }
  const monthIndex = MONTHS.indexOf(month ?? "");
  const [h, m, s] = hms.map(Number);
  const d = Number(day?.trim());
  if (
    monthIndex < 0 || year === undefined || h === undefined ||
    m === undefined || s === undefined || d < 1 || d > 31 || h > 23 ||
    m > 59 || s > 60
  ) {
    return undefined;
  }
  const ms = Date.UTC(year, monthIndex, d, h, m, Math.min(s, 59));
  // Reject dates like 31 Feb that Date.UTC silently rolls over.
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return ms;
}

/**
 * Parses a `Retry-After` value: delay-seconds (`"120"`) or an HTTP-date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`). Returns the wait in ms from `nowMs`
 * (0 for a date already past), or undefined for a missing, negative or
 * unparseable value.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : undefined;
  }
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Formats a duration for people: `"800 ms"`, `"45 s"`, `"5 min"`,
 * `"1 h 30 min"`, `"2 d 3 h"`.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) {
    const min = Math.floor(seconds / 60);
    const sec = seconds % 60;
    return sec ? `${min} min ${sec} s` : `${min} min`;
  }
  if (seconds < 86400) {
    const h = Math.floor(seconds / 3600);
    const min = Math.floor((seconds % 3600) / 60);
    return min ? `${h} h ${min} min` : `${h} h`;
  }
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  return h ? `${d} d ${h} h` : `${d} d`;
}
