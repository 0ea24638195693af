/**
 * Issue 14: bodies are checked for what they claim (EOI, IEND, bounded
 * decompression) and a drip that never goes idle still fails (minimum
 * progress), all on the injected clock.
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
import { encodeJpeg } from "../../tests/helpers/jpeg.ts";
import { encodePng } from "../../tests/fake_flickr/media.ts";
import { fetchClient } from "../http/http_client.ts";
import { FakeClock } from "../platform/clock.ts";
import { JpegEndScanner, PngEndScanner } from "./_body_check.ts";
import { createDownloader, DownloadFailedError } from "./file_download.ts";

type Handler = (req: Request) => Response | Promise<Response>;

async function withServer(
  handler: Handler,
  fn: (url: string, dir: string, clock: FakeClock) => Promise<void>,
) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  const dir = await Deno.makeTempDir({ prefix: "fb_body_" });
  try {
    await fn(
      `http://127.0.0.1:${server.addr.port}/p`,
      dir,
      new FakeClock(),
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

function serveBytes(bytes: Uint8Array, headers: Record<string, string> = {}) {
  return () =>
    new Response(bytes.slice(), {
      headers: { "content-type": "application/octet-stream", ...headers },
    });
}

async function files(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
}

const photo = () =>
  encodeJpeg({ width: 256, height: 256, noise: 6, seed: 3, jfif: true });

/** An APP segment holding a small JPEG (a thumbnail) with its own EOI. */
function thumbnailSegment(): Uint8Array {
  const thumb = encodeJpeg({ width: 16, height: 16, noise: 2 });
  const out = new Uint8Array(4 + thumb.length);
  out.set([0xff, 0xe2, (thumb.length + 2) >> 8, (thumb.length + 2) & 0xff]);
  out.set(thumb, 4);
  return out;
}

Deno.test("the JPEG end check follows the segments: a thumbnail's EOI does not count, a trailer after EOI is fine", () => {
  const whole = encodeJpeg({
    width: 256,
    height: 256,
    noise: 6,
    segments: [thumbnailSegment()],
  });
  const scan = (bytes: Uint8Array) => {
    const scanner = new JpegEndScanner();
    for (let i = 0; i < bytes.length; i += 777) {
      scanner.push(bytes.subarray(i, i + 777));
    }
    return scanner.result();
  };
  assertEquals(scan(whole), "complete");
  assertEquals(scan(whole.subarray(0, whole.length - 2)), "truncated");
  assertEquals(
    scan(whole.subarray(0, Math.floor(whole.length * 0.6))),
    "truncated",
  );
  const trailer = new Uint8Array(100_000).fill(0xd9);
  trailer.fill(0xff, 0, 50_000);
  assertEquals(
    scan(encodeJpeg({ width: 64, height: 64, noise: 4, trailer })),
    "complete",
  );
  assertEquals(
    scan(encodeJpeg({ width: 64, height: 64, noise: 4, progressive: true })),
    "complete",
  );
  const png = encodePng(
    { width: 40, height: 30 },
  );
  const pngScanner = new PngEndScanner();
  pngScanner.push(png);
  assertEquals(pngScanner.result(), "complete");
  const cut = new PngEndScanner();
  cut.push(png.subarray(0, png.length - 12));
  assertEquals(cut.result(), "truncated");
});

Deno.test("a JPEG cut by a short Content-Length is not saved (issue 14 case 8)", async () => {
  const whole = encodeJpeg({
    width: 256,
    height: 256,
    noise: 6,
    segments: [thumbnailSegment()],
  });
  const cut = whole.subarray(0, Math.floor(whole.length * 0.7));
  await withServer(serveBytes(cut), async (url, dir, clock) => {
    const dest = path.join(dir, "1.jpg");
    const error = await assertRejects(
      () =>
        createDownloader({ http: fetchClient, clock, attempts: 2 }).download({
          url,
          dest,
          expect: "image",
        }),
      DownloadFailedError,
    );
    assertStringIncludes(error.message, "truncated");
    assertEquals(await files(dir), []);
  });
});

Deno.test("a PNG without IEND is not saved (issue 14 case 8)", async () => {
  const png = encodePng(
    { width: 64, height: 64 },
  );
  const cut = png.subarray(0, png.length - 12);
  await withServer(serveBytes(cut), async (url, dir, clock) => {
    const error = await assertRejects(
      () =>
        createDownloader({ http: fetchClient, clock, attempts: 1 }).download({
          url,
          dest: path.join(dir, "1.png"),
          expect: "image",
        }),
      DownloadFailedError,
    );
    assertStringIncludes(error.message, "PNG is truncated");
    assertEquals(await files(dir), []);
  });
});

Deno.test("a gzip bomb is refused before it fills the disk (issue 14)", async () => {
  const head = photo().subarray(0, 600);
  const plain = new Uint8Array(64 * 1024 * 1024);
  plain.set(head);
  const gz = new Uint8Array(
    await new Response(
      new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  assert(gz.length < 1024 * 1024, `${gz.length} bytes compressed`);
  await withServer(
    serveBytes(gz, {
      "content-encoding": "gzip",
      "content-type": "image/jpeg",
    }),
    async (url, dir, clock) => {
      let written = 0;
      const error = await assertRejects(
        () =>
          createDownloader({ http: fetchClient, clock, attempts: 1 }).download({
            url,
            dest: path.join(dir, "1.jpg"),
            expect: "image",
            onProgress: (d) => written += d,
          }),
        DownloadFailedError,
      );
      assertStringIncludes(error.message, "decompression bomb");
      assert(written < 24 * 1024 * 1024, `${written} bytes written`);
      assertEquals(await files(dir), []);
    },
  );
});

Deno.test("a body dripping 1 byte every 2 s fails on the minimum-progress rule (issue 14)", async () => {
  const bytes = photo();
  let body: ReadableStreamDefaultController<Uint8Array> | undefined;
  let sent = 0;
  await withServer(
    () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            body = c;
            sent = 600;
            c.enqueue(bytes.slice(0, 600));
          },
        }),
        {
          headers: {
            "content-type": "image/jpeg",
            "content-length": String(bytes.length),
          },
        },
      ),
    async (url, dir, clock) => {
      const started = clock.now();
      const error = await assertRejects(
        () =>
          createDownloader({ http: fetchClient, clock, attempts: 1 }).download({
            url,
            dest: path.join(dir, "1.jpg"),
            expect: "image",
            onProgress() {
              // Each byte arrives two (virtual) seconds after the last.
              clock.advance(2000);
              if (sent < bytes.length) body?.enqueue(bytes.slice(sent, ++sent));
            },
          }),
        DownloadFailedError,
      );
      assertStringIncludes(error.message, "the minimum is");
      const elapsed = clock.now() - started;
      assert(elapsed >= 60_000 && elapsed <= 64_000, `${elapsed} ms`);
      assert(sent < 700, `${sent} bytes sent`);
      try {
        body?.close();
      } catch {
        // Already cancelled by the client.
      }
    },
  );
});
