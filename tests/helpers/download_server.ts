/**
 * Test-only HTTP servers for the download engine (dax `startServer` and
 * gallery-dl `test_downloader.py` style): real HTTP on 127.0.0.1, port 0.
 *
 * - {@link startTestServer}: `Deno.serve` with byte ranges, ETags, If-Range,
 *   and a queue of per-request behaviours per path (status + Retry-After,
 *   ignored range, misaligned 206, HTML, empty, reset mid-body, stall, gzip,
 *   redirects). Every request is recorded.
 * - {@link startRawServer}: a `Deno.listen` TCP responder for byte-level
 *   faults `Deno.serve` cannot produce (Content-Length larger than the body).
 *
 * @module
 */

import { requestedRange } from "./http_range.ts";

/** Bytes produced on demand, so a 300 MB body never sits in memory. */
export interface GeneratedBody {
  size: number;
  /** Bytes [offset, offset + length). */
  chunk(offset: number, length: number): Uint8Array;
}

/** What a path serves when no behaviour overrides it. */
export interface Resource {
  body: Uint8Array | GeneratedBody;
  /** Strong or weak ETag; `null` sends none. Default: `"v1"`. */
  etag?: string | null;
  contentType?: string;
  contentDisposition?: string;
}

/** How one request is answered (one entry is used per request). */
export interface Behaviour {
  /** Answer with this status and a small body (no resource bytes). */
  status?: number;
  retryAfter?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Answer 302 with this Location. */
  redirectTo?: string;
  /** Answer 200 with the full body even to a Range request. */
  ignoreRange?: boolean;
  /** Answer a Range request with a 206 starting this many bytes earlier. */
  misalignBy?: number;
  /** Answer a Range request with a 206 whose total is one byte larger. */
  wrongTotal?: boolean;
  /** Answer 200 `text/html` with an HTML page. */
  html?: boolean;
  /** Answer 200 with HTML bytes but the resource's content type. */
  htmlBytes?: boolean;
  /** Answer 200 with an empty body. */
  empty?: boolean;
  /** Break the connection after sending this many body bytes. */
  resetAfter?: number;
  /** Send this many body bytes, then nothing until the client gives up. */
  stallAfter?: number;
  /** Send no response at all until the client gives up. */
  stallHeaders?: boolean;
  /** Called when a `stallHeaders` request arrives (tests then move a clock). */
  onStall?: () => void;
  /** Send the full body gzip-compressed with `Content-Encoding: gzip`. */
  gzip?: boolean;
  /** Use chunked encoding (no Content-Length). */
  noContentLength?: boolean;
  /** Body chunk sizes, used in turn (default: 64 KB each). */
  chunkSizes?: number[];
}

/** One request as the server saw it. */
export interface RecordedRequest {
  path: string;
  url: string;
  headers: Headers;
}

/** A running test server; `await using` shuts it down. */
export interface TestServer extends AsyncDisposable {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** `http://127.0.0.1:<port><path>`. */
  url(path: string): string;
  /** Serves `resource` at `path`; `behaviours` answer the next requests. */
  route(path: string, resource: Resource, behaviours?: Behaviour[]): void;
  /** Appends behaviours for the next requests to `path`. */
  queue(path: string, ...behaviours: Behaviour[]): void;
  requestsFor(path: string): RecordedRequest[];
  shutdown(): Promise<void>;
}

interface Route {
  resource: Resource;
  behaviours: Behaviour[];
}

const encoder = new TextEncoder();

/** Starts a {@link TestServer}. */
export function startTestServer(): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const requests: RecordedRequest[] = [];
  const pending = new Set<() => void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      requests.push({ path: url.pathname, url: req.url, headers: req.headers });
      const route = routes.get(url.pathname);
      if (!route) return new Response("no such path", { status: 404 });
      const behaviour = route.behaviours.shift() ?? {};
      if (behaviour.stallHeaders) {
        // Released by shutdown(); the client gives up on its own long before.
        const stalled = new Promise<void>((resolve) => pending.add(resolve));
        behaviour.onStall?.();
        await stalled;
        return new Response(null, { status: 500 });
      }
      return answer(req, route.resource, behaviour, pending);
    },
  );
  let closed = false;
  const api: TestServer = {
    port: server.addr.port,
    requests,
    url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
    route(path, resource, behaviours = []) {
      routes.set(path, { resource, behaviours: [...behaviours] });
    },
    queue(path, ...behaviours) {
      const route = routes.get(path);
      if (!route) throw new Error(`no route ${path}`);
      route.behaviours.push(...behaviours);
    },
    requestsFor: (path) => requests.filter((r) => r.path === path),
    async shutdown() {
      if (closed) return;
      closed = true;
      for (const release of pending) release();
      await server.shutdown();
    },
    [Symbol.asyncDispose]() {
      return api.shutdown();
    },
  };
  return Promise.resolve(api);
}

function sizeOf(body: Uint8Array | GeneratedBody): number {
  return body instanceof Uint8Array ? body.length : body.size;
}

function slice(
  body: Uint8Array | GeneratedBody,
  start: number,
  end: number,
): Uint8Array {
  return body instanceof Uint8Array
    ? body.subarray(start, end)
    : body.chunk(start, end - start);
}

async function answer(
  req: Request,
  resource: Resource,
  b: Behaviour,
  pending: Set<() => void>,
): Promise<Response> {
  const headers = new Headers(b.headers);
  if (b.retryAfter !== undefined) headers.set("retry-after", b.retryAfter);
  if (b.redirectTo !== undefined) {
    headers.set("location", b.redirectTo);
    headers.set("content-type", "text/html; charset=UTF-8");
    return new Response(null, { status: 302, headers });
  }
  if (b.status !== undefined) {
    return new Response(`status ${b.status}`, { status: b.status, headers });
  }
  if (b.html) {
    headers.set("content-type", "text/html; charset=utf-8");
    return new Response(
      "<html><body><h1>Something went wrong</h1></body></html>",
      { status: 200, headers },
    );
  }
  const etag = resource.etag === undefined ? '"v1"' : resource.etag;
  if (etag !== null) headers.set("etag", etag);
  headers.set(
    "content-type",
    resource.contentType ?? "application/octet-stream",
  );
  if (resource.contentDisposition) {
    headers.set("content-disposition", resource.contentDisposition);
  }
  headers.set("accept-ranges", "bytes");
  if (b.htmlBytes) {
    return new Response("<!DOCTYPE html><html><body>oops</body></html>", {
      status: 200,
      headers,
    });
  }
  if (b.empty) {
    return new Response(new Uint8Array(0), { status: 200, headers });
  }
  const size = sizeOf(resource.body);
  if (b.gzip) {
    const whole = slice(resource.body, 0, size);
    const gz = new Uint8Array(
      await new Response(
        new Blob([whole as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
          new CompressionStream("gzip"),
        ),
      ).arrayBuffer(),
    );
    headers.set("content-encoding", "gzip");
    return streamResponse(gz, 0, gz.length, 200, headers, b, pending);
  }

  let start = 0;
  let end = size;
  let status = 200;
  const range = b.ignoreRange
    ? undefined
    : requestedRange(req.headers, size, { etag });
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  if (range) {
    status = 206;
    start = Math.max(0, range.start - (b.misalignBy ?? 0));
    end = range.end + 1;
    const total = b.wrongTotal ? size + 1 : size;
    headers.set("content-range", `bytes ${start}-${range.end}/${total}`);
  }
  return streamResponse(
    resource.body,
    start,
    end,
    status,
    headers,
    b,
    pending,
  );
}

function streamResponse(
  body: Uint8Array | GeneratedBody,
  start: number,
  end: number,
  status: number,
  headers: Headers,
  b: Behaviour,
  pending: Set<() => void>,
): Response {
  if (!b.noContentLength) headers.set("content-length", String(end - start));
  const chunkSize = 64 * 1024;
  let at = start;
  let sent = 0;
  let chunks = 0;
  let release: (() => void) | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (b.stallAfter !== undefined && sent >= b.stallAfter) {
        await new Promise<void>((resolve) => {
          release = resolve;
          pending.add(resolve);
        });
        controller.close();
        return;
      }
      if (b.resetAfter !== undefined && sent >= b.resetAfter) {
        // Deno.serve logs the error; keep that to one line.
        const reset = new Error("test server: connection reset (expected)");
        reset.stack = reset.message;
        controller.error(reset);
        return;
      }
      if (at >= end) {
        controller.close();
        return;
      }
      const sizes = b.chunkSizes;
      let length = Math.min(
        sizes?.length ? sizes[chunks++ % sizes.length]! : chunkSize,
        end - at,
      );
      if (b.resetAfter !== undefined) {
        length = Math.min(length, b.resetAfter - sent);
      }
      if (b.stallAfter !== undefined) {
        length = Math.min(length, b.stallAfter - sent);
      }
      controller.enqueue(slice(body, at, at + length).slice());
      at += length;
      sent += length;
    },
    cancel() {
      if (release) {
        pending.delete(release);
        release();
      }
    },
  }, { highWaterMark: 0 });
  return new Response(stream, { status, headers });
}

// ---------------------------------------------------------------------------
// Raw TCP responder

/** A request as parsed by {@link startRawServer}. */
export interface RawRequest {
  path: string;
  headers: Headers;
}

/** What the raw server writes back; the connection closes afterwards. */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  /** Bytes actually written after the headers. */
  body: Uint8Array;
}

/** A running raw server; `await using` stops it. */
export interface RawServer extends AsyncDisposable {
  readonly port: number;
  readonly requests: RawRequest[];
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * Starts a TCP responder on 127.0.0.1 that answers each connection's first
 * request with `handler`'s reply, written verbatim (so `Content-Length` may
 * lie), then closes the connection.
 */
export function startRawServer(
  handler: (req: RawRequest, index: number) => RawReply,
): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RawRequest[] = [];
  const connections = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      handle(conn).finally(() => connections.delete(conn));
    }
  })().catch(() => {});

  async function handle(conn: Deno.Conn): Promise<void> {
    try {
      const head = await readHead(conn);
      if (head === undefined) return;
      const [requestLine = "", ...lines] = head.split("\r\n");
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) {
          headers.append(
            line.slice(0, colon).trim(),
            line.slice(colon + 1).trim(),
          );
        }
      }
      const req = { path: requestLine.split(" ")[1] ?? "/", headers };
      requests.push(req);
      const reply = handler(req, requests.length - 1);
      let text = `HTTP/1.1 ${reply.status} X\r\nconnection: close\r\n`;
      for (const [k, v] of Object.entries(reply.headers)) {
        text += `${k}: ${v}\r\n`;
      }
      text += "\r\n";
      await writeAllTo(conn, encoder.encode(text));
      await writeAllTo(conn, reply.body);
    } catch {
      // The client went away; nothing to clean up beyond the close below.
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  let closed = false;
  const api: RawServer = {
    port: (listener.addr as Deno.NetAddr).port,
    requests,
    url: (path) =>
      `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}${path}`,
    async close() {
      if (closed) return;
      closed = true;
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await serving;
    },
    [Symbol.asyncDispose]() {
      return api.close();
    },
  };
  return api;
}

async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const buf = new Uint8Array(16 * 1024);
  let filled = 0;
  while (filled < buf.length) {
    const n = await conn.read(buf.subarray(filled));
    if (n === null) return undefined;
    filled += n;
    const text = new TextDecoder().decode(buf.subarray(0, filled));
    const end = text.indexOf("\r\n\r\n");
    if (end !== -1) return text.slice(0, end);
  }
  return undefined;
}

async function writeAllTo(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

// ---------------------------------------------------------------------------
// Deterministic test data

/** A deterministic pseudo-random byte source (xorshift32). */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A JPEG-shaped file: SOI + APP0 header, seeded "scan" bytes, EOI. Not a
 * decodable image, but it passes magic and end-marker checks.
 */
export function fakeJpeg(size: number, seed = 1): Uint8Array {
  const out = pseudoRandomBytes(size, seed);
  out.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
  // Keep stray FFD9 out of the scan bytes so truncation tests are exact.
  for (let i = 11; i < size - 2; i++) {
    if (out[i] === 0xff) out[i] = 0xfe;
  }
  out[size - 2] = 0xff;
  out[size - 1] = 0xd9;
  return out;
}

/** A PNG-shaped file: signature + seeded bytes. */
export function fakePng(size: number, seed = 2): Uint8Array {
  const out = pseudoRandomBytes(size, seed);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return out;
}

/** An MP4/MOV-shaped file: an `ftyp` box with `brand`, then seeded bytes. */
export function fakeVideo(size: number, brand = "isom", seed = 3): Uint8Array {
  const out = pseudoRandomBytes(size, seed);
  out.set([0x00, 0x00, 0x00, 0x18]);
  out.set(encoder.encode("ftyp" + brand.padEnd(4, " ").slice(0, 4)), 4);
  return out;
}

/**
 * A large generated body (e.g. 300 MB) whose bytes are computed from their
 * offset; starts with a JPEG-free, HTML-free header.
 */
export function generatedBody(size: number): GeneratedBody {
  return {
    size,
    chunk(offset, length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        const p = offset + i;
        out[i] = (Math.imul(p, 2654435761) >>> 24) ^ (p & 0xff);
      }
      return out;
    },
  };
}
