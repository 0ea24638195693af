/**
 * Writing IFDs: values encoded in the file's byte order ({@link Encoder}),
 * a growable output buffer ({@link Sink}) and one IFD table with its
 * out-of-line values and sub-IFDs ({@link emitIfd}).
 *
 * @module
 */

import { utf8WithNul } from "./_bytes.ts";
import {
  ASCII,
  BYTE,
  LONG,
  RATIONAL,
  SHORT,
  UNDEFINED,
} from "./tiff_reader.ts";

export interface DataValue {
  type: number;
  count: number;
  /** Value bytes in the file's byte order. */
  data: Uint8Array;
}

export type OutEntry =
  | { kind: "raw"; tag: number; raw: Uint8Array }
  /** A pointer to IFD0 itself (a loop some cameras write): re-aimed. */
  | { kind: "ifd0"; tag: number; raw: Uint8Array }
  | { kind: "data"; tag: number; value: DataValue }
  | { kind: "ifd"; tag: number; ifd: OutIfd };

export interface OutIfd {
  entries: OutEntry[];
  next: number;
}

/**
 * Writes `value` as `size` bytes (2 or 4) at `at`, in the given byte order
 * (no DataView, no temporary array: small typed arrays are costly to make).
 */
function put(
  out: Uint8Array,
  at: number,
  value: number,
  size: 2 | 4,
  little: boolean,
): void {
  for (let i = 0; i < size; i++) {
    const shift = 8 * (little ? i : size - 1 - i);
    out[at + i] = (value >>> shift) & 0xff;
  }
}

export class Encoder {
  constructor(readonly little: boolean) {}

  ascii(text: string): DataValue {
    const data = utf8WithNul(
      text.includes("\0") ? text.replaceAll("\0", "") : text,
    );
    return { type: ASCII, count: data.length, data };
  }

  ucs2(text: string): DataValue {
    // XP* tags are BYTE arrays holding UTF-16LE text whatever the byte order.
    const data = new Uint8Array(text.length * 2 + 2);
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      data[i * 2] = unit & 0xff;
      data[i * 2 + 1] = unit >>> 8;
    }
    return { type: BYTE, count: data.length, data };
  }

  shorts(values: number[]): DataValue {
    const data = new Uint8Array(values.length * 2);
    values.forEach((v, i) => put(data, i * 2, v, 2, this.little));
    return { type: SHORT, count: values.length, data };
  }

  longs(values: number[]): DataValue {
    const data = new Uint8Array(values.length * 4);
    values.forEach((v, i) => put(data, i * 4, v, 4, this.little));
    return { type: LONG, count: values.length, data };
  }

  rationals(values: Array<[number, number]>): DataValue {
    const data = new Uint8Array(values.length * 8);
    values.forEach(([n, d], i) => {
      put(data, i * 8, n, 4, this.little);
      put(data, i * 8 + 4, d, 4, this.little);
    });
    return { type: RATIONAL, count: values.length, data };
  }

  undefinedBytes(bytes: number[]): DataValue {
    return {
      type: UNDEFINED,
      count: bytes.length,
      data: new Uint8Array(bytes),
    };
  }
}

/** Growable output buffer with random-access patching. */
export class Sink {
  #buf = new Uint8Array(1024);
  #view = new DataView(this.#buf.buffer);
  length = 0;
  /** Fields to fill with IFD0's offset once it is known. */
  ifd0Refs: number[] = [];

  #ensure(extra: number) {
    if (this.length + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Empties the sink for another use (keeps its buffer). */
  reset() {
    this.#buf.fill(0, 0, this.length);
    this.length = 0;
    this.ifd0Refs = [];
  }

  write(bytes: Uint8Array) {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A 16-bit value in the given byte order (no temporary array). */
  u16(value: number, little: boolean) {
    this.#ensure(2);
    this.#view.setUint16(this.length, value, little);
    this.length += 2;
  }

  /** A 32-bit value in the given byte order. */
  u32(value: number, little: boolean) {
    this.#ensure(4);
    this.#view.setUint32(this.length, value, little);
    this.length += 4;
  }

  /** Overwrites the 32-bit value at `at`. */
  patchU32(at: number, value: number, little: boolean) {
    this.#view.setUint32(at, value, little);
  }

  /** `count` zero bytes (the buffer past `length` is always zero). */
  zeros(count: number) {
    this.#ensure(count);
    this.length += count;
  }

  align() {
    if (this.length % 2 === 1) this.zeros(1);
  }

  bytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

export function emitIfd(sink: Sink, enc: Encoder, ifd: OutIfd): number {
  sink.align();
  const entries = ifd.entries;
  const tableAt = sink.length;
  const little = enc.little;
  sink.u16(entries.length, little);
  const fieldAt: number[] = [];
  for (const entry of entries) {
    if (entry.kind === "raw") {
      sink.write(entry.raw);
      fieldAt.push(-1);
    } else if (entry.kind === "ifd0") {
      sink.write(entry.raw);
      sink.ifd0Refs.push(sink.length - 4);
      fieldAt.push(-1);
    } else if (entry.kind === "data") {
      sink.u16(entry.tag, little);
      sink.u16(entry.value.type, little);
      sink.u32(entry.value.count, little);
      fieldAt.push(sink.length);
      const data = entry.value.data;
      if (data.length <= 4) {
        sink.write(data);
        sink.zeros(4 - data.length);
      } else sink.zeros(4);
    } else {
      sink.u16(entry.tag, little);
      sink.u16(LONG, little);
      sink.u32(1, little);
      fieldAt.push(sink.length);
      sink.u32(0, little);
    }
  }
  sink.u32(ifd.next, little);
  entries.forEach((entry, i) => {
    if (entry.kind === "data" && entry.value.data.length > 4) {
      sink.align();
      sink.patchU32(fieldAt[i]!, sink.length, little);
      sink.write(entry.value.data);
    }
  });
  entries.forEach((entry, i) => {
    if (entry.kind === "ifd") {
      const at = emitIfd(sink, enc, entry.ifd);
      sink.patchU32(fieldAt[i]!, at, little);
    }
  });
  return tableAt;
}
