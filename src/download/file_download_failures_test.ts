/**
 * Download engine tests over real HTTP: junk answers, status codes, Retry-After and backoff, stalls and abort (RELIABILITY §9.2 cases 9, 10, 14, 15, 18). Backoff and idle timeouts
 * run on a FakeClock (no real waits). Every test checks the invariants
 * (tests/helpers/download_ctx.ts).
 *
 * @module
 */

import * as path from "node:path";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "../../tests/assert.ts";
import {
  assertInvariants,
  exists,
  jpegResource,
  tree,
  withCtx,
} from "../../tests/helpers/download_ctx.ts";
import { fetchClient } from "../http/http_client.ts";
import { FakeClock } from "../platform/clock.ts";
import { createDownloader, DownloadFailedError } from "./file_download.ts";

// ---------------------------------------------------------------------------
// Junk answers (case 14)

Deno.test("download() retries an HTML page or an empty body sent with 200", async () => {
  for (const fault of [{ html: true }, { htmlBytes: true }, { empty: true }]) {
    await withCtx(async ({ dir, server, dest, downloader }) => {
      const resource = jpegResource();
      server.route("/p.jpg", resource, [fault]);
      const result = await downloader().download({
        url: server.url("/p.jpg"),
        dest,
        expect: "image",
      });
      assertEquals(result.attempts, 2);
      await assertInvariants(dir, dest, resource.body as Uint8Array);
    });
  }
});

Deno.test("download() fails an item that only ever answers HTML, leaving nothing", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    server.route(
      "/p.jpg",
      jpegResource(),
      Array.from({ length: 5 }, () => ({ htmlBytes: true })),
    );
    const err = await assertRejects(
      () =>
        downloader().download({
          url: server.url("/p.jpg"),
          dest,
          expect: "image",
        }),
      DownloadFailedError,
      "HTML page",
    );
    assertEquals(err.transient, true);
    assertEquals(server.requestsFor("/p.jpg").length, 5);
    assertEquals(clock.sleeps.length, 4);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() rejects bytes of the wrong kind at once (a poster JPEG for a video)", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    server.route("/v.mp4", jpegResource());
    const err = await assertRejects(
      () =>
        downloader().download({
          url: server.url("/v.mp4"),
          dest,
          expect: "video",
        }),
      DownloadFailedError,
      "expected a video but the data is jpeg",
    );
    assertEquals(err.transient, false);
    assertEquals(server.requestsFor("/v.mp4").length, 1);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() decodes a gzip Content-Encoding without a false size alarm and never resumes it", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(100_000);
    server.route("/p.jpg", resource, [
      { gzip: true, resetAfter: 20_000 },
      { gzip: true },
    ]);
    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    const reqs = server.requestsFor("/p.jpg");
    assertEquals(reqs.length, 2);
    assertEquals(reqs[1]?.headers.get("range"), null);
    assertEquals(result.bytes, 100_000);
    assertEquals(result.resumed, false);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

// ---------------------------------------------------------------------------
// Status codes, Retry-After, backoff (cases 9, 10, 14)

Deno.test("download() honours Retry-After in seconds and as an HTTP-date", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    const resource = jpegResource();
    // FakeClock: the second answer comes 2 s (virtual) after the first.
    const at = new Date(clock.now() + 2000 + 3000).toUTCString();
    server.route("/p.jpg", resource, [
      { status: 429, retryAfter: "2" },
      { status: 503, retryAfter: at },
    ]);
    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(clock.sleeps, [2000, 3000]);
    assertEquals(result.attempts, 3);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() gives up at once on a Retry-After over the cap", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    server.route("/p.jpg", jpegResource(), [
      { status: 429, retryAfter: "3600" },
    ]);
    const err = await assertRejects(
      () =>
        downloader().download({
          url: server.url("/p.jpg"),
          dest,
          expect: "image",
        }),
      DownloadFailedError,
      "asked to wait 3600 s, more than the 300 s limit",
    );
    assertEquals([err.status, err.transient], [429, true]);
    assertEquals(clock.sleeps, []);
    assertEquals(server.requestsFor("/p.jpg").length, 1);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() backs off exponentially within the cap on 5xx", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    const resource = jpegResource();
    server.route("/p.jpg", resource, [
      { status: 500 },
      { status: 502 },
      { status: 503 },
      { status: 504 },
    ]);
    const result = await downloader({ baseDelayMs: 1000, maxDelayMs: 5000 })
      .download({ url: server.url("/p.jpg"), dest, expect: "image" });
    // random() = 1: full jitter at its upper bound.
    assertEquals(clock.sleeps, [1000, 2000, 4000, 5000]);
    assertEquals(result.attempts, 5);
    await assertInvariants(dir, dest, resource.body as Uint8Array);

    // Jitter keeps delays within [0, bound].
    const jittered = new FakeClock();
    server.queue("/p.jpg", { status: 500 }, { status: 500 });
    await createDownloader({
      http: fetchClient,
      clock: jittered,
      random: () => 0.5,
    }).download({
      url: server.url("/p.jpg"),
      dest: path.join(dir, "j.jpg"),
      expect: "image",
    });
    assertEquals(jittered.sleeps, [500, 1000]);
  });
});

Deno.test("download() fails with a transient error after the attempts run out", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    server.route(
      "/p.jpg",
      jpegResource(),
      Array.from({ length: 10 }, () => ({ status: 503 })),
    );
    const err = await assertRejects(
      () =>
        downloader().download({
          url: server.url("/p.jpg"),
          dest,
          expect: "image",
        }),
      DownloadFailedError,
      "503",
    );
    assertEquals([err.status, err.transient], [503, true]);
    assertEquals(server.requestsFor("/p.jpg").length, 5);
    assertEquals(clock.sleeps.length, 4);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() retries a CDN 403/404 at most 3 times and other 4xx never", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource();
    server.route("/once.jpg", resource, [{ status: 404 }]);
    const ok = await downloader().download({
      url: server.url("/once.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(ok.attempts, 2);
    await assertInvariants(dir, dest, resource.body as Uint8Array);

    for (const status of [403, 404]) {
      server.route(
        "/gone.jpg",
        resource,
        Array.from({ length: 10 }, () => ({ status })),
      );
      const err = await assertRejects(
        () =>
          downloader().download({
            url: server.url("/gone.jpg"),
            dest: path.join(dir, `gone${status}.jpg`),
            expect: "image",
          }),
        DownloadFailedError,
      );
      assertEquals([err.status, err.transient], [status, false]);
      assertEquals(server.requestsFor("/gone.jpg").length, 3);
      server.requests.length = 0;
    }
    for (const status of [400, 401, 410]) {
      server.route("/bad.jpg", resource, [{ status }]);
      const err = await assertRejects(
        () =>
          downloader().download({
            url: server.url("/bad.jpg"),
            dest: path.join(dir, `bad${status}.jpg`),
            expect: "image",
          }),
        DownloadFailedError,
      );
      assertEquals([err.status, err.transient], [status, false]);
      assertEquals(server.requestsFor("/bad.jpg").length, 1);
      server.requests.length = 0;
    }
  });
});

Deno.test("download() never puts a query string in an error", async () => {
  await withCtx(async ({ server, dest, downloader }) => {
    server.route(
      "/p.jpg",
      jpegResource(),
      Array.from({ length: 5 }, () => ({ status: 500 })),
    );
    const e1 = await assertRejects(
      () =>
        downloader().download({
          url: server.url("/p.jpg") + "?oauth_token=SECRET&sig=SECRET",
          dest,
          expect: "image",
        }),
      DownloadFailedError,
    );
    assert(!e1.message.includes("SECRET"), e1.message);
    assertEquals(e1.url, server.url("/p.jpg"));

    // A refused connection: Deno's own error quotes the URL. Port 9 (discard)
    // has no listener; a port freed by a closed server could be taken again
    // or be the client's own source port (a TCP self-connect).
    const port = 9;
    const e2 = await assertRejects(
      () =>
        downloader().download({
          url: `http://127.0.0.1:${port}/x.jpg?oauth_signature=SECRET`,
          dest,
          expect: "image",
        }),
      DownloadFailedError,
    );
    assert(!e2.message.includes("SECRET"), e2.message);
    assert(!JSON.stringify(e2).includes("SECRET"));
    assertEquals(e2.transient, true);
  });
});

// ---------------------------------------------------------------------------
// Stalls and abort (cases 15, 18)

Deno.test("download() aborts a stalled body after the idle timeout and resumes (case 15)", async () => {
  await withCtx(async ({ dir, server, dest, downloader, clock }) => {
    const resource = jpegResource(100_000);
    server.route("/p.jpg", resource, [{ stallAfter: 30_000 }]);
    let received = 0;
    const result = await downloader({ idleTimeoutMs: 120_000 }).download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
      onProgress(delta) {
        received += delta;
        // The server stops here: two minutes of (virtual) silence follow.
        if (received === 30_000) clock.advance(120_000);
      },
    });
    assertEquals(
      server.requestsFor("/p.jpg")[1]?.headers.get("range"),
      "bytes=30000-",
    );
    assertEquals(result.resumed, true);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() times out a server that never sends headers", async () => {
  await withCtx(async ({ dir, server, dest, downloader, clock }) => {
    const resource = jpegResource(10_000);
    server.route("/p.jpg", resource, [{
      stallHeaders: true,
      onStall: () => clock.advance(120_000),
    }]);
    const result = await downloader({ idleTimeoutMs: 120_000 }).download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(result.attempts, 2);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() stops promptly on abort, keeps a resumable part and throws the reason", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(100_000);
    server.route("/p.jpg", resource, [{ stallAfter: 40_000 }]);
    const controller = new AbortController();
    const reason = new Error("SIGINT");
    let received = 0;
    const err = await assertRejects(() =>
      downloader().download({
        url: server.url("/p.jpg"),
        dest,
        expect: "image",
        signal: controller.signal,
        onProgress(d) {
          received += d;
          if (received >= 40_000) controller.abort(reason);
        },
      })
    );
    assertStrictEquals(err, reason);
    await assertInvariants(dir, dest, undefined, true);
    assertEquals(server.requestsFor("/p.jpg").length, 1, "no retry on abort");

    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(result.resumed, true);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() rejects at once with an already aborted signal", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    server.route("/p.jpg", jpegResource());
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await assertRejects(
      () =>
        downloader().download({
          url: server.url("/p.jpg"),
          dest,
          expect: "image",
          signal: controller.signal,
        }),
      Error,
      "stop",
    );
    assertEquals(server.requests.length, 0);
    assert(
      !(await exists(path.dirname(dest))) || (await tree(dir)).length === 0,
    );
  });
});
