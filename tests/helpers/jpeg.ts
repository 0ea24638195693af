/**
 * The one JPEG encoder of the test suite (fake Flickr content, metadata tests,
 * benchmarks): grey or colour, baseline (SOF0) or progressive (SOF2), DC
 * levels a seeded gradient per block, optional AC noise, with optional JFIF,
 * camera EXIF (hand-built TIFF IFDs), extra APPn segments, a COM segment,
 * padding segments and trailer bytes after EOI. The output is a valid JPEG
 * that any decoder and ExifTool read; its SOF dimensions are the requested
 * ones. Huffman tables are simple valid canonical tables (DC categories 0..11
 * with 4-bit codes, all 162 AC symbols with 8-bit codes) and the quantisation
 * table is flat (8), so a block's DC level is its mean minus 128.
 *
 * @module
 */

/** Camera EXIF written into APP1 (all optional except make/model/date). */
export interface CameraExif {
  /** IFD0 Make, e.g. "Canon". */
  make: string;
  /** IFD0 Model, e.g. "Canon EOS 5D Mark IV". */
  model: string;
  /** ExifIFD DateTimeOriginal, "YYYY:MM:DD HH:MM:SS". */
  dateTimeOriginal: string;
  /** ExposureTime as a rational [numerator, denominator], e.g. [1, 250]. */
  exposureTime?: [number, number];
  /** FNumber as a rational, e.g. [28, 10] for f/2.8. */
  fNumber?: [number, number];
  /** ISO speed. */
  iso?: number;
  /** FocalLength in mm as a rational, e.g. [50, 1]. */
  focalLength?: [number, number];
  /** ExifIFD LensModel. */
  lensModel?: string;
  /** IFD0 Orientation (1..8); default 1. */
  orientation?: number;
  /** IFD0 Software. */
  software?: string;
  /** IFD0 ImageDescription (ASCII only). */
  imageDescription?: string;
  /** IFD0 Artist. */
  artist?: string;
  /** GPS position written into a GPS IFD. */
  gps?: { latitude: number; longitude: number };
}

/** What {@linkcode encodeJpeg} produces. */
export interface JpegOptions {
  /** Image width in pixels (1..65535). */
  width: number;
  /** Image height in pixels (1..65535). */
  height: number;
  /** 1 grey or 3 colour components; default 3. */
  components?: 1 | 3;
  /** Progressive (SOF2: a DC scan, then one AC scan a component). */
  progressive?: boolean;
  /** Largest AC coefficient category (0 = flat blocks, up to 10); default 0. */
  noise?: number;
  /** Seed for the picture, so every photo's bytes differ; default 1. */
  seed?: number;
  /** A JFIF APP0 right after SOI. */
  jfif?: boolean;
  /** Camera EXIF (APP1), after JFIF. */
  exif?: CameraExif;
  /** APPn segments (complete, with marker), after JFIF and EXIF. */
  segments?: Uint8Array[];
  /** Text of a COM segment (UTF-8), after the APPn segments. */
  comment?: string;
  /** Bytes appended after EOI (e.g. a motion-photo trailer). */
  trailer?: Uint8Array;
  /**
   * Total file size to reach with COM padding segments placed before DQT.
   * Ignored when smaller than the natural size.
   */
  padTo?: number;
}

/** Largest total size of one padding segment (marker + length + data). */
export const MAX_SEGMENT = 65537;

/** Encodes a complete JPEG. */
export function encodeJpeg(options: JpegOptions): Uint8Array {
  const { head, tail } = jpegParts(options);
  const natural = head.length + tail.length;
  const padTo = options.padTo ?? 0;
  const padding = padTo > natural ? paddingSegments(padTo - natural, 0) : [];
  return concat([head, ...padding, tail]);
}

/**
 * Splits a JPEG in two halves, so that padding segments can go between:
 * `head` = SOI + APPn + COM, `tail` = DQT … EOI + trailer.
 */
export function jpegParts(
  options: JpegOptions,
): { head: Uint8Array; tail: Uint8Array } {
  const { width, height } = options;
  if (
    !(width >= 1 && width <= 65535 && height >= 1 && height <= 65535)
  ) {
    throw new RangeError(`Cannot encode JPEG of size ${width}x${height}`);
  }
  const head: Uint8Array[] = [Uint8Array.of(0xff, 0xd8)];
  if (options.jfif) head.push(segment(0xe0, JFIF));
  if (options.exif) {
    head.push(segment(0xe1, exifApp1(options.exif, width, height)));
  }
  head.push(...(options.segments ?? []));
  if (options.comment !== undefined) {
    head.push(segment(0xfe, new TextEncoder().encode(options.comment)));
  }

  const components = options.components ?? 3;
  const blocks = blockCoefficients(options, components);
  const ids = Array.from({ length: components }, (_, i) => i + 1);
  const tail: Uint8Array[] = frameSegments(
    width,
    height,
    components,
    options.progressive ? 0xc2 : 0xc0,
  );
  if (!options.progressive) {
    tail.push(sos(ids, 0, 63));
    const bits = new BitWriter(blocks.length);
    const predictors = new Array<number>(components).fill(0);
    for (const mcu of blocks) {
      mcu.forEach((block, c) => {
        writeDc(bits, block[0]! - predictors[c]!);
        predictors[c] = block[0]!;
        writeAc(bits, block);
      });
    }
    tail.push(bits.finish());
  } else {
    tail.push(sos(ids, 0, 0));
    const dc = new BitWriter(blocks.length);
    const predictors = new Array<number>(components).fill(0);
    for (const mcu of blocks) {
      mcu.forEach((block, c) => {
        writeDc(dc, block[0]! - predictors[c]!);
        predictors[c] = block[0]!;
      });
    }
    tail.push(dc.finish());
    for (let c = 0; c < components; c++) {
      tail.push(sos([c + 1], 1, 63));
      const ac = new BitWriter(blocks.length);
      for (const mcu of blocks) writeAc(ac, mcu[c]!);
      tail.push(ac.finish());
    }
  }
  tail.push(Uint8Array.of(0xff, 0xd9));
  if (options.trailer) tail.push(options.trailer);
  return { head: concat(head), tail: concat(tail) };
}

/**
 * Writes a large baseline colour JPEG to `file` without holding it in
 * memory: one noisy MCU row is encoded once and repeated, with a restart
 * marker after each row. Returns the number of bytes written.
 */
export async function writeLargeJpeg(
  file: Deno.FsFile,
  options: { width: number; targetBytes: number; segments?: Uint8Array[] },
): Promise<number> {
  const width = options.width;
  const row = encodeJpegRow(width, 7);
  const rows = Math.max(1, Math.ceil(options.targetBytes / (row.length + 2)));
  const height = rows * 8;
  const head = concat([
    Uint8Array.of(0xff, 0xd8),
    ...(options.segments ?? []),
    ...frameSegments(width, height, 3, 0xc0),
    segment(0xdd, Uint8Array.of((width / 8) >>> 8, (width / 8) & 0xff)),
    sos([1, 2, 3], 0, 63),
  ]);
  let written = 0;
  const write = async (bytes: Uint8Array) => {
    let at = 0;
    while (at < bytes.length) at += await file.write(bytes.subarray(at));
    written += bytes.length;
  };
  await write(head);
  // Batch rows into ~1 MiB writes.
  const perBatch = Math.max(1, Math.floor((1 << 20) / (row.length + 2)));
  for (let r = 0; r < rows; r += perBatch) {
    const parts: Uint8Array[] = [];
    for (let i = r; i < Math.min(rows, r + perBatch); i++) {
      parts.push(row);
      if (i < rows - 1) parts.push(Uint8Array.of(0xff, 0xd0 + (i % 8)));
    }
    await write(concat(parts));
  }
  await write(Uint8Array.of(0xff, 0xd9));
  return written;
}

function encodeJpegRow(width: number, seed: number): Uint8Array {
  const blocks = blockCoefficients(
    { width, height: 8, noise: 7, seed },
    3,
  );
  const bits = new BitWriter(blocks.length);
  const predictors = [0, 0, 0];
  for (const mcu of blocks) {
    mcu.forEach((block, c) => {
      writeDc(bits, block[0]! - predictors[c]!);
      predictors[c] = block[0]!;
      writeAc(bits, block);
    });
  }
  return bits.finish();
}

const JFIF = Uint8Array.of(
  0x4a,
  0x46,
  0x49,
  0x46,
  0x00,
  1,
  1,
  0,
  0,
  1,
  0,
  1,
  0,
  0,
);

/**
 * COM padding segments totalling exactly `total` bytes (total >= 4, or 0),
 * filled with a deterministic byte pattern.
 */
export function paddingSegments(total: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const layout = segmentLayout(total);
  for (let k = 0; k < layout.count; k++) {
    const len = layout.lengthOf(k);
    const seg = new Uint8Array(len);
    seg[0] = 0xff;
    seg[1] = 0xfe;
    seg[2] = (len - 2) >> 8;
    seg[3] = (len - 2) & 255;
    for (let i = 4; i < len; i++) seg[i] = (i * 31 + seed + k) & 0x7f;
    out.push(seg);
  }
  return out;
}

/**
 * How `total` bytes of padding split into segments of at most
 * {@linkcode MAX_SEGMENT} bytes, none shorter than 4.
 */
export function segmentLayout(total: number): {
  count: number;
  startOf(k: number): number;
  lengthOf(k: number): number;
} {
  if (total === 0) {
    return { count: 0, startOf: () => 0, lengthOf: () => 0 };
  }
  if (total < 4) throw new RangeError(`Cannot pad ${total} bytes`);
  const full = Math.floor(total / MAX_SEGMENT);
  const rest = total - full * MAX_SEGMENT;
  // Lengths: `full` segments of MAX_SEGMENT then `rest`; when rest is 1..3 the
  // last full segment gives up bytes so that the final one is 4 bytes long.
  let lengths: (k: number) => number;
  let count: number;
  if (rest === 0) {
    count = full;
    lengths = () => MAX_SEGMENT;
  } else if (rest >= 4) {
    count = full + 1;
    lengths = (k) => k < full ? MAX_SEGMENT : rest;
  } else {
    count = full + 1;
    lengths = (k) =>
      k < full - 1 ? MAX_SEGMENT : k === full - 1 ? MAX_SEGMENT + rest - 4 : 4;
  }
  return {
    count,
    startOf: (k) => k * MAX_SEGMENT,
    lengthOf: lengths,
  };
}
const DC_SYMBOLS = Array.from({ length: 12 }, (_, i) => i);
const AC_SYMBOLS = [
  0x00,
  0xf0,
  ...Array.from(
    { length: 160 },
    (_, i) => ((i % 16) << 4) | (Math.floor(i / 16) + 1),
  ),
];

/** Canonical codes when every symbol has the same code length. */
function huffmanCodes(symbols: number[]): Map<number, number> {
  const codes = new Map<number, number>();
  symbols.forEach((symbol, i) => codes.set(symbol, i));
  return codes;
}

const DC_CODES = huffmanCodes(DC_SYMBOLS);
const AC_CODES = huffmanCodes(AC_SYMBOLS);

function dhtSegment(): Uint8Array {
  const table = (cls: number, bitsLength: number, symbols: number[]) => {
    const counts = new Uint8Array(16);
    counts[bitsLength - 1] = symbols.length;
    return concat([
      Uint8Array.of((cls << 4) | 0),
      counts,
      Uint8Array.from(symbols),
    ]);
  };
  return segment(
    0xc4,
    concat([table(0, 4, DC_SYMBOLS), table(1, 8, AC_SYMBOLS)]),
  );
}

function frameSegments(
  width: number,
  height: number,
  components: number,
  marker: number,
): Uint8Array[] {
  const dqt = segment(
    0xdb,
    concat([Uint8Array.of(0), new Uint8Array(64).fill(8)]),
  );
  const sof = segment(
    marker,
    concat([
      Uint8Array.of(
        8,
        height >>> 8,
        height & 0xff,
        width >>> 8,
        width & 0xff,
        components,
      ),
      ...Array.from(
        { length: components },
        (_, i) => Uint8Array.of(i + 1, 0x11, 0),
      ),
    ]),
  );
  return [dqt, sof, dhtSegment()];
}

function sos(componentIds: number[], ss: number, se: number): Uint8Array {
  return segment(
    0xda,
    concat([
      Uint8Array.of(componentIds.length),
      ...componentIds.map((id) => Uint8Array.of(id, 0x00)),
      Uint8Array.of(ss, se, 0),
    ]),
  );
}

/**
 * Coefficients of every block, MCU by MCU (one 8×8 block a component).
 * Luma: a triangle wave whose phase and slope come from the seed, so
 * neighbouring blocks stay close and every seed gives other bytes; chroma:
 * plain gradients. With `noise`, random AC coefficients on top.
 */
function blockCoefficients(
  options: Pick<JpegOptions, "width" | "height" | "noise" | "seed">,
  components: number,
): Int16Array[][] {
  const bw = Math.ceil(options.width / 8);
  const bh = Math.ceil(options.height / 8);
  const seed = options.seed ?? 1;
  const s = mix32(seed);
  const base = s & 0xff;
  const dx = ((s >>> 8) & 7) + 1;
  const dy = ((s >>> 11) & 7) + 1;
  const next = random(seed);
  const noise = options.noise ?? 0;
  const out: Int16Array[][] = [];
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const mcu: Int16Array[] = [];
      for (let c = 0; c < components; c++) {
        const block = new Int16Array(64);
        if (c === 0) {
          const t = (base + Math.floor((x * dx + y * dy) / 2)) % 512;
          block[0] = (t < 256 ? t : 511 - t) - 128;
        } else {
          block[0] = Math.round((c === 1 ? x / bw : y / bh) * 100) - 50;
        }
        for (let k = 1; noise > 0 && k < 64; k++) {
          if (next() < 0.5) continue;
          const size = 1 + Math.floor(next() * noise);
          const magnitude = (1 << (size - 1)) +
            Math.floor(next() * (1 << (size - 1)));
          block[k] = next() < 0.5 ? -magnitude : magnitude;
        }
        mcu.push(block);
      }
      out.push(mcu);
    }
  }
  return out;
}

function category(value: number): number {
  const abs = Math.abs(value);
  return abs === 0 ? 0 : 32 - Math.clz32(abs);
}

function writeValue(bits: BitWriter, value: number, size: number) {
  if (size === 0) return;
  bits.write(value >= 0 ? value : value + (1 << size) - 1, size);
}

function writeDc(bits: BitWriter, diff: number) {
  const size = category(diff);
  bits.write(DC_CODES.get(size)!, 4);
  writeValue(bits, diff, size);
}

function writeAc(bits: BitWriter, coefficients: Int16Array) {
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const value = coefficients[k]!;
    if (value === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      bits.write(AC_CODES.get(0xf0)!, 8);
      run -= 16;
    }
    const size = category(value);
    bits.write(AC_CODES.get((run << 4) | size)!, 8);
    writeValue(bits, value, size);
    run = 0;
  }
  if (run > 0) bits.write(AC_CODES.get(0x00)!, 8);
}

/** A seeded pseudo-random generator (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** MSB-first bit writer with JPEG 0xFF byte stuffing. */
class BitWriter {
  #bytes: Uint8Array;
  #length = 0;
  #acc = 0;
  #bits = 0;
  constructor(blocks: number) {
    this.#bytes = new Uint8Array(Math.max(64, blocks * 3));
  }
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.#acc = (this.#acc << 1) | ((value >>> i) & 1);
      this.#bits++;
      if (this.#bits === 8) this.#flush();
    }
  }
  #flush(): void {
    this.#push(this.#acc & 0xff);
    if ((this.#acc & 0xff) === 0xff) this.#push(0);
    this.#acc = 0;
    this.#bits = 0;
  }
  #push(byte: number): void {
    if (this.#length === this.#bytes.length) {
      const bigger = new Uint8Array(this.#bytes.length * 2);
      bigger.set(this.#bytes);
      this.#bytes = bigger;
    }
    this.#bytes[this.#length++] = byte;
  }
  finish(): Uint8Array {
    while (this.#bits !== 0) this.write(1, 1);
    return this.#bytes.slice(0, this.#length);
  }
}

function segment(marker: number, payload: Uint8Array): Uint8Array {
  const len = payload.length + 2;
  if (len > 0xffff) throw new RangeError("JPEG segment too long");
  const out = new Uint8Array(payload.length + 4);
  out[0] = 0xff;
  out[1] = marker;
  out[2] = len >> 8;
  out[3] = len & 255;
  out.set(payload, 4);
  return out;
}

// ---------------------------------------------------------------- EXIF / TIFF

type IfdValue =
  | { type: "ascii"; value: string }
  | { type: "short"; value: number[] }
  | { type: "long"; value: number[] }
  | { type: "rational"; value: [number, number][] }
  | { type: "byte"; value: number[] }
  | { type: "undefined"; value: number[] };

type TypedEntry = [tag: number, value: IfdValue];

const TYPE_CODE = {
  byte: 1,
  ascii: 2,
  short: 3,
  long: 4,
  rational: 5,
  undefined: 7,
} as const;

function valueBytes(v: IfdValue): { count: number; bytes: Uint8Array } {
  switch (v.type) {
    case "ascii": {
      const text = new TextEncoder().encode(v.value + "\0");
      return { count: text.length, bytes: text };
    }
    case "byte":
    case "undefined":
      return { count: v.value.length, bytes: new Uint8Array(v.value) };
    case "short": {
      const b = new Uint8Array(v.value.length * 2);
      const dv = new DataView(b.buffer);
      v.value.forEach((n, i) => dv.setUint16(i * 2, n, true));
      return { count: v.value.length, bytes: b };
    }
    case "long": {
      const b = new Uint8Array(v.value.length * 4);
      const dv = new DataView(b.buffer);
      v.value.forEach((n, i) => dv.setUint32(i * 4, n, true));
      return { count: v.value.length, bytes: b };
    }
    case "rational": {
      const b = new Uint8Array(v.value.length * 8);
      const dv = new DataView(b.buffer);
      v.value.forEach(([n, d], i) => {
        dv.setUint32(i * 8, n, true);
        dv.setUint32(i * 8 + 4, d, true);
      });
      return { count: v.value.length, bytes: b };
    }
  }
}

/**
 * One IFD entry as bytes (little-endian): `value` sits in the entry when it
 * has at most 4 bytes, otherwise after the table; with `at`, the entry points
 * at that offset (from the TIFF start) instead, for a block written
 * elsewhere (a MakerNote, say).
 */
export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  value: Uint8Array;
  at?: number;
}

/** Size of what {@linkcode encodeIfd} writes for `entries`. */
export function ifdSize(entries: readonly IfdEntry[]): number {
  let size = 2 + entries.length * 12 + 4;
  for (const e of entries) {
    if (e.at === undefined && e.value.length > 4) {
      size += e.value.length + (e.value.length & 1);
    }
  }
  return size;
}

/**
 * A little-endian IFD that starts `at` bytes into its TIFF: the entry table
 * sorted by tag, a zero next-IFD link, then the values that do not fit in an
 * entry, each padded to an even length. The one IFD writer of the tests
 * (camera EXIF of the fake Flickr, the Canon-style MakerNote fixture).
 */
export function encodeIfd(
  entries: readonly IfdEntry[],
  at: number,
): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const out = new Uint8Array(ifdSize(sorted));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, sorted.length, true);
  let data = 2 + sorted.length * 12 + 4;
  sorted.forEach((e, i) => {
    const entry = 2 + i * 12;
    dv.setUint16(entry, e.tag, true);
    dv.setUint16(entry + 2, e.type, true);
    dv.setUint32(entry + 4, e.count, true);
    if (e.at !== undefined) {
      dv.setUint32(entry + 8, e.at, true);
    } else if (e.value.length <= 4) {
      out.set(e.value, entry + 8);
    } else {
      dv.setUint32(entry + 8, at + data, true);
      out.set(e.value, data);
      data += e.value.length + (e.value.length & 1);
    }
  });
  return out;
}

function raw(entries: TypedEntry[]): IfdEntry[] {
  return entries.map(([tag, v]) => {
    const { count, bytes } = valueBytes(v);
    return { tag, type: TYPE_CODE[v.type], count, value: bytes };
  });
}

function toRational(x: number): [number, number] {
  return [Math.round(x * 10000), 10000];
}

function dms(deg: number): [number, number][] {
  const a = Math.abs(deg);
  const d = Math.floor(a);
  const m = Math.floor((a - d) * 60);
  const s = (a - d - m / 60) * 3600;
  return [[d, 1], [m, 1], toRational(s)];
}

/** APP1 payload: "Exif\0\0" + a little-endian TIFF with IFD0, Exif and GPS. */
export function exifApp1(
  exif: CameraExif,
  width: number,
  height: number,
): Uint8Array {
  const ascii = (value: string): IfdValue => ({ type: "ascii", value });
  const ifd0: TypedEntry[] = [
    [0x010f, ascii(exif.make)],
    [0x0110, ascii(exif.model)],
    [0x0112, { type: "short", value: [exif.orientation ?? 1] }],
    [0x011a, { type: "rational", value: [[72, 1]] }],
    [0x011b, { type: "rational", value: [[72, 1]] }],
    [0x0128, { type: "short", value: [2] }],
    [0x0132, ascii(exif.dateTimeOriginal)],
    [0x0213, { type: "short", value: [1] }],
  ];
  if (exif.imageDescription !== undefined) {
    ifd0.push([0x010e, ascii(exif.imageDescription)]);
  }
  if (exif.software !== undefined) ifd0.push([0x0131, ascii(exif.software)]);
  if (exif.artist !== undefined) ifd0.push([0x013b, ascii(exif.artist)]);
  const exifIfd: TypedEntry[] = [
    [0x9000, { type: "undefined", value: [0x30, 0x32, 0x33, 0x32] }],
    [0x9003, ascii(exif.dateTimeOriginal)],
    [0x9004, ascii(exif.dateTimeOriginal)],
    [0x9101, { type: "undefined", value: [1, 2, 3, 0] }],
    [0xa000, { type: "undefined", value: [0x30, 0x31, 0x30, 0x30] }],
    [0xa001, { type: "short", value: [1] }],
    [0xa002, { type: "long", value: [width] }],
    [0xa003, { type: "long", value: [height] }],
  ];
  if (exif.exposureTime) {
    exifIfd.push([0x829a, { type: "rational", value: [exif.exposureTime] }]);
  }
  if (exif.fNumber) {
    exifIfd.push([0x829d, { type: "rational", value: [exif.fNumber] }]);
  }
  if (exif.iso !== undefined) {
    exifIfd.push([0x8827, { type: "short", value: [exif.iso] }]);
  }
  if (exif.focalLength) {
    exifIfd.push([0x920a, { type: "rational", value: [exif.focalLength] }]);
  }
  if (exif.lensModel !== undefined) {
    exifIfd.push([0xa434, ascii(exif.lensModel)]);
  }
  const gpsIfd: TypedEntry[] | undefined = exif.gps && [
    [0x0000, { type: "byte", value: [2, 3, 0, 0] }],
    [0x0001, ascii(exif.gps.latitude >= 0 ? "N" : "S")],
    [0x0002, { type: "rational", value: dms(exif.gps.latitude) }],
    [0x0003, ascii(exif.gps.longitude >= 0 ? "E" : "W")],
    [0x0004, { type: "rational", value: dms(exif.gps.longitude) }],
  ];
  // Pointers are LONGs whose values depend on the layout: size with dummies.
  ifd0.push([0x8769, { type: "long", value: [0] }]);
  if (gpsIfd) ifd0.push([0x8825, { type: "long", value: [0] }]);
  const ifd0At = 8;
  const exifAt = ifd0At + ifdSize(raw(ifd0));
  const gpsAt = exifAt + ifdSize(raw(exifIfd));
  for (const entry of ifd0) {
    if (entry[0] === 0x8769) entry[1] = { type: "long", value: [exifAt] };
    if (entry[0] === 0x8825) entry[1] = { type: "long", value: [gpsAt] };
  }
  return concat([
    new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0]),
    new Uint8Array([0x49, 0x49, 0x2a, 0x00, ifd0At, 0, 0, 0]),
    encodeIfd(raw(ifd0), ifd0At),
    encodeIfd(raw(exifIfd), exifAt),
    ...(gpsIfd ? [encodeIfd(raw(gpsIfd), gpsAt)] : []),
  ]);
}

// ---------------------------------------------------------------- helpers

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 32-bit integer hash (murmur3 finalizer), deterministic everywhere. */
export function mix32(x: number): number {
  let h = (x ^ 0x9e3779b9) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
