/**
 * Small byte and text helpers shared by the metadata writers. Private to
 * `src/metadata/`.
 *
 * @module
 */

import { Buffer } from "node:buffer";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a string as UTF-8 (lone surrogates become U+FFFD). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * {@link utf8} followed by one NUL byte, in one allocation (small typed
 * arrays are costly to make: this matters per photo).
 */
export function utf8WithNul(text: string): Uint8Array {
  const n = text.length;
  if (n <= 256) {
    const out = new Uint8Array(n + 1);
    let i = 0;
    while (i < n) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) break;
      out[i++] = unit;
    }
    if (i === n) return out;
  }
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Decodes UTF-8, or returns undefined when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    // Invalid UTF-8 is an expected outcome here, reported to the caller.
    return undefined;
  }
}

/** Decodes bytes as Latin-1 (one char per byte), for ASCII signatures. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length) {
  let out = "";
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

/** Encodes a string whose chars are all below U+0100 as one byte each. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Joins byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** True when both arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `bytes` holds `prefix` at `offset`. */
export function startsWithAt(
  bytes: Uint8Array,
  offset: number,
  prefix: Uint8Array,
): boolean {
  if (offset < 0 || offset + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (bytes[offset + i] !== prefix[i]) return false;
  }
  return true;
}

/** Reads a big-endian unsigned 16-bit integer. */
export function u16be(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

/** Reads a big-endian unsigned 32-bit integer. */
export function u32be(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] ?? 0) << 24) >>> 0) +
    ((bytes[offset + 1] ?? 0) << 16) + ((bytes[offset + 2] ?? 0) << 8) +
    (bytes[offset + 3] ?? 0);
}

/** Big-endian bytes of an unsigned 16-bit integer. */
export function be16(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

/** Big-endian bytes of an unsigned 32-bit integer. */
export function be32(value: number): Uint8Array {
  return Uint8Array.of(
    (value >>> 24) & 0xff,
    (value >>> 16) & 0xff,
    (value >>> 8) & 0xff,
    value & 0xff,
  );
}

/** The result of cutting text down to a byte budget. */
export interface Truncated {
  /** The text, whole or cut. */
  text: string;
  /** True when characters were removed. */
  truncated: boolean;
}

/**
 * Cuts `text` so that its UTF-8 form is at most `maxBytes` bytes, never
 * splitting a code point (or a surrogate pair). When `marker` is given and a
 * cut happens, the marker is appended and still fits in the budget.
 */
export function truncateUtf8(
  text: string,
  maxBytes: number,
  marker = "",
): Truncated {
  // A UTF-16 unit never takes more than 3 bytes of UTF-8: most text is
  // known to fit without encoding it.
  if (text.length * 3 <= maxBytes || utf8(text).length <= maxBytes) {
    return { text, truncated: false };
  }
  const markerBytes = utf8(marker).length;
  const withMarker = markerBytes <= maxBytes;
  const budget = withMarker ? maxBytes - markerBytes : maxBytes;
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Size(char.codePointAt(0) ?? 0);
    if (used + size > budget) break;
    used += size;
    end += char.length;
  }
  return {
    text: text.slice(0, end) + (withMarker ? marker : ""),
    truncated: true,
  };
}

/** UTF-8 length of one code point (a lone surrogate becomes U+FFFD: 3). */
function utf8Size(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Cuts a string to at most `maxUnits` UTF-16 code units, keeping pairs. */
export function truncateUtf16(text: string, maxUnits: number): Truncated {
  if (text.length <= maxUnits) return { text, truncated: false };
  let end = 0;
  for (const char of text) {
    if (end + char.length > maxUnits) break;
    end += char.length;
  }
  return { text: text.slice(0, end), truncated: true };
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * Converts bytes to a "binary string" (one char per byte), as piexifjs wants
 * (Buffer's "latin1" is exactly that, natively: ~100 times faster than
 * `String.fromCharCode` over the bytes).
 */
export function toBinaryString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1");
}
