/**
 * Download engine tests over real HTTP: the happy path, small bodies kept in memory, resume (RELIABILITY §9.2 cases 1, 2, 4–8, 16). Backoff and idle timeouts
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
  assertStringIncludes,
} from "../../tests/assert.ts";
import {
  fakeJpeg,
  fakePng,
  fakeVideo,
  type RawReply,
  type Resource,
  startRawServer,
} from "../../tests/helpers/download_server.ts";
import {
  assertInvariants,
  type Ctx,
  jpegResource,
  REPO_ROOT,
  sha256,
  withCtx,
} from "../../tests/helpers/download_ctx.ts";
import { fetchClient } from "../http/http_client.ts";
import { FakeClock } from "../platform/clock.ts";
import {
  createDownloader,
  DownloadFailedError,
  partPathsFor,
} from "./file_download.ts";

// ---------------------------------------------------------------------------
// Happy path

Deno.test("download() saves a JPEG and reports its hash, kind and final URL", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource();
    server.route("/12_ab_o.jpg", resource);
    let progress = 0;
    const result = await downloader().download({
      url: server.url("/12_ab_o.jpg") + "?s=SIGNED",
      dest,
      expect: "image",
      onProgress: (d) => (progress += d),
    });
    const body = resource.body as Uint8Array;
    assertEquals(result, {
      bytes: body.length,
      sha256: sha256(body),
      finalUrl: server.url("/12_ab_o.jpg"),
      contentType: "image/jpeg",
      etag: '"v1"',
      kind: "jpeg",
      suggestedExtension: "jpg",
      resumed: false,
      attempts: 1,
    });
    assertEquals(progress, body.length);
    const [req] = server.requestsFor("/12_ab_o.jpg");
    assertEquals(req?.headers.get("accept-encoding"), "identity");
    assertEquals(req?.headers.get("range"), null);
    await assertInvariants(dir, dest, body);
  });
});

Deno.test("download() streams a large body to disk intact whatever the chunk sizes (first chunks shorter than the sniffed bytes, some larger than the read buffer)", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(1_500_000);
    // Tiny first chunks (loopback may still deliver them in one read), then
    // sizes around and above the reused 256 KB read buffer.
    const chunkSizes = [7, 100, 3, 511, 2, 4096, 300_000, 65_536, 262_145, 1];
    server.route("/big_o.jpg", resource, [{ chunkSizes }]);
    const result = await downloader().download({
      url: server.url("/big_o.jpg"),
      dest,
      expect: "image",
    });
    const body = resource.body as Uint8Array;
    assertEquals([result.bytes, result.sha256, result.kind], [
      body.length,
      sha256(body),
      "jpeg",
    ]);
    await assertInvariants(dir, dest, body);
  });
});

Deno.test("download() replaces a PNG-at-.jpg extension and reads Content-Disposition", async () => {
  await withCtx(async ({ dir, server, downloader }) => {
    const png = fakePng(5000);
    server.route("/x_o.jpg", { body: png, contentType: "image/jpeg" });
    const pngDest = path.join(dir, "x.jpg");
    const r1 = await downloader().download({
      url: server.url("/x_o.jpg"),
      dest: pngDest,
      expect: "image",
    });
    assertEquals([r1.kind, r1.suggestedExtension], ["png", "png"]);
    await assertInvariants(dir, pngDest, png);

    const mov = fakeVideo(8000, "qt  ");
    server.route("/play/orig/abc/", {
      body: mov,
      contentType: "video/quicktime",
      contentDisposition: "attachment; filename=26348530105.mov",
    });
    const movDest = path.join(dir, "video.bin");
    const r2 = await downloader().download({
      url: server.url("/play/orig/abc/"),
      dest: movDest,
      expect: "video",
    });
    assertEquals([r2.kind, r2.suggestedExtension], ["mov", "mov"]);
    await assertInvariants(dir, movDest, mov);
  });
});

// ---------------------------------------------------------------------------
// Small bodies kept in memory (memoryMaxBytes)

Deno.test("download() keeps a small body in memory: checked, returned, nothing written (a broken first attempt included)", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(20_000);
    server.route("/s.jpg", resource, [{ resetAfter: 8_000 }]);
    const result = await downloader().download({
      url: server.url("/s.jpg"),
      dest,
      expect: "image",
      memoryMaxBytes: 20_000,
    });
    const body = resource.body as Uint8Array;
    assert(result.body !== undefined, "the bytes come back in memory");
    assertEquals(sha256(result.body), sha256(body));
    assertEquals([result.bytes, result.sha256], [body.length, sha256(body)]);
    assertEquals([result.kind, result.attempts], ["jpeg", 2]);
    // The retry starts from byte 0: nothing on disk to resume from.
    assertEquals(server.requestsFor("/s.jpg")[1]?.headers.get("range"), null);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() in memory still refuses a JPEG without its end marker, and writes nothing", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const cut = fakeJpeg(6_000).slice(0, 5_000);
    server.route("/cut.jpg", { body: cut, contentType: "image/jpeg" });
    const err = await assertRejects(
      () =>
        downloader({ attempts: 2 }).download({
          url: server.url("/cut.jpg"),
          dest,
          expect: "image",
          memoryMaxBytes: 1_000_000,
        }),
      DownloadFailedError,
    );
    assertStringIncludes(err.message, "truncated");
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() reads a small body straight into one buffer of its size (BYOB), or chunk by chunk from a stream that is no byte stream", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(20_000);
    server.route("/s.jpg", resource);
    const body = resource.body as Uint8Array;
    // The real response, its body passed through a byte stream that notes
    // whether each read brought its own buffer.
    const pulls: boolean[] = [];
    const byteStream = async (request: Request) => {
      const response = await fetchClient(request);
      const source = response.body!.getReader();
      return new Response(
        new ReadableStream({
          type: "bytes",
          async pull(controller) {
            pulls.push(controller.byobRequest !== null);
            const { done, value } = await source.read();
            if (done) {
              controller.close();
              controller.byobRequest?.respond(0);
            } else controller.enqueue(value);
          },
        }),
        response,
      );
    };
    const r1 = await downloader({ http: byteStream }).download({
      url: server.url("/s.jpg"),
      dest,
      expect: "image",
      memoryMaxBytes: 20_000,
    });
    assert(pulls.length > 0 && pulls.every((own) => own), `${pulls}`);
    assert(r1.body !== undefined);
    assertEquals(r1.body.buffer.byteLength, body.length);
    assertEquals([sha256(r1.body), r1.sha256], [sha256(body), sha256(body)]);

    // A plain stream has no BYOB reader: read chunk by chunk instead.
    const plainStream = async (request: Request) => {
      const response = await fetchClient(request);
      return new Response(
        response.body!.pipeThrough(new TransformStream()),
        response,
      );
    };
    const r2 = await downloader({ http: plainStream }).download({
      url: server.url("/s.jpg"),
      dest,
      expect: "image",
      memoryMaxBytes: 20_000,
    });
    assert(r2.body !== undefined);
    assertEquals([sha256(r2.body), r2.sha256], [sha256(body), sha256(body)]);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() in memory refuses a body longer than its Content-Length, read into one buffer or chunk by chunk", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    server.route("/s.jpg", jpegResource(20_000));
    // The real response with one byte more than its declared length, as
    // a byte stream (read into one buffer) or a plain one (chunk by chunk).
    const longer = (bytes: boolean) => async (request: Request) => {
      const response = await fetchClient(request);
      const source = response.body!.getReader();
      let extra = true;
      const pull = async (
        controller:
          | ReadableByteStreamController
          | ReadableStreamDefaultController<Uint8Array>,
      ) => {
        const { done, value } = await source.read();
        if (!done) controller.enqueue(value);
        else if (extra) {
          extra = false;
          controller.enqueue(new Uint8Array([0]));
        } else {
          controller.close();
          if ("byobRequest" in controller) {
            controller.byobRequest?.respond(0);
          }
        }
      };
      return new Response(
        bytes
          ? new ReadableStream({ type: "bytes", pull })
          : new ReadableStream<Uint8Array>({ pull }),
        response,
      );
    };
    for (const bytes of [true, false]) {
      const err = await assertRejects(
        () =>
          downloader({ http: longer(bytes), attempts: 1 }).download({
            url: server.url("/s.jpg"),
            dest,
            expect: "image",
            memoryMaxBytes: 20_000,
          }),
        DownloadFailedError,
      );
      assertStringIncludes(
        err.message,
        "the server sent more than the 20000 bytes it declared",
      );
    }
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() in memory still times out a stalled body (idle timeout) and starts again from 0", async () => {
  await withCtx(async ({ dir, server, dest, downloader, clock }) => {
    const resource = jpegResource(20_000);
    server.route("/s.jpg", resource, [{ stallAfter: 8_000 }]);
    let received = 0;
    let stalled = false;
    const result = await downloader({ idleTimeoutMs: 120_000 }).download({
      url: server.url("/s.jpg"),
      dest,
      expect: "image",
      memoryMaxBytes: 20_000,
      onProgress(delta) {
        received += delta;
        // The server stops here: two minutes of (virtual) silence follow.
        if (received >= 8_000 && !stalled) {
          stalled = true;
          clock.advance(120_000);
        }
      },
    });
    const body = resource.body as Uint8Array;
    assert(stalled);
    assertEquals(result.attempts, 2);
    assertEquals(server.requestsFor("/s.jpg")[1]?.headers.get("range"), null);
    assert(result.body !== undefined);
    assertEquals([sha256(result.body), result.sha256], [
      sha256(body),
      sha256(body),
    ]);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() writes a body over memoryMaxBytes, or of unknown length, through the part file", async () => {
  await withCtx(async ({ dir, server, downloader }) => {
    const big = jpegResource(30_000);
    server.route("/big.jpg", big);
    const bigDest = path.join(dir, "big.jpg");
    const r1 = await downloader().download({
      url: server.url("/big.jpg"),
      dest: bigDest,
      expect: "image",
      memoryMaxBytes: 29_999,
    });
    assertEquals(r1.body, undefined);
    await assertInvariants(dir, bigDest, big.body as Uint8Array);

    const chunked = jpegResource(10_000);
    server.route("/chunked.jpg", chunked, [{ noContentLength: true }]);
    const chunkedDest = path.join(dir, "chunked.jpg");
    const r2 = await downloader().download({
      url: server.url("/chunked.jpg"),
      dest: chunkedDest,
      expect: "image",
      memoryMaxBytes: 1_000_000,
    });
    assertEquals(r2.body, undefined);
    await assertInvariants(dir, chunkedDest, chunked.body as Uint8Array);
  });
});

// ---------------------------------------------------------------------------
// Resume (cases 1, 2, 5–8, 16)

Deno.test("download() resumes after a reset mid-body with Range and If-Range (case 1)", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    const resource = jpegResource(300_000);
    server.route("/p.jpg", resource, [{ resetAfter: 150_000 }]);
    let progress = 0;
    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
      onProgress: (d) => (progress += d),
    });
    const body = resource.body as Uint8Array;
    const reqs = server.requestsFor("/p.jpg");
    assertEquals(reqs.length, 2);
    const range = /^bytes=(\d+)-$/.exec(reqs[1]?.headers.get("range") ?? "");
    assert(range, "second request asks for the rest");
    const offset = Number(range[1]);
    assert(offset > 0 && offset <= 150_000, `resumed at ${offset}`);
    assertEquals(reqs[1]?.headers.get("if-range"), '"v1"');
    assertEquals(progress, body.length, "the prefix was not fetched twice");
    assertEquals(result.resumed, true);
    assertEquals(result.attempts, 2);
    assertEquals(result.sha256, sha256(body));
    assertEquals(clock.sleeps.length, 1);
    await assertInvariants(dir, dest, body);
  });
});

Deno.test("download() keeps a strong-ETag part after failing and resumes it on the next run (case 2)", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(200_000);
    server.route("/p.jpg", resource, [{ resetAfter: 70_000 }]);
    const err = await assertRejects(
      () =>
        downloader({ attempts: 1 }).download({
          url: server.url("/p.jpg"),
          dest,
          expect: "image",
        }),
      DownloadFailedError,
    );
    assertEquals(err.transient, true);
    assertEquals(err.exitCode, 3);
    await assertInvariants(dir, dest, undefined, true);
    const partSize = (await Deno.stat(partPathsFor(dest).part)).size;
    assert(partSize > 0 && partSize <= 70_000);

    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(
      server.requestsFor("/p.jpg")[1]?.headers.get("range"),
      `bytes=${partSize}-`,
    );
    assertEquals(result.resumed, true);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

/** Leaves a resumable part of `resource` behind (first run cut short). */
async function leavePart(
  ctx: Ctx,
  urlPath: string,
  cutAt: number,
): Promise<number> {
  ctx.server.queue(urlPath, { resetAfter: cutAt });
  await assertRejects(
    () =>
      ctx.downloader({ attempts: 1 }).download({
        url: ctx.server.url(urlPath),
        dest: ctx.dest,
        expect: "image",
      }),
    DownloadFailedError,
  );
  return (await Deno.stat(partPathsFor(ctx.dest).part)).size;
}

Deno.test("download() restarts from 0 when the server ignores Range (case 5)", async () => {
  await withCtx(async (ctx) => {
    const resource = jpegResource();
    ctx.server.route("/p.jpg", resource);
    await leavePart(ctx, "/p.jpg", 80_000);
    ctx.server.queue("/p.jpg", { ignoreRange: true });
    const result = await ctx.downloader().download({
      url: ctx.server.url("/p.jpg"),
      dest: ctx.dest,
      expect: "image",
    });
    const reqs = ctx.server.requestsFor("/p.jpg");
    assertEquals(reqs.length, 2);
    assert(reqs[1]?.headers.get("range") !== null, "a range was asked for");
    assertEquals(result.resumed, false);
    assertEquals(result.attempts, 1, "the 200 body is used at once");
    await assertInvariants(ctx.dir, ctx.dest, resource.body as Uint8Array);
  });
});

Deno.test("download() restarts on a misaligned 206 or a wrong total, never appends (case 6)", async () => {
  for (const fault of [{ misalignBy: 1000 }, { wrongTotal: true }]) {
    await withCtx(async (ctx) => {
      const resource = jpegResource();
      ctx.server.route("/p.jpg", resource);
      await leavePart(ctx, "/p.jpg", 80_000);
      const sleepsBefore = ctx.clock.sleeps.length;
      ctx.server.queue("/p.jpg", fault);
      const result = await ctx.downloader().download({
        url: ctx.server.url("/p.jpg"),
        dest: ctx.dest,
        expect: "image",
      });
      const reqs = ctx.server.requestsFor("/p.jpg");
      assertEquals(reqs.length, 3);
      assert(reqs[1]?.headers.get("range") !== null);
      assertEquals(reqs[2]?.headers.get("range"), null, "restart from 0");
      assertEquals(result.resumed, false);
      assertEquals(ctx.clock.sleeps.length, sleepsBefore, "no backoff");
      await assertInvariants(ctx.dir, ctx.dest, resource.body as Uint8Array);
    });
  }
});

Deno.test("download() treats 416 as a restart, not as complete (case 7)", async () => {
  await withCtx(async (ctx) => {
    ctx.server.route("/p.jpg", jpegResource(200_000));
    await leavePart(ctx, "/p.jpg", 100_000);
    // The remote file shrank below the part but kept its ETag (a CDN bug).
    const smaller = jpegResource(30_000);
    ctx.server.route("/p.jpg", smaller);
    const result = await ctx.downloader().download({
      url: ctx.server.url("/p.jpg"),
      dest: ctx.dest,
      expect: "image",
    });
    const reqs = ctx.server.requestsFor("/p.jpg");
    assertEquals(reqs.length, 3);
    assertEquals(reqs[2]?.headers.get("range"), null);
    assertEquals(result.bytes, 30_000);
    await assertInvariants(ctx.dir, ctx.dest, smaller.body as Uint8Array);
  });
});

Deno.test("download() gets the new version when the file changed between runs (case 8)", async () => {
  await withCtx(async (ctx) => {
    ctx.server.route("/p.jpg", jpegResource(200_000, '"A"'));
    await leavePart(ctx, "/p.jpg", 100_000);
    const versionB: Resource = {
      body: fakeJpeg(180_000, 99),
      etag: '"B"',
      contentType: "image/jpeg",
    };
    ctx.server.route("/p.jpg", versionB);
    const result = await ctx.downloader().download({
      url: ctx.server.url("/p.jpg"),
      dest: ctx.dest,
      expect: "image",
    });
    const req = ctx.server.requestsFor("/p.jpg")[1];
    assertEquals(req?.headers.get("if-range"), '"A"');
    assertEquals(result.etag, '"B"');
    assertEquals(result.resumed, false);
    await assertInvariants(ctx.dir, ctx.dest, versionB.body as Uint8Array);
  });
});

Deno.test("download() never resumes with a weak or missing ETag", async () => {
  for (const etag of ['W/"weak"', null]) {
    await withCtx(async ({ dir, server, dest, downloader }) => {
      const resource = jpegResource(200_000, etag);
      server.route("/p.jpg", resource, [{ resetAfter: 50_000 }]);
      const result = await downloader().download({
        url: server.url("/p.jpg"),
        dest,
        expect: "image",
      });
      const reqs = server.requestsFor("/p.jpg");
      assertEquals(reqs.length, 2);
      assertEquals(reqs[1]?.headers.get("range"), null);
      assertEquals(reqs[1]?.headers.get("if-range"), null);
      assertEquals(result.resumed, false);
      await assertInvariants(dir, dest, resource.body as Uint8Array);

      // And a failed run leaves nothing to resume.
      const dest2 = path.join(dir, "other.jpg");
      server.queue("/p.jpg", { resetAfter: 50_000 });
      await assertRejects(
        () =>
          downloader({ attempts: 1 }).download({
            url: server.url("/p.jpg"),
            dest: dest2,
            expect: "image",
          }),
        DownloadFailedError,
      );
      await assertInvariants(dir, dest2, undefined);
    });
  }
});

Deno.test("download() confirms a complete but unrenamed part by re-fetching its last byte", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource(50_000);
    const body = resource.body as Uint8Array;
    server.route("/p.jpg", resource);
    const { part, meta } = partPathsFor(dest);
    await Deno.mkdir(path.dirname(dest), { recursive: true });
    await Deno.writeFile(part, body);
    await Deno.writeTextFile(
      meta,
      JSON.stringify({
        version: 1,
        url: server.url("/p.jpg"),
        etag: '"v1"',
        size: body.length,
      }),
    );
    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(
      server.requestsFor("/p.jpg")[0]?.headers.get("range"),
      `bytes=${body.length - 1}-`,
    );
    assertEquals(result.resumed, true);
    assertEquals(result.sha256, sha256(body));
    await assertInvariants(dir, dest, body);
  });
});

Deno.test("download() ignores resume data written for another URL or mangled", async () => {
  for (
    const metaText of [
      JSON.stringify({
        version: 1,
        url: "http://x/other",
        etag: '"v1"',
        size: null,
      }),
      '{"version":1,"url":',
      JSON.stringify({ version: 1, url: "", etag: 'W/"v1"', size: null }),
    ]
  ) {
    await withCtx(async ({ dir, server, dest, downloader }) => {
      const resource = jpegResource(50_000);
      server.route("/p.jpg", resource);
      const { part, meta } = partPathsFor(dest);
      await Deno.mkdir(path.dirname(dest), { recursive: true });
      await Deno.writeFile(part, new Uint8Array(20_000).fill(7));
      await Deno.writeTextFile(meta, metaText);
      await downloader().download({
        url: server.url("/p.jpg"),
        dest,
        expect: "image",
      });
      assertEquals(server.requestsFor("/p.jpg")[0]?.headers.get("range"), null);
      await assertInvariants(dir, dest, resource.body as Uint8Array);
    });
  }
});

Deno.test("download() resumes after Content-Length promised more than was sent (raw TCP)", async () => {
  const body = fakeJpeg(1000);
  await using raw = startRawServer((req, index): RawReply => {
    if (index === 0) {
      return {
        status: 200,
        headers: {
          "content-length": "1000",
          "content-type": "image/jpeg",
          etag: '"r1"',
        },
        body: body.subarray(0, 600),
      };
    }
    const start = Number(
      /bytes=(\d+)-/.exec(req.headers.get("range") ?? "")?.[1] ?? 0,
    );
    const ok = req.headers.get("if-range") === '"r1"' && start > 0;
    return ok
      ? {
        status: 206,
        headers: {
          "content-length": String(1000 - start),
          "content-range": `bytes ${start}-999/1000`,
          "content-type": "image/jpeg",
          etag: '"r1"',
        },
        body: body.subarray(start),
      }
      : {
        status: 200,
        headers: { "content-length": "1000", etag: '"r1"' },
        body,
      };
  });
  const dir = await Deno.makeTempDir({ prefix: "fb_dl_test_" });
  try {
    const clock = new FakeClock();
    const dest = path.join(dir, "raw.jpg");
    const result = await createDownloader({ http: fetchClient, clock })
      .download({ url: raw.url("/raw.jpg"), dest, expect: "image" });
    assertEquals(raw.requests.length, 2);
    assertEquals(raw.requests[1]?.headers.get("range"), "bytes=600-");
    assertEquals(result.resumed, true);
    await assertInvariants(dir, dest, body);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("download() rejects a close-delimited JPEG cut before its end marker (case 4)", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const truncated = fakeJpeg(40_000).subarray(0, 30_000);
    server.route("/p.jpg", { body: truncated, etag: null }, [
      { noContentLength: true },
      { noContentLength: true },
    ]);
    const err = await assertRejects(
      () =>
        downloader({ attempts: 2 }).download({
          url: server.url("/p.jpg"),
          dest,
          expect: "image",
        }),
      DownloadFailedError,
      "truncated",
    );
    assertEquals(err.transient, true);
    assertEquals(server.requestsFor("/p.jpg").length, 2);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test(
  "download() resumes after kill -9 of the downloading process (case 16)",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    await withCtx(async ({ dir, server, dest, downloader }) => {
      const resource = jpegResource(400_000);
      server.route("/p.jpg", resource, [{ stallAfter: 160_000 }]);
      await Deno.mkdir(path.dirname(dest), { recursive: true });
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net=127.0.0.1",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          "tests/helpers/download_child.ts",
          server.url("/p.jpg"),
          dest,
          "image",
        ],
        cwd: REPO_ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = child.stdout.getReader();
      let seen = "";
      while (!seen.includes('"progress":160000')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`child ended: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
      await assertInvariants(dir, dest, undefined, true);

      const result = await downloader().download({
        url: server.url("/p.jpg"),
        dest,
        expect: "image",
      });
      assertEquals(
        server.requestsFor("/p.jpg")[1]?.headers.get("range"),
        "bytes=160000-",
      );
      assertEquals(result.resumed, true);
      await assertInvariants(dir, dest, resource.body as Uint8Array);
    });
  },
);
