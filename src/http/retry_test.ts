import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { AuthError, UnavailableError } from "../errors.ts";
import { FakeClock } from "../platform/clock.ts";
import { HostNotAllowedError, TransientError } from "./errors.ts";
import { fetchClient, type HttpClient } from "./http_client.ts";
import { Pacer } from "./pacer.ts";
import {
  classifyError,
  DEFAULT_RETRY_POLICY,
  type RetryEvent,
  retrying,
  transientForStatus,
  withRetry,
} from "./retry.ts";

const T0 = 1_700_000_000_000;
const half = () => 0.5;

/** An operation failing with `errors` in turn, then returning "ok". */
function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const operation = (attempt: number) => {
    calls.push(attempt);
    const error = errors[attempt - 1];
    return error === undefined ? Promise.resolve("ok") : Promise.reject(error);
  };
  return { operation, calls };
}

function notCapable(host: string): Error {
  const error = new Error(
    `Requires net access to "${host}", run again with the --allow-net flag`,
  );
  error.name = "NotCapable";
  return error;
}

Deno.test("retrying() retries network errors with backoff, then succeeds", async () => {
  const clock = new FakeClock(T0);
  const { operation, calls } = failing(
    new TypeError("fetch failed"),
    new TypeError("error reading a body from connection"),
  );
  const events: RetryEvent[] = [];
  const result = await retrying(operation, {
    clock,
    random: half,
    label: "flickr.test.login",
    onRetry: (event) => events.push(event),
  });
  assertStrictEquals(result, "ok");
  assertEquals(calls, [1, 2, 3]);
  assertEquals(clock.sleeps, [500, 1000]); // full jitter, random 0.5
  assertEquals(events.map((e) => [e.label, e.attempt, e.delayMs]), [
    ["flickr.test.login", 1, 500],
    ["flickr.test.login", 2, 1000],
  ]);
  assertStringIncludes(events[0]?.cause ?? "", "network error: fetch failed");
});

Deno.test("retrying() gives up after the budget with the last cause", async () => {
  const clock = new FakeClock(T0);
  const { operation, calls } = failing(
    ...Array.from({ length: 10 }, (_, i) => new TransientError(`HTTP 50${i}`)),
  );
  const error = await assertRejects(
    () => retrying(operation, { clock, random: () => 1 }),
    UnavailableError,
  );
  assertStrictEquals(
    error.message,
    "Flickr is not answering (HTTP 505): try again later",
  );
  assertStrictEquals(error.exitCode, 5);
  assertStrictEquals(calls.length, DEFAULT_RETRY_POLICY.attempts);
  assertEquals(clock.sleeps, [1000, 2000, 4000, 8000, 16_000]);
});

Deno.test("retrying() never retries permanent errors (table)", async () => {
  const cases: [string, unknown, abstract new (...args: never[]) => Error][] = [
    [
      "auth",
      new AuthError("Flickr no longer accepts the saved sign-in"),
      AuthError,
    ],
    ["bug", new RangeError("oops"), RangeError],
    ["NotCapable", notCapable("evil.example:443"), HostNotAllowedError],
  ];
  for (const [name, thrown, expected] of cases) {
    const clock = new FakeClock(T0);
    const { operation, calls } = failing(thrown, thrown);
    await assertRejects(() => retrying(operation, { clock }), expected);
    assertEquals(calls, [1], name);
    assertEquals(clock.sleeps, [], name);
  }
});

Deno.test("retrying() names the refused host of a NotCapable error", async () => {
  const error = await assertRejects(
    () =>
      retrying(failing(notCapable("cdn.example:443")).operation, {
        clock: new FakeClock(),
      }),
    HostNotAllowedError,
  );
  assertStrictEquals(
    error.message,
    'Cannot contact "cdn.example:443": it is not a Flickr host this binary may contact (Deno refused network access)',
  );
  assertStrictEquals(error.host, "cdn.example:443");
});

Deno.test("retrying() sleeps exactly Retry-After and pauses the shared pacer on 429", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock });
  const { operation, calls } = failing(
    new TransientError("HTTP 429", { retryAfterMs: 1000, rateLimited: true }),
    new TransientError("HTTP 503", { retryAfterMs: 2500 }),
  );
  const events: RetryEvent[] = [];
  await retrying(operation, {
    clock,
    pacer,
    random: half,
    onRetry: (e) => events.push(e),
  });
  assertEquals(calls, [1, 2, 3]);
  assertEquals(clock.sleeps, [1000, 2500]);
  assertStrictEquals(pacer.state.blockedUntil, T0 + 1000);
  assertEquals(events.map((e) => e.fromRetryAfter), [true, true]);
});

Deno.test("retrying() waits at least the floor after a 429 without Retry-After", async () => {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ clock });
  const { operation } = failing(
    new TransientError("HTTP 429", { rateLimited: true }),
    new TransientError("HTTP 503"),
  );
  await retrying(operation, { clock, pacer, random: half });
  // 429: max(500 backoff, 10 s floor); 503: plain backoff.
  assertEquals(clock.sleeps, [10_000, 1000]);
  assertStrictEquals(pacer.state.blockedUntil, T0 + 10_000);
  const clock2 = new FakeClock(T0);
  await retrying(
    failing(new TransientError("HTTP 429", { rateLimited: true })).operation,
    { clock: clock2, random: half, policy: { rateLimitFloorMs: 0 } },
  );
  assertEquals(clock2.sleeps, [500]);
});

Deno.test("retrying() stops at once when Retry-After is over the cap", async () => {
  const clock = new FakeClock(T0);
  const { operation, calls } = failing(
    new TransientError("HTTP 429", {
      retryAfterMs: 3_600_000,
      rateLimited: true,
    }),
  );
  const error = await assertRejects(
    () => retrying(operation, { clock }),
    UnavailableError,
  );
  assertStrictEquals(
    error.message,
    "Flickr asked to wait 1 h before the next request (HTTP 429), longer than the 5 min a run waits: try again later",
  );
  assertEquals(calls, [1]);
  assertEquals(clock.sleeps, []);
  // A raised cap lets the same wait through.
  const clock2 = new FakeClock(T0);
  await retrying(
    failing(new TransientError("HTTP 429", { retryAfterMs: 3_600_000 }))
      .operation,
    {
      clock: clock2,
      policy: { maxRetryAfterMs: 2 * 3_600_000 },
    },
  );
  assertEquals(clock2.sleeps, [3_600_000]);
});

Deno.test("retrying() honours a smaller budget and whenExhausted for a kind of failure", async () => {
  const clock = new FakeClock(T0);
  class ProtocolError extends Error {}
  const bad = () =>
    new TransientError("invalid JSON", {
      maxAttempts: 2,
      whenExhausted: () => new ProtocolError("Flickr sent invalid JSON"),
    });
  const { operation, calls } = failing(bad(), bad(), bad());
  await assertRejects(() => retrying(operation, { clock }), ProtocolError);
  assertEquals(calls, [1, 2]);
});

Deno.test("retrying() uses the policy overrides", async () => {
  const clock = new FakeClock(T0);
  const { operation, calls } = failing(
    new TransientError("x"),
    new TransientError("x"),
    new TransientError("x"),
  );
  await assertRejects(
    () =>
      retrying(operation, {
        clock,
        random: () => 1,
        policy: { attempts: 3, baseMs: 10, maxMs: 15, jitter: "none" },
      }),
    UnavailableError,
  );
  assertEquals(calls, [1, 2, 3]);
  assertEquals(clock.sleeps, [10, 15]);
});

Deno.test("retrying() stops with the abort reason during a wait, sending nothing more", async () => {
  const controller = new AbortController();
  const reason = new Error("SIGINT");
  const clock = new FakeClock(T0);
  const abortingClock = {
    now: () => clock.now(),
    sleep: (ms: number, signal?: AbortSignal) => {
      controller.abort(reason);
      return clock.sleep(ms, signal);
    },
  };
  const { operation, calls } = failing(
    new TypeError("fetch failed"),
    new TypeError("fetch failed"),
  );
  const error = await assertRejects(() =>
    retrying(operation, { clock: abortingClock, signal: controller.signal })
  );
  assertStrictEquals(error, reason);
  assertEquals(calls, [1]);
});

Deno.test("retrying() rethrows the abort reason instead of retrying an aborted request", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const { calls } = failing();
  const operation = (attempt: number) => {
    calls.push(attempt);
    controller.abort(reason);
    // What fetch throws when its signal fires.
    return Promise.reject(new DOMException("aborted", "AbortError"));
  };
  const error = await assertRejects(() =>
    retrying(operation, { clock: new FakeClock(), signal: controller.signal })
  );
  assertStrictEquals(error, reason);
  assertEquals(calls, [1]);
  // Already aborted: no try at all.
  const again = failing();
  await assertRejects(() =>
    retrying(again.operation, {
      clock: new FakeClock(),
      signal: controller.signal,
    })
  );
  assertEquals(again.calls, []);
});

Deno.test("classifyError() sorts thrown errors (table)", () => {
  const timeout = new DOMException("timed out", "TimeoutError");
  const cases: [string, unknown, string | undefined][] = [
    [
      "fetch TypeError",
      new TypeError("fetch failed"),
      "network error: fetch failed",
    ],
    ["timeout", timeout, "the request timed out"],
    ["transient", new TransientError("HTTP 502"), "HTTP 502"],
    ["auth", new AuthError("x"), undefined],
    ["syntax", new SyntaxError("x"), undefined],
    ["string", "boom", undefined],
  ];
  for (const [name, error, expected] of cases) {
    assertStrictEquals(classifyError(error)?.message, expected, name);
  }
});

Deno.test("transientForStatus() retries 408/425/429/5xx only and reads Retry-After (table)", () => {
  const cases: [
    number,
    Record<string, string>,
    string | undefined,
    number | undefined,
  ][] = [
    [200, {}, undefined, undefined],
    [301, {}, undefined, undefined],
    [401, {}, undefined, undefined],
    [403, {}, undefined, undefined],
    [404, {}, undefined, undefined],
    [501, {}, undefined, undefined],
    [408, {}, "HTTP 408", undefined],
    [429, {}, "HTTP 429", undefined],
    [429, { "retry-after": "7" }, "HTTP 429", 7000],
    [429, { "retry-after": "garbage" }, "HTTP 429", undefined],
    [500, { "retry-after": "7" }, "HTTP 500", undefined],
    [502, {}, "HTTP 502", undefined],
    [503, { "retry-after": "Tue, 14 Nov 2023 22:13:22 GMT" }, "HTTP 503", 2000],
    [504, {}, "HTTP 504", undefined],
  ];
  for (const [status, headers, message, retryAfterMs] of cases) {
    const result = transientForStatus(
      new Response(null, { status, headers }),
      T0,
    );
    assertStrictEquals(result?.message, message, String(status));
    assertStrictEquals(result?.retryAfterMs, retryAfterMs, String(status));
    if (result) assertStrictEquals(result.rateLimited, status === 429);
  }
});

Deno.test("withRetry() retries 503 then returns the 200, over real HTTP", async () => {
  let hits = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      hits++;
      return hits < 3
        ? new Response("busy", { status: 503 })
        : new Response("done");
    },
  );
  const clock = new FakeClock(T0);
  const http = withRetry(fetchClient, { clock, random: half });
  const response = await http(
    new Request(`http://127.0.0.1:${server.addr.port}/p/1.jpg`),
  );
  assertStrictEquals(await response.text(), "done");
  assertStrictEquals(hits, 3);
  assertEquals(clock.sleeps, [500, 1000]);
});

Deno.test("withRetry() passes 404 through and ends a dead host with a redacted UnavailableError", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("nope", { status: 404 }),
  );
  const port = server.addr.port;
  const clock = new FakeClock(T0);
  const http = withRetry(fetchClient, {
    clock,
    policy: { attempts: 2 },
  });
  const notFound = await http(new Request(`http://127.0.0.1:${port}/x`));
  assertStrictEquals(notFound.status, 404);
  await notFound.body?.cancel();
  await server.shutdown();

  // A dead host: the discard port, where nothing listens (the port just
  // freed could be taken again, or be the client's own: a self-connect).
  const error = await assertRejects(
    () =>
      http(
        new Request(
          `http://127.0.0.1:9/video.mp4?s=SECRETTOKEN&oauth_token=TOKENVALUE`,
        ),
      ),
    UnavailableError,
  );
  assertStringIncludes(
    error.message,
    "Flickr is not answering (network error:",
  );
  const everything = JSON.stringify([
    error.message,
    String((error.cause as Error).cause),
    (error.cause as Error).stack,
  ]);
  assert(!everything.includes("SECRETTOKEN"), everything);
  assert(!everything.includes("TOKENVALUE"), everything);
});

Deno.test("withRetry() does not retry a request the binary may not send", async () => {
  let calls = 0;
  const refusing: HttpClient = () => {
    calls++;
    return Promise.reject(notCapable("evil.example:443"));
  };
  const http = withRetry(refusing, { clock: new FakeClock() });
  await assertRejects(
    () => http(new Request("https://evil.example/x")),
    HostNotAllowedError,
    '"evil.example:443"',
  );
  assertStrictEquals(calls, 1);
});

Deno.test("retrying() tries an immediate failure again at once, counting the try", async () => {
  const clock = new FakeClock(T0);
  const random: number[] = [];
  const { operation, calls } = failing(
    new TransientError("restart from zero", { immediate: true }),
    new TransientError("HTTP 503"),
  );
  const result = await retrying(operation, {
    clock,
    random: () => (random.push(1), 0.5),
  });
  assertStrictEquals(result, "ok");
  assertEquals(calls, [1, 2, 3]);
  // No wait and no jitter drawn for the restart; the 503 waits as its try
  // (the second) says: half of 2 s.
  assertEquals(clock.sleeps, [1000]);
  assertEquals(random.length, 1);
});

Deno.test("retrying() with onlyTransient passes a network error straight through", async () => {
  const clock = new FakeClock(T0);
  const network = new TypeError("fetch failed");
  const { operation, calls } = failing(network);
  const error = await assertRejects(
    () => retrying(operation, { clock, random: half, onlyTransient: true }),
    TypeError,
  );
  assertStrictEquals(error, network);
  assertEquals(calls, [1]);
  assertEquals(clock.sleeps, []);
});
