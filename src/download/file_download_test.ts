/**
 * Download engine tests over real HTTP (RELIABILITY §9.2 cases 1–8, 14–16,
 * 19, 20, 29). Backoff and idle timeouts run on a FakeClock (no real
 * waits). Every test checks the invariants: nothing under the final
 * name unless complete and equal to the source, no part file after success.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { LocalFatalError } from "../errors.ts";
import { fetchClient } from "../http/http_client.ts";
import { FakeClock } from "../platform/clock.ts";
import {
  fakeJpeg,
  fakePng,
  fakeVideo,
  type RawReply,
  type Resource,
  startRawServer,
  startTestServer,
  type TestServer,
} from "../../tests/helpers/download_server.ts";
import {
  createDownloader,
  type DownloaderOptions,
  DownloadFailedError,
  type PartFile,
  partPathsFor,
  sweepTempFiles,
} from "./file_download.ts";

const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../..",
);

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

interface Ctx {
  dir: string;
  server: TestServer;
  clock: FakeClock;
  dest: string;
  downloader(options?: Partial<DownloaderOptions>): ReturnType<
    typeof createDownloader
  >;
}

/** Runs `fn` with a temp dir, a test server and a FakeClock. */
async function withCtx(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb_dl_test_" });
  const server = await startTestServer();
  const clock = new FakeClock();
  try {
    await fn({
      dir,
      server,
      clock,
      dest: path.join(dir, "album", "photo.jpg"),
      downloader: (options = {}) =>
        createDownloader({
          http: fetchClient,
          clock,
          random: () => 1,
          ...options,
        }),
    });
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every file under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    for await (const entry of Deno.readDir(current)) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory) await walk(full);
      else out.push(path.relative(dir, full));
    }
  }
  await walk(dir);
  return out.sort();
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * I1/I2: `dest` holds exactly `expected` (or nothing when undefined), and
 * no part file remains unless `partKept`.
 */
async function assertInvariants(
  dir: string,
  dest: string,
  expected: Uint8Array | undefined,
  partKept = false,
): Promise<void> {
  if (expected === undefined) {
    assert(!(await exists(dest)), "nothing may sit under the final name");
  } else {
    const actual = await Deno.readFile(dest);
    assertEquals(actual.length, expected.length, "final size");
    assert(sha256(actual) === sha256(expected), "final bytes equal source");
  }
  const leftovers = (await tree(dir)).filter((f) =>
    f.endsWith(".fbpart") || f.endsWith(".fbpart.json") ||
    f.endsWith(".fbtmp")
  );
  if (partKept) {
    const { part, meta } = partPathsFor(dest);
    assertEquals(
      leftovers,
      [path.relative(dir, part), path.relative(dir, meta)].sort(),
      "resumable part and its resume data are kept",
    );
  } else {
    assertEquals(leftovers, [], "no temp files left");
  }
}

function jpegResource(size = 200_000, etag: string | null = '"v1"'): Resource {
  return { body: fakeJpeg(size), etag, contentType: "image/jpeg" };
}

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

// ---------------------------------------------------------------------------
// Redirects (case 29)

Deno.test("download() follows a redirect chain and reports the final URL without its query", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource();
    server.route("/file.jpg", resource);
    server.route("/r1", resource, [{ redirectTo: "/r2" }]);
    server.route("/r2", resource, [{ redirectTo: server.url("/r3") }]);
    server.route("/r3", resource, [{ redirectTo: "/file.jpg?s=TOKEN" }]);
    const result = await downloader().download({
      url: server.url("/r1"),
      dest,
      expect: "image",
    });
    assertEquals(result.finalUrl, server.url("/file.jpg"));
    assertEquals(server.requests.map((r) => r.path), [
      "/r1",
      "/r2",
      "/r3",
      "/file.jpg",
    ]);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() refuses more than 5 redirects without retrying", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    server.route(
      "/loop",
      jpegResource(),
      Array.from({ length: 20 }, () => ({ redirectTo: "/loop" })),
    );
    const err = await assertRejects(
      () =>
        downloader().download({
          url: server.url("/loop"),
          dest,
          expect: "image",
        }),
      DownloadFailedError,
      "more than 5 redirects",
    );
    assertEquals(err.transient, false);
    assertEquals(server.requests.length, 6);
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() refuses an https to http redirect", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    server.route("/file.jpg", jpegResource());
    const err = await assertRejects(
      () =>
        downloader().download({
          url: "https://cdn.example/video/orig",
          dest,
          expect: "image",
          // The first hop (normally a signed request) answers a downgrade.
          openResponse: () =>
            Promise.resolve(
              new Response(null, {
                status: 302,
                headers: { location: server.url("/file.jpg?s=T") },
              }),
            ),
        }),
      DownloadFailedError,
      "https to http downgrade",
    );
    assertEquals(err.transient, false);
    assert(!err.message.includes("s=T"));
    assertEquals(server.requests.length, 0, "no request went over http");
    await assertInvariants(dir, dest, undefined);
  });
});

Deno.test("download() uses openResponse for the first hop only", async () => {
  await withCtx(async ({ dir, server, dest, downloader }) => {
    const resource = jpegResource();
    server.route("/file.jpg", resource);
    server.route("/signed", resource, [{ redirectTo: "/file.jpg" }]);
    const inits: RequestInit[] = [];
    const result = await downloader().download({
      url: server.url("/signed"),
      dest,
      expect: "image",
      openResponse(url, init) {
        inits.push(init);
        const headers = new Headers(init.headers);
        headers.set("authorization", "OAuth oauth_signature=SECRET");
        return fetch(new Request(url, { ...init, headers }));
      },
    });
    assertEquals(inits.length, 1);
    assertEquals(inits[0]?.redirect, "manual");
    assertEquals(
      new Headers(inits[0]?.headers).get("accept-encoding"),
      "identity",
    );
    assertEquals(
      server.requestsFor("/signed")[0]?.headers.get("authorization"),
      "OAuth oauth_signature=SECRET",
    );
    assertEquals(
      server.requestsFor("/file.jpg")[0]?.headers.get("authorization"),
      null,
      "credentials never follow a redirect",
    );
    assertEquals(result.finalUrl, server.url("/file.jpg"));
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() fails clearly and permanently on a redirect to a host it may not contact (NotCapable)", async () => {
  await withCtx(async ({ dir, server, dest }) => {
    await using other = await startTestServer();
    other.route("/file.mp4", { body: fakeVideo(1000) });
    server.route("/v", { body: new Uint8Array() }, [
      { redirectTo: `http://localhost:${other.port}/file.mp4?s=SECRET` },
    ]);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        "tests/helpers/download_child.ts",
        server.url("/v"),
        dest,
        "video",
        "5",
      ],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const report = JSON.parse(lines[lines.length - 1] ?? "{}");
    assertEquals(report, {
      ok: false,
      name: "DownloadFailedError",
      message:
        'Cannot download: the server redirected to "localhost", which is not a Flickr host this program may contact',
      transient: false,
    });
    assertEquals(server.requestsFor("/v").length, 1, "no retry loop");
    assertEquals(other.requests.length, 0);
    await assertInvariants(dir, dest, undefined);
  });
});

// ---------------------------------------------------------------------------
// Local failures (cases 19, 20)

function failingOpen(
  fail: (call: number) => Error | undefined,
): DownloaderOptions["openFile"] {
  return async (p, options) => {
    const file = await Deno.open(p, options);
    let calls = 0;
    const wrapped: PartFile = {
      write(data) {
        const err = fail(++calls);
        return err ? Promise.reject(err) : file.write(data);
      },
      truncate: (len) => file.truncate(len),
      seek: (offset, whence) => file.seek(offset, whence),
      sync: () => file.sync(),
      close: () => file.close(),
    };
    return wrapped;
  };
}

Deno.test("download() stops on a full disk without retrying and keeps the part for later (case 19)", async () => {
  await withCtx(async ({ dir, server, clock, dest, downloader }) => {
    const resource = jpegResource(300_000);
    server.route("/p.jpg", resource);
    const enospc = Object.assign(
      new Error("No space left on device (os error 28)"),
      { code: "ENOSPC" },
    );
    const err = await assertRejects(
      () =>
        downloader({
          openFile: failingOpen((call) => call >= 2 ? enospc : undefined),
        }).download({ url: server.url("/p.jpg"), dest, expect: "image" }),
      LocalFatalError,
      "Disk full",
    );
    assertEquals(err.exitCode, 7);
    assertStringIncludes(err.message, partPathsFor(dest).part);
    assertStrictEquals(err.cause, enospc);
    assertEquals(server.requests.length, 1, "never retried");
    assertEquals(clock.sleeps, []);
    await assertInvariants(dir, dest, undefined, true);

    // Space freed: the next run resumes.
    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest,
      expect: "image",
    });
    assertEquals(result.resumed, true);
    await assertInvariants(dir, dest, resource.body as Uint8Array);
  });
});

Deno.test("download() reports a read-only or forbidden target as LocalFatalError (case 20)", async () => {
  // Tests run as root, which ignores chmod: inject the errors instead.
  const errors: [Error, string][] = [
    [
      Object.assign(
        new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
        { code: "EACCES" },
      ),
      "check permissions",
    ],
    [
      Object.assign(new Error("Read-only file system (os error 30)"), {
        code: "EROFS",
      }),
      "read-only",
    ],
    [new Deno.errors.NotCapable("Requires write access"), "--allow-write"],
  ];
  for (const [injected, text] of errors) {
    await withCtx(async ({ dir, server, dest, downloader }) => {
      server.route("/p.jpg", jpegResource());
      const err = await assertRejects(
        () =>
          downloader({ openFile: failingOpen(() => injected) }).download({
            url: server.url("/p.jpg"),
            dest,
            expect: "image",
          }),
        LocalFatalError,
        text,
      );
      assertStringIncludes(err.message, "Cannot write to");
      assertEquals(server.requests.length, 1);
      await assertInvariants(dir, dest, undefined);
    });
  }
});

// ---------------------------------------------------------------------------
// Names and leftovers

Deno.test("download() keeps part names under 255 bytes for long targets", async () => {
  await withCtx(async ({ dir, server, downloader }) => {
    const resource = jpegResource(60_000);
    server.route("/p.jpg", resource, [{ resetAfter: 20_000 }]);
    const longA = path.join(dir, "é".repeat(120) + "a.jpg");
    const longB = path.join(dir, "é".repeat(120) + "b.jpg");
    const a = partPathsFor(longA);
    const b = partPathsFor(longB);
    for (const p of [a.part, a.meta]) {
      assert(new TextEncoder().encode(path.basename(p)).length < 255, p);
    }
    assert(a.part !== b.part, "distinct targets never share a part");
    assertEquals(partPathsFor(longA), a, "deterministic");
    const result = await downloader().download({
      url: server.url("/p.jpg"),
      dest: longA,
      expect: "image",
    });
    assertEquals(result.resumed, true);
    await assertInvariants(dir, longA, resource.body as Uint8Array);
  });
});

Deno.test("sweepTempFiles() removes only our own leftovers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fb_sweep_test_" });
  try {
    const files: Record<string, string> = {
      "a/.keep.jpg.fbpart": "x",
      "a/.keep.jpg.fbpart.json": JSON.stringify({
        version: 1,
        url: "http://h/p",
        etag: '"e"',
        size: 10,
      }),
      "a/.nometa.jpg.fbpart": "x",
      "a/.orphan.jpg.fbpart.json": "{}",
      "a/.bad.jpg.fbpart": "x",
      "a/.bad.jpg.fbpart.json": "not json",
      "a/photo.jpg": "x",
      "a/notours.fbpart": "x",
      ".state.json.0011aabb.fbtmp": "x",
      "b/c/.deep.xmp.12345678.fbtmp": "x",
      ".flickr_backup.lock": "x",
      "last_run.json": "x",
    };
    for (const [rel, text] of Object.entries(files)) {
      await Deno.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await Deno.writeTextFile(path.join(dir, rel), text);
    }
    const removed = await sweepTempFiles(dir);
    assertEquals(removed.map((p) => path.relative(dir, p)).sort(), [
      ".state.json.0011aabb.fbtmp",
      "a/.bad.jpg.fbpart",
      "a/.bad.jpg.fbpart.json",
      "a/.nometa.jpg.fbpart",
      "a/.orphan.jpg.fbpart.json",
      "b/c/.deep.xmp.12345678.fbtmp",
    ]);
    assertEquals(await tree(dir), [
      ".flickr_backup.lock",
      "a/.keep.jpg.fbpart",
      "a/.keep.jpg.fbpart.json",
      "a/notours.fbpart",
      "a/photo.jpg",
      "last_run.json",
    ]);
    const all = await sweepTempFiles(dir, { includeResumable: true });
    assertEquals(all.map((p) => path.relative(dir, p)), [
      "a/.keep.jpg.fbpart",
      "a/.keep.jpg.fbpart.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// Memory (case 26): measured by `deno task bench` (bench/streaming_bench.ts),
// not asserted here, where RSS depends on the machine.
