/**
 * Header parsing and URL redaction for the download engine. Pure.
 *
 * @module
 */

/** A parsed `Content-Range: bytes START-END/TOTAL` of a 206. */
export interface ContentRange {
  start: number;
  end: number;
  /** Undefined for `*` (unknown total). */
  total: number | undefined;
}

/** Parses `bytes START-END/TOTAL` (or `/*`); undefined if malformed. */
export function parseContentRange(
  value: string | null,
): ContentRange | undefined {
  if (value === null) return undefined;
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === "*" ? undefined : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
    return undefined;
  }
  if (end < start) return undefined;
  if (total !== undefined && (!Number.isSafeInteger(total) || end >= total)) {
    return undefined;
  }
  return { start, end, total };
}

/** Parses `Content-Length`; undefined when absent or not one integer. */
export function parseContentLength(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * True for a strong entity tag (`"abc"`); false for weak (`W/"abc"`),
 * missing or malformed ones. Only strong tags may go in `If-Range`.
 */
export function isStrongEtag(etag: string | null | undefined): etag is string {
  if (etag === null || etag === undefined) return false;
  return /^"[\x21\x23-\x7e\x80-\xff]*"$/.test(etag);
}

/**
 * The URL without query, fragment or credentials: signed tokens often ride
 * in the query string, and this text ends up in messages and sidecars.
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(url).replace(/[?#].*$/s, "");
  }
}

/**
 * Removes query strings, fragments and credentials from every URL inside
 * `text` (Deno's fetch errors quote the full URL).
 */
export function redactText(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi, (match) => {
    // Keep punctuation that closes the sentence around the URL: "(url): x".
    const closing = /[)\].,;:!]*$/.exec(match)?.[0] ?? "";
    let out = match.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, "$1");
    if (/[?#]/.test(out)) out = out.replace(/[?#].*$/s, "") + closing;
    return out;
  });
}

/**
 * The file extension named by `Content-Disposition` (`filename*=` preferred
 * over `filename=`), lower case, or undefined.
 */
export function extensionFromContentDisposition(
  value: string | null,
): string | undefined {
  if (value === null) return undefined;
  let filename: string | undefined;
  const extended = /filename\*\s*=\s*([^;]+)/i.exec(value);
  if (extended?.[1]) {
    const raw = extended[1].trim().replace(/^"(.*)"$/, "$1");
    const quote = raw.indexOf("''");
    const encoded = quote === -1 ? raw : raw.slice(quote + 2);
    try {
      filename = decodeURIComponent(encoded);
    } catch {
      filename = encoded;
    }
  }
  if (filename === undefined) {
    const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(value);
    if (plain) {
      filename = plain[2] !== undefined
        ? plain[2].replace(/\\(.)/g, "$1")
        : plain[1]?.trim();
    }
  }
  return filename === undefined ? undefined : extensionOf(filename);
}

/** The extension of the last segment of a URL path, lower case. */
export function extensionFromUrl(url: string | URL): string | undefined {
  try {
    const pathname = new URL(url).pathname;
    const last = pathname.slice(pathname.lastIndexOf("/") + 1);
    return extensionOf(decodeURIComponentSafe(last));
  } catch {
    return undefined;
  }
}

function extensionOf(name: string): string | undefined {
  const base = name.slice(
    Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1,
  );
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const ext = base.slice(dot + 1).toLowerCase();
  return /^[a-z0-9]{1,8}$/.test(ext) ? ext : undefined;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** True for hosts that are this machine (tests use plain http there). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") ||
    host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
