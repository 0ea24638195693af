/**
 * A JPEG at one eighth of its size, from the DC coefficients alone: each
 * 8×8 block becomes one pixel (its average), so no inverse DCT runs and
 * only one value per block is kept. A 24 MP camera file becomes a 750×500
 * picture in a fraction of the time and memory a full decode takes; that
 * is plenty for a 240-pixel thumbnail.
 *
 * Huffman-coded baseline, extended and progressive JPEGs of 8-bit samples
 * with one (grey) or three (YCbCr, or RGB per Adobe's marker) components.
 * Anything else (arithmetic coding, lossless, CMYK, 12-bit, damage) gives
 * `undefined` and the caller falls back to another way. Pure.
 *
 * @module
 */

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** DC per block, over whole MCUs (`perLine` × rows). */
  dc: Int32Array;
  perLine: number;
  /** Blocks that hold picture (a non-interleaved scan visits only these). */
  blocksWide: number;
  blocksHigh: number;
  pred: number;
  dcTable?: Huffman;
  acTable?: Huffman;
}

interface Huffman {
  /** Largest code of each length 1–16 (-1: none), as in JPEG's F.2.2.3. */
  maxCode: Int32Array;
  /** Index in `values` of the first code of each length, minus that code. */
  offset: Int32Array;
  values: Uint8Array;
  /** For every 9-bit prefix: code length << 8 | value (0: longer code). */
  fast: Uint16Array;
}

/** An RGBA picture of `ceil(width / 8)` × `ceil(height / 8)` pixels. */
export interface DcPicture {
  data: Uint8Array;
  width: number;
  height: number;
}

const FAST_BITS = 9;

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1);
  const offset = new Int32Array(18);
  const fast = new Uint16Array(1 << FAST_BITS);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    offset[length] = k - code;
    for (let i = 0; i < n; i++, code++, k++) {
      if (length <= FAST_BITS) {
        const first = code << (FAST_BITS - length);
        const entry = (length << 8) | values[k]!;
        fast.fill(entry, first, first + (1 << (FAST_BITS - length)));
      }
    }
    if (n) maxCode[length] = code - 1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // ends the slow search: damage is caught below
  return { maxCode, offset, values, fast };
}

/** Reads the entropy-coded bits of one scan, undoing 0xFF00 stuffing. */
class Bits {
  #data: Uint8Array;
  pos: number;
  /** Bits read ahead; the low `#count` of them are unread. */
  #acc = 0;
  #count = 0;
  #atMarker = false;
  constructor(data: Uint8Array, pos: number) {
    this.#data = data;
    this.pos = pos;
  }
  /** Has at least 25 unread bits (zeros once a marker is reached). */
  #fill(): void {
    const data = this.#data;
    while (this.#count <= 24) {
      let b = 0;
      if (!this.#atMarker && this.pos < data.length) {
        b = data[this.pos]!;
        if (b !== 0xff) this.pos++;
        else if (data[this.pos + 1] === 0) this.pos += 2;
        else {
          this.#atMarker = true;
          b = 0;
        }
      }
      this.#acc = (this.#acc << 8) | b;
      this.#count += 8;
    }
  }
  bits(n: number): number {
    if (n === 0) return 0;
    this.#fill();
    this.#count -= n;
    return (this.#acc >>> this.#count) & ((1 << n) - 1);
  }
  bit(): number {
    return this.bits(1);
  }
  decode(table: Huffman): number {
    this.#fill();
    const entry = table
      .fast[(this.#acc >>> (this.#count - FAST_BITS)) & 0x1ff]!;
    if (entry) {
      this.#count -= entry >> 8;
      return entry & 0xff;
    }
    let length = FAST_BITS + 1;
    let code = (this.#acc >>> (this.#count - length)) & 0x3ff;
    while (code > table.maxCode[length]!) {
      length++;
      code = (this.#acc >>> (this.#count - length)) & ((1 << length) - 1);
    }
    const value = length <= 16
      ? table.values[table.offset[length]! + code]
      : undefined;
    if (value === undefined) throw new Error("bad Huffman code");
    this.#count -= length;
    return value;
  }
  /** A signed value of `n` bits (JPEG's EXTEND). */
  signed(n: number): number {
    if (n === 0) return 0;
    const v = this.bits(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }
  /** Drops the bits left, then a restart marker if one is there. */
  restart(): void {
    this.#acc = 0;
    this.#count = 0;
    this.#atMarker = false;
    const data = this.#data;
    if (
      data[this.pos] === 0xff && data[this.pos + 1]! >= 0xd0 &&
      data[this.pos + 1]! <= 0xd7
    ) {
      this.pos += 2;
    }
  }
}

/** Skips the AC coefficients of a baseline block. */
function skipAc(bits: Bits, table: Huffman): void {
  for (let k = 1; k < 64;) {
    const rs = bits.decode(table);
    const run = rs >> 4;
    const size = rs & 15;
    if (size === 0) {
      if (run !== 15) return;
      k += 16;
    } else {
      k += run + 1;
      bits.bits(size);
    }
  }
}

/** The position just after the entropy-coded data starting at `pos`. */
function skipEntropy(data: Uint8Array, pos: number): number {
  while (pos < data.length) {
    if (data[pos] !== 0xff) {
      pos++;
      continue;
    }
    const next = data[pos + 1]!;
    if (next === 0 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      pos += next === 0xff ? 1 : 2;
      continue;
    }
    return pos;
  }
  return pos;
}

/** The DC picture of a JPEG, or undefined (see the module doc). */
export function decodeDc(data: Uint8Array): DcPicture | undefined {
  try {
    return decode(data);
  } catch {
    return undefined;
  }
}

function decode(data: Uint8Array): DcPicture | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  const quant: number[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  const components: Component[] = [];
  let width = 0;
  let height = 0;
  let maxH = 1;
  let maxV = 1;
  let mcusWide = 0;
  let mcusHigh = 0;
  let progressive = false;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let jfif = false;
  let scanned = false;
  let pos = 2;
  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) return undefined;
    const marker = data[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break;
    const length = (data[pos + 2]! << 8) | data[pos + 3]!;
    const start = pos + 4;
    const end = pos + 2 + length;
    if (length < 2 || end > data.length) return undefined;
    if (marker === 0xdb) {
      for (let at = start; at < end;) {
        const pq = data[at]! >> 4;
        // Element 0 of the table (the DC quantiser; zig-zag order).
        quant[data[at]! & 15] = pq
          ? (data[at + 1]! << 8) | data[at + 2]!
          : data[at + 1]!;
        at += 1 + (pq ? 128 : 64);
      }
    } else if (marker === 0xc4) {
      for (let at = start; at < end;) {
        const tc = data[at]! >> 4;
        const th = data[at]! & 15;
        const counts = data.subarray(at + 1, at + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        const values = data.slice(at + 17, at + 17 + total);
        (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, values);
        at += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = (data[start]! << 8) | data[start + 1]!;
    } else if (marker === 0xe0 && length >= 7) {
      jfif ||= String.fromCharCode(...data.subarray(start, start + 4)) ===
        "JFIF";
    } else if (marker === 0xee && length >= 14) {
      if (String.fromCharCode(...data.subarray(start, start + 5)) === "Adobe") {
        adobeTransform = data[start + 11];
      }
    } else if (
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
      marker !== 0xc8 && marker !== 0xcc
    ) {
      if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2) {
        return undefined; // lossless, arithmetic coding, hierarchical
      }
      if (components.length || data[start] !== 8) return undefined;
      progressive = marker === 0xc2;
      height = (data[start + 1]! << 8) | data[start + 2]!;
      width = (data[start + 3]! << 8) | data[start + 4]!;
      const n = data[start + 5]!;
      if (!width || !height || (n !== 1 && n !== 3)) return undefined;
      for (let i = 0; i < n; i++) {
        const at = start + 6 + i * 3;
        const h = data[at + 1]! >> 4;
        const v = data[at + 1]! & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) return undefined;
        components.push({
          id: data[at]!,
          h,
          v,
          tq: data[at + 2]! & 3,
          dc: new Int32Array(0),
          perLine: 0,
          blocksWide: 0,
          blocksHigh: 0,
          pred: 0,
        });
      }
      if (n === 1) components[0]!.h = components[0]!.v = 1;
      maxH = Math.max(...components.map((c) => c.h));
      maxV = Math.max(...components.map((c) => c.v));
      mcusWide = Math.ceil(width / (8 * maxH));
      mcusHigh = Math.ceil(height / (8 * maxV));
      for (const c of components) {
        c.perLine = mcusWide * c.h;
        c.dc = new Int32Array(c.perLine * mcusHigh * c.v);
        c.blocksWide = Math.ceil(Math.ceil(width * c.h / maxH) / 8);
        c.blocksHigh = Math.ceil(Math.ceil(height * c.v / maxV) / 8);
      }
    } else if (marker === 0xda) {
      if (!components.length) return undefined;
      const ns = data[start]!;
      const inScan: Component[] = [];
      for (let i = 0; i < ns; i++) {
        const c = components.find((c) => c.id === data[start + 1 + i * 2]);
        if (!c) return undefined;
        const tables = data[start + 2 + i * 2]!;
        c.dcTable = dcTables[tables >> 4];
        c.acTable = acTables[tables & 15];
        c.pred = 0;
        inScan.push(c);
      }
      const ss = data[start + 1 + ns * 2]!;
      const ahal = data[start + 3 + ns * 2]!;
      if (progressive && ss !== 0) {
        pos = skipEntropy(data, end); // AC refinement: not needed
        continue;
      }
      const bits = new Bits(data, end);
      const refine = progressive && (ahal >> 4) !== 0;
      const al = progressive ? ahal & 15 : 0;
      const block = (c: Component, index: number) => {
        if (refine) {
          c.dc[index]! |= bits.bit() << al;
          return;
        }
        const size = bits.decode(c.dcTable!);
        c.pred += bits.signed(size);
        c.dc[index] = c.pred * (1 << al);
        if (!progressive) skipAc(bits, c.acTable!);
      };
      let done = 0;
      const tick = () => {
        done++;
        if (restartInterval && done % restartInterval === 0) {
          bits.restart();
          for (const c of inScan) c.pred = 0;
        }
      };
      if (inScan.length === 1) {
        const c = inScan[0]!;
        for (let row = 0; row < c.blocksHigh; row++) {
          for (let col = 0; col < c.blocksWide; col++) {
            block(c, row * c.perLine + col);
            tick();
          }
        }
      } else {
        for (let my = 0; my < mcusHigh; my++) {
          for (let mx = 0; mx < mcusWide; mx++) {
            for (const c of inScan) {
              for (let by = 0; by < c.v; by++) {
                for (let bx = 0; bx < c.h; bx++) {
                  block(c, (my * c.v + by) * c.perLine + mx * c.h + bx);
                }
              }
            }
            tick();
          }
        }
      }
      scanned = true;
      pos = skipEntropy(data, bits.pos);
      continue;
    }
    pos = end;
  }
  if (!scanned) return undefined;
  const w = Math.ceil(width / 8);
  const h = Math.ceil(height / 8);
  const out = new Uint8ClampedArray(w * h * 4); // rounds and clamps
  const planes = components.map((c) => {
    const q = quant[c.tq];
    if (q === undefined) throw new Error("no quantisation table");
    const plane = new Float64Array(w * h);
    for (let y = 0; y < h; y++) {
      const row = Math.floor(y * c.v / maxV) * c.perLine;
      for (let x = 0; x < w; x++) {
        plane[y * w + x] = c.dc[row + Math.floor(x * c.h / maxH)]! * q / 8 +
          128;
      }
    }
    return plane;
  });
  // libjpeg's rule: Adobe's transform flag, else JFIF means YCbCr, else
  // components named R, G, B are RGB.
  const rgb = components.length === 3 &&
    (adobeTransform !== undefined
      ? adobeTransform === 0
      : !jfif && components.map((c) => c.id).join() === "82,71,66");
  for (let i = 0; i < w * h; i++) {
    const y = planes[0]![i]!;
    let r = y, g = y, b = y;
    if (planes.length === 3) {
      const cb = planes[1]![i]!;
      const cr = planes[2]![i]!;
      if (rgb) [r, g, b] = [y, cb, cr];
      else {
        r = y + 1.402 * (cr - 128);
        g = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128);
        b = y + 1.772 * (cb - 128);
      }
    }
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 255;
  }
  return { data: new Uint8Array(out.buffer), width: w, height: h };
}
