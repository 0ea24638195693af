/**
 * Fault injection for the fake Flickr. A rule targets requests by path
 * (string prefix or RegExp on the pathname) and/or Flickr method, fires
 * `times` times (default 1, `Infinity` allowed) after skipping the first
 * `after` matching requests.
 *
 * Rules live in four slots and one rule per slot applies to a request (the
 * first eligible one, in the order added), so a latency, an ETag change, a
 * Range fault and a response fault can combine:
 * - `latency`: latency
 * - `etag`: changeEtag
 * - `range` (only requests with a Range header count): ignoreRange,
 *   misalignedRange
 * - `response`: everything else
 *
 * How each kind is produced on the wire is described on {@linkcode FaultKind}.
 *
 * @module
 */

/** Which requests a rule applies to, and how often. */
export interface FaultTarget {
  /** Pathname prefix (string) or pattern (RegExp). */
  path?: string | RegExp;
  /** Flickr REST method, e.g. "flickr.photosets.getPhotos". */
  method?: string;
  /** How many times the rule fires (default 1; Infinity allowed). */
  times?: number;
  /** Skip the first N matching requests (default 0). */
  after?: number;
  /**
   * Fire on a matching request only with this probability (0..1), from a
   * PRNG seeded by `seed` (default 1): a hostile but repeatable network.
   */
  chance?: number;
  /** With `chance`: once fired, also fire on the next `burst - 1` requests. */
  burst?: number;
  seed?: number;
}

/**
 * What a rule does. Unless noted, produced by the main `Deno.serve` server.
 *
 * - `latency {ms}`: waits before answering.
 * - `status {status, retryAfter?, body?, contentType?, headers?}`: replaces
 *   the reply (429 with or without `Retry-After`, 5xx, 403/404 CDN flakes,
 *   or a 200 with junk such as HTML or PNG bytes for a JPEG).
 * - `statFail {code, message?, codeAsString?}`: HTTP 200
 *   `{"stat":"fail","code":N,"message":…}`.
 * - `html200 {body?}`: HTTP 200 text/html maintenance page.
 * - `jsonp`: the real REST reply wrapped as `jsonFlickrApi({...})`.
 * - `truncatedJson {keepBytes?}`: the real REST reply cut (default: half),
 *   sent completely with a matching Content-Length.
 * - `rewriteJson {edit}`: the real REST reply (as an object) passed through
 *   `edit` before it is sent: hostile ids, formats, nulls, escape codes.
 * - `reset {afterBytes}`: full Content-Length, N body bytes, then the
 *   connection is dropped (`fetch` → TypeError while reading the body).
 * - `shortBody {sendBytes, declaredLength?}`: Content-Length = declared
 *   (default: real size), `sendBytes` bytes, then close; same client view.
 * - `stall {afterBytes, ms}`: N bytes, then silence for `ms` (Infinity:
 *   until `releaseStalls()` or close), then the rest.
 * - `drip {bytesPerSecond}`: the body trickles out.
 * - `ignoreRange`: a Range request gets 200 and the full body.
 * - `misalignedRange {start?, total?}`: 206 whose Content-Range starts at
 *   `start` (default: half the requested start) with the bytes from there;
 *   `total` overrides the TOTAL it reports.
 * - `changeEtag`: the file is served with a different strong ETag (same
 *   bytes), so `If-Range` with the old one gets a 200.
 * - `redirect {location, status?}`: 302 (or `status`) to `location`; `{path}`
 *   in it is replaced by the request's path and query.
 * - `gzip`: the body is gzip-compressed with `Content-Encoding: gzip` (a
 *   Range request gets the whole compressed body, 200).
 * - `rateLimit {calls, windowMs}`: a matching request beyond `calls` in the
 *   last `windowMs` gets HTTP 429 (no Retry-After, like Flickr).
 * - raw TCP (the main server 307-redirects the request to the fake's second,
 *   raw HTTP/1.1 port with the same path and query):
 *   - `closeDelimited {sendBytes?}`: no Content-Length, no chunking,
 *     `Connection: close`, the first `sendBytes` bytes (default all), FIN.
 *     `fetch` sees a clean but possibly short body.
 *   - `overlongBody {declaredLength}`: Content-Length smaller than the bytes
 *     written; `fetch` reads exactly `declaredLength` bytes.
 *   - `duplicateContentLength {lengths?}`: two different Content-Length
 *     headers; `fetch` rejects the response.
 */
export type FaultKind =
  | { kind: "latency"; ms: number }
  | {
    kind: "status";
    status: number;
    retryAfter?: string;
    body?: string | Uint8Array;
    contentType?: string;
    headers?: Record<string, string>;
  }
  | { kind: "statFail"; code: number; message?: string; codeAsString?: boolean }
  | { kind: "html200"; body?: string }
  | { kind: "jsonp" }
  | { kind: "truncatedJson"; keepBytes?: number }
  | {
    kind: "rewriteJson";
    edit: (body: Record<string, unknown>) => Record<string, unknown>;
  }
  | { kind: "reset"; afterBytes: number }
  | { kind: "shortBody"; sendBytes: number; declaredLength?: number }
  | { kind: "stall"; afterBytes: number; ms: number }
  | { kind: "drip"; bytesPerSecond: number }
  | { kind: "ignoreRange" }
  | { kind: "misalignedRange"; start?: number; total?: number }
  | { kind: "changeEtag" }
  | { kind: "redirect"; location: string; status?: number }
  | { kind: "gzip" }
  | { kind: "closeDelimited"; sendBytes?: number }
  | { kind: "overlongBody"; declaredLength: number }
  | { kind: "duplicateContentLength"; lengths?: [number, number] }
  | { kind: "rateLimit"; calls: number; windowMs: number };

/** A fault rule: a target plus what to do. */
export type FaultRule = FaultTarget & FaultKind;

/** Kinds that are served by the raw TCP responder. */
export const RAW_KINDS: ReadonlySet<string> = new Set([
  "closeDelimited",
  "overlongBody",
  "duplicateContentLength",
]);

/** The slot of a kind (see the module doc). */
export function slotOf(kind: FaultKind["kind"]): Slot {
  if (kind === "latency") return "latency";
  if (kind === "changeEtag") return "etag";
  if (kind === "ignoreRange" || kind === "misalignedRange") return "range";
  return "response";
}

/** Fault slots. */
export type Slot = "latency" | "etag" | "range" | "response";

/** A rule with its counters. */
export interface RuleState {
  rule: FaultRule;
  /** Fires left. */
  remaining: number;
  /** Matching requests seen so far. */
  seen: number;
  /** Times it fired. */
  fired: number;
  /** `chance` rules: the PRNG and the rest of the current burst. */
  random?: () => number;
  burstLeft?: number;
  /** `rateLimit` rules: times of the requests in the window. */
  recent?: number[];
}

/** The faults chosen for one request, by slot. */
export type FaultPlan = Partial<Record<Slot, FaultRule>>;

/** What a request looks like to the matcher. */
export interface FaultRequest {
  path: string;
  flickrMethod?: string;
  hasRange: boolean;
}

/** How the fake waits; ends early (without error) when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The fault registry of a running fake (`flickr.faults`). */
export class Faults {
  /**
   * Every finite wait of the fake (latency, drip, stall with `ms`) goes
   * through this, so a test can record the waits instead of timing them.
   */
  readonly sleep: Sleep;
  #rules: RuleState[] = [];
  #releases = new Set<() => void>();
  #stallWaiters: { after: number; resolve: () => void }[] = [];
  #stalled = 0;
  #arrivals = 0;

  constructor(sleepFn: Sleep = sleep) {
    this.sleep = sleepFn;
  }

  /** Adds a rule (after the existing ones). */
  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!(times >= 0)) throw new RangeError(`Bad fault times ${times}`);
    this.#rules.push({
      rule,
      remaining: times,
      seen: 0,
      fired: 0,
      ...(rule.chance !== undefined
        ? { random: seededRandom(rule.seed ?? 1), burstLeft: 0 }
        : {}),
      ...(rule.kind === "rateLimit" ? { recent: [] } : {}),
    });
  }

  /** Removes all rules and releases stalled responses. */
  clear(): void {
    this.#rules = [];
    this.releaseStalls();
  }

  /** Fires left over all rules (Infinity if any rule is unbounded). */
  remaining(): number {
    return this.#rules.reduce((n, r) => n + r.remaining, 0);
  }

  /** The rules with their counters. */
  list(): readonly RuleState[] {
    return this.#rules;
  }

  /** Picks (and consumes) the faults for a request. */
  take(req: FaultRequest): FaultPlan {
    const plan: FaultPlan = {};
    for (const state of this.#rules) {
      const { rule } = state;
      if (!matches(rule, req)) continue;
      const slot = slotOf(rule.kind);
      if (slot === "range" && !req.hasRange) continue;
      state.seen++;
      if (state.seen <= (rule.after ?? 0) || state.remaining <= 0) continue;
      if (plan[slot]) continue;
      if (rule.kind === "rateLimit") {
        const now = Date.now();
        const recent = (state.recent ?? []).filter((t) =>
          t > now - rule.windowMs
        );
        recent.push(now);
        state.recent = recent;
        if (recent.length <= rule.calls) continue;
        plan[slot] = { kind: "status", status: 429 };
        state.fired++;
        continue;
      }
      if (state.random && rule.chance !== undefined) {
        if ((state.burstLeft ?? 0) > 0) state.burstLeft = state.burstLeft! - 1;
        else if (state.random() < rule.chance) {
          state.burstLeft = Math.max(0, (rule.burst ?? 1) - 1);
        } else continue;
      }
      plan[slot] = rule;
      state.remaining--;
      state.fired++;
    }
    return plan;
  }

  /** Ends every current `stall` early. */
  releaseStalls(): void {
    for (const release of [...this.#releases]) release();
    this.#releases.clear();
  }

  /**
   * Resolves when a response is stalled (at once if one is now), e.g. to
   * kill the client at an exact byte offset. Rejects after `timeoutMs`
   * (by default a minute: a hang detector, never a speed target).
   */
  waitForStall(timeoutMs = 60_000): Promise<void> {
    if (this.#stalled > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { after: -1, resolve: () => done() };
      const timer = setTimeout(() => {
        this.#stallWaiters = this.#stallWaiters.filter((w) => w !== waiter);
        reject(new Error(`No response stalled within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#stallWaiters.push(waiter);
    });
  }

  /**
   * Resolves when the next response stalls whose request arrived after
   * this call, e.g. to signal a child process at a known point of its
   * download. A request of an earlier (killed) client that the server only
   * now gets to stall does not count. No time limit: a client that never
   * gets there hangs the test until CI's job timeout, rather than failing
   * on a busy machine.
   */
  nextStall(): Promise<void> {
    const after = this.#arrivals;
    return new Promise((resolve) =>
      this.#stallWaiters.push({ after, resolve })
    );
  }

  /** Numbers an arriving request (1, 2, …); the server calls it. */
  arrive(): number {
    return ++this.#arrivals;
  }

  /**
   * Waits `ms` (Infinity: until released) as a stall; ends early on
   * `releaseStalls()` or when `signal` aborts. Used by the server.
   */
  async stall(
    ms: number,
    signal: AbortSignal,
    arrival = Infinity,
  ): Promise<void> {
    this.#stalled++;
    const woken = this.#stallWaiters.filter((w) => arrival > w.after);
    this.#stallWaiters = this.#stallWaiters.filter((w) => arrival <= w.after);
    for (const w of woken) w.resolve();
    try {
      await new Promise<void>((resolve) => {
        const finish = () => {
          signal.removeEventListener("abort", finish);
          this.#releases.delete(finish);
          resolve();
        };
        if (signal.aborted) return finish();
        signal.addEventListener("abort", finish);
        this.#releases.add(finish);
        if (Number.isFinite(ms)) this.sleep(ms, signal).then(finish);
      });
    } finally {
      this.#stalled--;
    }
  }
}

/** mulberry32: a small seeded PRNG in [0, 1). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(rule: FaultRule, req: FaultRequest): boolean {
  if (rule.path !== undefined) {
    let ok: boolean;
    if (typeof rule.path === "string") {
      ok = req.path.startsWith(rule.path);
    } else {
      rule.path.lastIndex = 0;
      ok = rule.path.test(req.path);
    }
    if (!ok) return false;
  }
  if (rule.method !== undefined && rule.method !== req.flickrMethod) {
    return false;
  }
  return true;
}

/** Sleeps `ms`, ending early (without error) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener("abort", finish);
  });
}
