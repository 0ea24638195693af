/**
 * Download engine tests over real HTTP: redirects, local failures, part names and leftovers (cases 19, 20, 26, 29). Backoff and idle timeouts
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
  assertStringIncludes,
} from "../../tests/assert.ts";
import { LocalFatalError } from "../errors.ts";
import {
  fakeVideo,
  startTestServer,
} from "../../tests/helpers/download_server.ts";
import {
  assertInvariants,
  jpegResource,
  REPO_ROOT,
  tree,
  withCtx,
} from "../../tests/helpers/download_ctx.ts";
import {
  type DownloaderOptions,
  DownloadFailedError,
  type PartFile,
  partPathsFor,
  sweepTempFiles,
} from "./file_download.ts";

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
