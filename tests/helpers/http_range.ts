/**
 * The Range / If-Range rules both test servers answer with (the fake Flickr
 * CDN in tests/fake_flickr/files.ts and the download test server in
 * ./download_server.ts), so the downloader meets one reading of RFC 9110
 * §14.2 (Range) and §13.1.5 (If-Range).
 *
 * @module
 */

/** A satisfiable byte range (inclusive end), or why there is none. */
export type RangeAnswer =
  | { start: number; end: number }
  | "unsatisfiable"
  | undefined;

/**
 * Parses a single `bytes=` range against `size`: `undefined` means "serve the
 * whole file" (no range, junk or several ranges).
 */
export function parseRange(header: string, size: number): RangeAnswer {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined; // multi-range or junk: serve the whole file
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== "" && Number(b) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/**
 * The range a request asks for, after If-Range: a validator that does not
 * match the current entity (strong ETag comparison, so a weak ETag never
 * matches; or the exact Last-Modified date) means the whole file.
 */
export function requestedRange(
  headers: Headers,
  size: number,
  current: { etag: string | null; lastModified?: string },
): RangeAnswer {
  const header = headers.get("range");
  const range = header ? parseRange(header, size) : undefined;
  const ifRange = headers.get("if-range");
  if (range === undefined || ifRange === null) return range;
  const matches = ifRange.startsWith('"') || ifRange.startsWith("W/")
    ? current.etag !== null && !ifRange.startsWith("W/") &&
      ifRange === current.etag
    : ifRange === current.lastModified;
  return matches ? range : undefined;
}
