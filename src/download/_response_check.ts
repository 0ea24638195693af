/**
 * Checks of a response before and while its body is written: status and
 * headers (incl. range answers), Content-Encoding, the first bytes, and the
 * bound on decoded size.
 *
 * @module
 */

import { parseRetryAfter } from "../http/backoff.ts";
import { RETRYABLE_STATUSES } from "../http/retry.ts";
import {
  isStrongEtag,
  parseContentLength,
  parseContentRange,
} from "./_http_headers.ts";
import {
  type Expectation,
  looksLikeHtml,
  matchesExpectation,
  sniff,
} from "./_magic.ts";
import { AttemptError } from "./_attempt_error.ts";
import { type PartState } from "./_part_file.ts";

/** What to do with a 200/206 response. */
interface ResponsePlan {
  /** Byte offset the body starts at in the file (0 or the part size). */
  startAt: number;
  /** Full size of the entity, when known (Content-Length or Content-Range). */
  total: number | undefined;
  /** Content-Length of the body as sent (encoded bytes when encoded). */
  contentLength: number | undefined;
  /** Strong ETag that makes this response resumable, if any. */
  resumableEtag: string | undefined;
  /** DecompressionStream formats to apply, in order. */
  decoders: CompressionFormat[];
}

export function checkResponse(
  response: Response,
  state: PartState,
  resuming: boolean,
  nowMs: number,
): ResponsePlan {
  const status = response.status;
  if (status === 416) {
    throw new AttemptError(
      "restart",
      "the server could not serve the rest of the partial file",
      { status, discard: true },
    );
  }
  if (status !== 200 && status !== 206) {
    // statusText is server-chosen: keep it short and printable.
    const text = response.statusText.replace(/[^\x20-\x7e]/g, "").slice(0, 60);
    const what = `the server answered ${status}${text ? ` ${text}` : ""}`;
    if (RETRYABLE_STATUSES.has(status)) {
      const retryAfterMs = parseRetryAfter(
        response.headers.get("retry-after"),
        nowMs,
      );
      throw new AttemptError("transient", what, {
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (status === 403 || status === 404) {
      throw new AttemptError("transient", what, { status });
    }
    throw new AttemptError("permanent", what, { status });
  }

  const mime = (response.headers.get("content-type") ?? "").split(";")[0]
    ?.trim().toLowerCase();
  if (mime === "text/html" || mime === "application/xhtml+xml") {
    throw new AttemptError(
      "transient",
      `the server sent an HTML page (status ${status}) instead of the file`,
      // Nothing was written yet: a resumable part survives an error page.
      { status },
    );
  }

  const decoders = decodersFor(response.headers.get("content-encoding"));
  if (decoders === undefined) {
    throw new AttemptError(
      "permanent",
      `the server used an unsupported content-encoding "${
        response.headers.get("content-encoding")
      }"`,
      { status, discard: true },
    );
  }
  const contentLength = parseContentLength(
    response.headers.get("content-length"),
  );
  const etag = response.headers.get("etag");

  if (status === 200) {
    if (contentLength === 0) {
      throw new AttemptError("transient", "the server sent an empty body", {
        status,
        discard: !resuming,
      });
    }
    const encoded = decoders.length > 0;
    return {
      startAt: 0,
      total: encoded ? undefined : contentLength,
      contentLength,
      resumableEtag: !encoded && isStrongEtag(etag) ? etag : undefined,
      decoders,
    };
  }

  // 206 Partial Content.
  const range = parseContentRange(response.headers.get("content-range"));
  const expectedStart = resuming ? state.offset : 0;
  const problem = decoders.length > 0
    ? "a compressed partial response"
    : range === undefined
    ? "a partial response without a valid Content-Range"
    : range.start !== expectedStart
    ? `bytes from ${range.start} when asked from ${expectedStart}`
    : range.total === undefined || range.end !== range.total - 1
    ? "a partial response that does not reach the end of the file"
    : resuming && state.total !== undefined && range.total !== state.total
    ? `a file of ${range.total} bytes where ${state.total} were expected`
    : resuming && etag !== null && etag !== state.etag
    ? "a different version of the file"
    : contentLength !== undefined &&
        contentLength !== range.end - range.start + 1
    ? "a partial response whose length disagrees with its range"
    : undefined;
  if (problem !== undefined || range === undefined) {
    throw new AttemptError(
      "restart",
      `the server sent ${problem ?? "an invalid partial response"}`,
      { status, discard: true },
    );
  }
  const entityEtag = resuming ? state.etag : etag;
  return {
    startAt: expectedStart,
    total: range.total,
    contentLength,
    resumableEtag: isStrongEtag(entityEtag) ? entityEtag : undefined,
    decoders,
  };
}

function decodersFor(
  value: string | null,
): CompressionFormat[] | undefined {
  if (value === null) return [];
  const codings = value.split(",").map((c) => c.trim().toLowerCase()).filter(
    (c) => c !== "" && c !== "identity",
  );
  const formats: CompressionFormat[] = [];
  // Codings are listed in the order they were applied; undo them in reverse.
  for (const coding of codings.reverse()) {
    if (coding === "gzip" || coding === "x-gzip") formats.push("gzip");
    else if (coding === "deflate") formats.push("deflate");
    else if (coding === "br") formats.push("brotli");
    else return undefined;
  }
  return formats;
}

export function checkHead(
  head: Uint8Array,
  expect: Expectation,
  status: number,
) {
  if (head.length === 0) {
    throw new AttemptError("transient", "the server sent an empty body", {
      status,
      discard: true,
    });
  }
  if (looksLikeHtml(head)) {
    throw new AttemptError(
      "transient",
      `the server sent an HTML page (status ${status}) instead of the file`,
      { status, discard: true },
    );
  }
  const sniffed = sniff(head);
  if (!matchesExpectation(sniffed, expect)) {
    throw new AttemptError(
      "permanent",
      `expected ${expect === "image" ? "an image" : "a video"} but the data ${
        sniffed.kind === "other"
          ? "is not a known format"
          : `is ${sniffed.kind}`
      }`,
      { status, discard: true },
    );
  }
}
/** Decoded bytes allowed per encoded byte (photos barely compress). */
const MAX_EXPANSION = 20;

/**
 * Errors a decoded body that grows past {@link MAX_EXPANSION} times its
 * encoded size plus 1 MiB: a decompression bomb never reaches the disk.
 */
export function boundExpansion(
  encoded: () => number,
): TransformStream<Uint8Array, Uint8Array> {
  let decoded = 0;
  return new TransformStream({
    transform(chunk, c) {
      decoded += chunk.length;
      if (decoded > encoded() * MAX_EXPANSION + 1024 * 1024) {
        throw new AttemptError(
          "permanent",
          `the compressed body expands to more than ${MAX_EXPANSION} times its size (a decompression bomb?); refused`,
          { discard: true },
        );
      }
      c.enqueue(chunk);
    },
  });
}
