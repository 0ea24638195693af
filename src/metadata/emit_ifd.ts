/**
 * Writing IFDs: values encoded in the file's byte order ({@link Encoder}),
 * a growable output buffer ({@link Sink}) and one IFD table with its
 * out-of-line values and sub-IFDs ({@link emitIfd}).
 *
 * @module
 */

import { concatBytes, utf8 } from "./_bytes.ts";
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

export class Encoder {
  constructor(readonly little: boolean) {}

  u16(value: number): Uint8Array {
    const out = new Uint8Array(2);
    new DataView(out.buffer).setUint16(0, value, this.little);
    return out;
  }

  u32(value: number): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value, this.little);
    return out;
  }

  ascii(text: string): DataValue {
    const data = concatBytes([
      utf8(text.replaceAll("\0", "")),
      new Uint8Array(1),
    ]);
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
    return {
      type: SHORT,
      count: values.length,
      data: concatBytes(values.map((v) => this.u16(v))),
    };
  }

  longs(values: number[]): DataValue {
    return {
      type: LONG,
      count: values.length,
      data: concatBytes(values.map((v) => this.u32(v))),
    };
  }

  rationals(values: Array<[number, number]>): DataValue {
    return {
      type: RATIONAL,
      count: values.length,
      data: concatBytes(values.flatMap(([n, d]) => [this.u32(n), this.u32(d)])),
    };
  }

  undefinedBytes(bytes: number[]): DataValue {
    return {
      type: UNDEFINED,
      count: bytes.length,
      data: Uint8Array.from(bytes),
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

  align() {
    if (this.length % 2 === 1) this.write(new Uint8Array(1));
  }

  patch(at: number, bytes: Uint8Array) {
    this.#buf.set(bytes, at);
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
      if (data.length === 4) sink.write(data);
      else {
        const inline = new Uint8Array(4);
        if (data.length < 4) inline.set(data);
        sink.write(inline);
      }
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
