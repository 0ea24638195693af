/**
 * Replies on the wire: streaming bodies with byte counting and the body
 * faults Deno.serve can produce faithfully (a stream closed before its
 * Content-Length makes Deno.serve drop the connection; stalls and drips are
 * pauses in the pull), plus the faults that replace a whole reply.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { type Reply, textReply } from "./files.ts";
import type { FaultRule, Faults } from "./faults.ts";
import { type ByteSource, bytesSource } from "./media.ts";
import { param, type RequestParams, type TextOut } from "./oauth.ts";

/** Where a streamed body reports its progress (a RecordedRequest). */
export interface Progress {
  bodyBytes: number;
  complete: boolean;
  /** Arrival order of the request (`Faults.arrive`), for `nextStall`. */
  arrival?: number;
}

/**
 * Turns a reply into a streamed Response, applying the body faults of
 * `rule` (reset, shortBody, stall, drip) and counting bytes into `progress`.
 */
export function streamReply(
  reply: Reply,
  rule: FaultRule | undefined,
  progress: Progress,
  signal: AbortSignal,
  faults: Faults,
): Response {
  const body = reply.body;
  if (!body) {
    progress.complete = true;
    return new Response(null, {
      status: reply.status,
      headers: reply.headers,
    });
  }
  const shape: BodyShape = {};
  if (rule?.kind === "reset") shape.cutAt = rule.afterBytes;
  if (rule?.kind === "shortBody") {
    shape.cutAt = rule.sendBytes;
    reply.headers.set(
      "content-length",
      String(rule.declaredLength ?? body.size),
    );
  }
  if (rule?.kind === "stall") {
    shape.stallAt = rule.afterBytes;
    shape.stallMs = rule.ms;
  }
  if (rule?.kind === "drip") shape.bytesPerSecond = rule.bytesPerSecond;
  const stream = bodyStream(
    body,
    shape,
    progress,
    signal,
    faults,
  );
  return new Response(stream, {
    status: reply.status,
    headers: reply.headers,
  });
}

interface BodyShape {
  cutAt?: number;
  stallAt?: number;
  stallMs?: number;
  bytesPerSecond?: number;
}

/**
 * A pull stream over a source that counts the bytes it sends, stops early
 * (the connection is then dropped by Deno.serve since Content-Length is not
 * reached), stalls, drips, and ends when the server closes.
 */
function bodyStream(
  source: ByteSource,
  shape: BodyShape,
  progress: Progress,
  serverSignal: AbortSignal,
  faults: Faults,
): ReadableStream<Uint8Array> {
  const iterator = source.read(0, source.size)[Symbol.iterator]();
  const local = new AbortController();
  const signal = AbortSignal.any([serverSignal, local.signal]);
  let pending: Uint8Array | undefined;
  let stalled = false;
  const next = (max: number): Uint8Array | undefined => {
    if (!pending || pending.length === 0) {
      const r = iterator.next();
      if (r.done) return undefined;
      pending = r.value;
    }
    const out = pending.slice(0, max);
    pending = pending.subarray(out.length);
    return out;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (signal.aborted) return controller.close();
      const sent = progress.bodyBytes;
      if (shape.cutAt !== undefined && sent >= shape.cutAt) {
        return controller.close();
      }
      if (shape.stallAt !== undefined && !stalled && sent >= shape.stallAt) {
        stalled = true;
        await faults.stall(shape.stallMs ?? Infinity, signal, progress.arrival);
        if (signal.aborted) return controller.close();
      }
      let max = Infinity;
      if (shape.cutAt !== undefined) max = Math.min(max, shape.cutAt - sent);
      if (shape.stallAt !== undefined && !stalled) {
        max = Math.min(max, shape.stallAt - sent);
      }
      if (shape.bytesPerSecond !== undefined) {
        const piece = Math.max(1, Math.floor(shape.bytesPerSecond / 20));
        max = Math.min(max, piece);
        if (sent > 0) {
          await faults.sleep(1000 * piece / shape.bytesPerSecond, signal);
        }
        if (signal.aborted) return controller.close();
      }
      const chunk = next(max);
      if (!chunk) {
        progress.complete = true;
        return controller.close();
      }
      progress.bodyBytes += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      local.abort();
    },
  }, { highWaterMark: 0 });
}

/** A Reply from an OAuth-layer text reply. */
export function fromTextOut(out: TextOut): Reply {
  if (out.status === 302) {
    return {
      status: 302,
      headers: new Headers({
        ...out.headers,
        "content-type": out.contentType,
        "content-length": "0",
      }),
    };
  }
  return textReply(out.status, out.text, out.contentType, out.headers);
}

const PAGE_429 =
  "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n";

function defaultBody(status: number): { text: string; type: string } {
  if (status === 429) return { text: PAGE_429, type: "text/html" };
  if (status >= 500) {
    return {
      text:
        `<html>\r\n<head><title>${status} Server Error</title></head>\r\n<body>\r\n<center><h1>${status} Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
      type: "text/html",
    };
  }
  return {
    text: `<html><body><h1>${status}</h1></body></html>\n`,
    type: "text/html",
  };
}

/** Replies for faults that replace the whole answer. */
export function directFault(
  rule: FaultRule,
  params: RequestParams,
  url: URL,
): Reply | undefined {
  switch (rule.kind) {
    case "status": {
      const fallback = defaultBody(rule.status);
      const bytes = rule.body === undefined
        ? new TextEncoder().encode(fallback.text)
        : typeof rule.body === "string"
        ? new TextEncoder().encode(rule.body)
        : rule.body;
      const headers = new Headers(rule.headers);
      headers.set("content-type", rule.contentType ?? fallback.type);
      headers.set("content-length", String(bytes.length));
      if (rule.retryAfter !== undefined) {
        headers.set("retry-after", rule.retryAfter);
      }
      const body = [204, 304].includes(rule.status)
        ? undefined
        : bytesSource(bytes);
      return { status: rule.status, headers, body };
    }
    case "html200":
      return textReply(
        200,
        rule.body ??
          "<!DOCTYPE html><html><head><title>Flickr: Site Maintenance</title></head><body><h1>Flickr is having a massage</h1><p>We'll be back soon.</p></body></html>\n",
        "text/html; charset=utf-8",
      );
    case "redirect": {
      return {
        status: rule.status ?? 302,
        headers: new Headers({
          location: rule.location.replace("{path}", url.pathname + url.search),
          "content-length": "0",
        }),
      };
    }
    case "statFail": {
      const code = rule.codeAsString ? `"${rule.code}"` : String(rule.code);
      const message = JSON.stringify(
        rule.message ?? STAT_MESSAGES[rule.code] ?? "Error",
      );
      const text = `{"stat":"fail","code":${code},"message":${message}}`;
      const wrapped = param(params, "format") === "json" &&
          param(params, "nojsoncallback") !== "1"
        ? `jsonFlickrApi(${text})`
        : text;
      return textReply(200, wrapped, "text/plain; charset=utf-8");
    }
    default:
      return undefined;
  }
}

const STAT_MESSAGES: Record<number, string> = {
  1: "Photo not found",
  2: "Permission denied",
  98: "Invalid auth token",
  99:
    "Insufficient permissions. Method requires read privileges; none granted.",
  100: "Invalid API Key (Key has expired)",
  105: "Service currently unavailable",
  201: "Sorry, the Flickr API service is not currently available.",
};

/** The reply gzip-compressed whole (`Content-Encoding: gzip`, 200). */
export function gzipReply(reply: Reply): Reply {
  const body = reply.body;
  if (!body) return reply;
  const plain = new Uint8Array(body.size);
  let at = 0;
  for (const chunk of body.read(0, body.size)) {
    plain.set(chunk, at);
    at += chunk.length;
  }
  const zipped = new Uint8Array(gzipSync(plain));
  const headers = new Headers(reply.headers);
  headers.delete("content-range");
  headers.set("content-encoding", "gzip");
  headers.set("content-length", String(zipped.length));
  return {
    status: reply.status === 206 ? 200 : reply.status,
    headers,
    body: bytesSource(zipped),
  };
}
