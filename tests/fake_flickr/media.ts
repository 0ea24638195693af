/**
 * Media bytes for the fake: tiny valid PNG and GIF encoders, MP4/QuickTime
 * box headers, and {@linkcode ByteSource}s that stream large generated
 * content by offset without holding it in memory.
 *
 * @module
 */

import { deflateSync } from "node:zlib";
import {
  concat,
  jpegParts,
  MAX_SEGMENT,
  mix32,
  segmentLayout,
} from "../helpers/jpeg.ts";
import type { CameraExif } from "../helpers/jpeg.ts";

/** Bytes readable by range, in chunks of at most {@linkcode CHUNK} bytes. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Yields the bytes of `[start, end)` in order. */
  read(start: number, end: number): Iterable<Uint8Array>;
}

/** Largest chunk a {@linkcode ByteSource} yields. */
export const CHUNK = 64 * 1024;

/** A source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    *read(start, end) {
      for (let at = start; at < end; at += CHUNK) {
        yield bytes.subarray(at, Math.min(end, at + CHUNK));
      }
    },
  };
}

/** One piece of a {@linkcode compositeSource}. */
export type SourcePart =
  | { kind: "bytes"; bytes: Uint8Array }
  | {
    kind: "fill";
    size: number;
    seed: number;
    /** Cut into JPEG COM segments, to sit inside a JPEG header. */
    jpegSegments?: boolean;
    /** No 0xFF bytes, to sit inside a JPEG scan (entropy-coded data). */
    jpegScan?: boolean;
  };

/**
 * A source made of parts: fixed bytes and pseudo-random fill. The fill at an
 * offset is a pure function of (seed, offset), so any range is produced
 * without generating what comes before it. With `jpegSegments`, the fill is
 * cut into JPEG COM segments (marker + length written over the fill) so it
 * can sit inside a JPEG header.
 */
export function compositeSource(parts: SourcePart[]): ByteSource {
  const sizes = parts.map((p) => p.kind === "bytes" ? p.bytes.length : p.size);
  const size = sizes.reduce((a, b) => a + b, 0);
  return {
    size,
    *read(start, end) {
      let base = 0;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        const len = sizes[i] ?? 0;
        if (!part) continue;
        const from = Math.max(start, base);
        const to = Math.min(end, base + len);
        if (from < to) {
          if (part.kind === "bytes") {
            yield* bytesSource(part.bytes).read(from - base, to - base);
          } else {
            yield* fillChunks(part, from - base, to - base);
          }
        }
        base += len;
        if (base >= end) return;
      }
    },
  };
}

function* fillChunks(
  part: {
    size: number;
    seed: number;
    jpegSegments?: boolean;
    jpegScan?: boolean;
  },
  start: number,
  end: number,
): Iterable<Uint8Array> {
  const layout = part.jpegSegments ? segmentLayout(part.size) : undefined;
  let at = start;
  while (at < end) {
    const block = Math.floor(at / CHUNK);
    const blockStart = block * CHUNK;
    const to = Math.min(end, blockStart + CHUNK);
    const chunk = fillBlock(part.seed, block).subarray(
      at - blockStart,
      to - blockStart,
    );
    if (layout) patchSegmentHeaders(chunk, at, layout);
    if (part.jpegScan) {
      // Entropy-coded data never holds a bare FF (it would be a marker).
      for (let i = chunk.indexOf(0xff); i >= 0; i = chunk.indexOf(0xff, i)) {
        chunk[i] = 0xfe;
      }
    }
    yield chunk;
    at = to;
  }
}

/** 64 KiB of pseudo-random bytes for block `block` (xorshift32). */
function fillBlock(seed: number, block: number): Uint8Array {
  const words = new Uint32Array(CHUNK / 4);
  let x = mix32((seed * 0x01000193) ^ mix32(block)) | 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return new Uint8Array(words.buffer);
}

function patchSegmentHeaders(
  chunk: Uint8Array,
  offset: number,
  layout: ReturnType<typeof segmentLayout>,
): void {
  const end = offset + chunk.length;
  const first = Math.max(0, Math.floor(offset / MAX_SEGMENT) - 1);
  for (let k = first; k < layout.count; k++) {
    const s = layout.startOf(k);
    if (s >= end) break;
    const len = layout.lengthOf(k);
    const header = [0xff, 0xfe, (len - 2) >> 8, (len - 2) & 255];
    for (let j = 0; j < 4; j++) {
      const pos = s + j - offset;
      if (pos >= 0 && pos < chunk.length) chunk[pos] = header[j] ?? 0;
    }
  }
}

/** Formats a generated source can take. */
export type GeneratedFormat = "jpg" | "mp4" | "mov" | "bin";

/** Options for {@linkcode generatedSource}. */
export interface GeneratedOptions {
  /** Wanted size in bytes (raised to the format's minimum when smaller). */
  size: number;
  /** Seed of the fill. */
  seed: number;
  /** Container the bytes start with; default "bin" (raw fill). */
  format?: GeneratedFormat;
  /** JPEG only: pixel size written in SOF (default 64×48). */
  width?: number;
  /** JPEG only. */
  height?: number;
  /** JPEG only: camera EXIF. */
  exif?: CameraExif;
}

/**
 * Deterministic content of (almost) any size: a valid JPEG (a small header,
 * then a scan padded with fill up to the size, then EOI), an MP4 or QuickTime file (ftyp + moov +
 * mdat of fill), or raw fill.
 */
export function generatedSource(options: GeneratedOptions): ByteSource {
  const format = options.format ?? "bin";
  const seed = options.seed;
  if (format === "jpg") {
    const { head, tail } = jpegParts({
      width: options.width ?? 64,
      height: options.height ?? 48,
      seed,
      components: 1,
      jfif: options.exif === undefined,
      exif: options.exif,
      comment: `fake-flickr generated seed=${seed}`,
    });
    // As in a camera file, the bulk is image data after SOS: the fill goes
    // at the end of the scan, before EOI; the header stays a few KB.
    const fill = Math.max(0, options.size - head.length - tail.length);
    return compositeSource([
      { kind: "bytes", bytes: head },
      { kind: "bytes", bytes: tail.subarray(0, tail.length - 2) },
      { kind: "fill", size: fill, seed, jpegScan: true },
      { kind: "bytes", bytes: tail.subarray(tail.length - 2) },
    ]);
  }
  if (format === "mp4" || format === "mov") {
    const head = videoHead(format, 0);
    const payload = Math.max(0, options.size - head.length);
    return compositeSource([
      { kind: "bytes", bytes: videoHead(format, payload) },
      { kind: "fill", size: payload, seed },
    ]);
  }
  return compositeSource([{ kind: "fill", size: options.size, seed }]);
}

/**
 * The start of an ISO-BMFF video: `ftyp` (isom, or `qt  ` for mov), a `moov`
 * with an `mvhd` (10 s), then an `mdat` header for `payload` bytes.
 */
export function videoHead(format: "mp4" | "mov", payload: number): Uint8Array {
  const ftyp = format === "mov"
    ? box("ftyp", ascii("qt  "), u32(0x200), ascii("qt  "))
    : box(
      "ftyp",
      ascii("isom"),
      u32(0x200),
      ascii("isom"),
      ascii("iso2"),
      ascii("avc1"),
      ascii("mp41"),
    );
  const mvhd = new Uint8Array(100);
  const dv = new DataView(mvhd.buffer);
  dv.setUint32(12, 1000); // timescale
  dv.setUint32(16, 10_000); // duration: 10 s
  dv.setUint32(20, 0x00010000); // rate 1.0
  dv.setUint16(24, 0x0100); // volume 1.0
  for (
    const [i, v] of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]
      .entries()
  ) {
    dv.setUint32(36 + i * 4, v);
  }
  dv.setUint32(96, 2); // next track id
  const moov = box("moov", box("mvhd", mvhd));
  const mdat = payload + 8 <= 0xffffffff
    ? concat([u32(payload + 8), ascii("mdat")])
    : concat([u32(1), ascii("mdat"), u64(payload + 16)]);
  return concat([ftyp, moov, mdat]);
}

function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(payload);
  return concat([u32(body.length + 8), ascii(type), body]);
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

// ---------------------------------------------------------------- PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE), as PNG and gzip use it. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat([ascii(type), data]);
  return concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** A valid RGB PNG with a seeded gradient and an optional tEXt comment. */
export function encodePng(
  options: { width: number; height: number; seed?: number; comment?: string },
): Uint8Array {
  const { width, height } = options;
  const s = mix32(options.seed ?? 1);
  const raw = new Uint8Array((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const p = row + 1 + x * 3;
      raw[p] = (s + x * 8) & 255;
      raw[p + 1] = ((s >>> 8) + y * 8) & 255;
      raw[p + 2] = ((s >>> 16) + (x + y) * 4) & 255;
    }
  }
  const ihdr = concat([
    u32(width),
    u32(height),
    new Uint8Array([8, 2, 0, 0, 0]),
  ]);
  const chunks = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
  ];
  if (options.comment !== undefined) {
    chunks.push(pngChunk("tEXt", ascii(`Comment\0${options.comment}`)));
  }
  chunks.push(
    pngChunk("IDAT", new Uint8Array(deflateSync(raw))),
    pngChunk("IEND", new Uint8Array()),
  );
  return concat(chunks);
}

// ---------------------------------------------------------------- GIF

/**
 * A valid GIF89a with a 4-colour palette. The LZW stream sends a clear code
 * before every pixel, so the code width stays at 3 bits (a well-known way to
 * write GIF without a compressor).
 */
export function encodeGif(
  options: { width: number; height: number; seed?: number; comment?: string },
): Uint8Array {
  const { width, height } = options;
  const s = mix32(options.seed ?? 1);
  const palette = new Uint8Array(12);
  for (let i = 0; i < 12; i++) palette[i] = (s >>> (i * 2)) * (i + 1) & 255;
  const parts: Uint8Array[] = [
    ascii("GIF89a"),
    new Uint8Array([
      width & 255,
      width >> 8,
      height & 255,
      height >> 8,
      0xf1, // global colour table, 2 bits/pixel → 4 entries
      0,
      0,
    ]),
    palette,
  ];
  if (options.comment !== undefined) {
    parts.push(new Uint8Array([0x21, 0xfe]), subBlocks(ascii(options.comment)));
  }
  parts.push(
    new Uint8Array([
      0x2c,
      0,
      0,
      0,
      0,
      width & 255,
      width >> 8,
      height & 255,
      height >> 8,
      0,
    ]),
  );
  // LZW: min code size 2 → clear = 4, end = 5, code width 3.
  const bits: number[] = [];
  const put = (code: number) => {
    for (let i = 0; i < 3; i++) bits.push((code >> i) & 1);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      put(4);
      put(((x >> 2) + (y >> 2) + s) & 3);
    }
  }
  put(5);
  const data = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    data[i >> 3] = (data[i >> 3] ?? 0) | (b << (i & 7));
  });
  parts.push(new Uint8Array([2]), subBlocks(data), new Uint8Array([0x3b]));
  return concat(parts);
}

function subBlocks(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const n = Math.min(255, data.length - at);
    parts.push(new Uint8Array([n]), data.subarray(at, at + n));
  }
  parts.push(new Uint8Array([0]));
  return concat(parts);
}
