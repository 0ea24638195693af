/**
 * A streaming JPEG structure check for `verify`: SOI, well-formed marker
 * segments up to the first SOS (see {@link parseJpegHeader}), then an EOI
 * (`FF D9`) somewhere after the start of the scan. Fed the file chunk by
 * chunk while it is hashed, so memory stays bounded (the header, at most
 * {@link MAX_CHECKED_HEADER_BYTES}, plus nothing of the scan data).
 *
 * @module
 */

import { parseJpegHeader } from "./jpeg_segments.ts";

/** A header longer than this is reported instead of buffered. */
export const MAX_CHECKED_HEADER_BYTES = 16 * 1024 * 1024;

/** Checks one JPEG file's structure from its bytes, in order. */
export class JpegStructureCheck {
  readonly #fileSize: number;
  #state: "header" | "scan" | "found" | "invalid" = "header";
  #reason = "";
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need = 2;
  #seen = 0;
  #previousWasFF = false;

  /** @param fileSize Size of the whole file (from `stat`). */
  constructor(fileSize: number) {
    this.#fileSize = fileSize;
  }

  /** Feeds the next bytes of the file (the chunk may be reused afterwards). */
  feed(chunk: Uint8Array): void {
    this.#seen += chunk.length;
    if (this.#state === "scan") {
      this.#scan(chunk, 0);
      return;
    }
    if (this.#state !== "header") return;
    this.#chunks.push(chunk.slice());
    this.#buffered += chunk.length;
    if (this.#buffered < this.#need) return;
    const prefix = concat(this.#chunks, this.#buffered);
    this.#chunks = [prefix];
    const parsed = parseJpegHeader(prefix, this.#fileSize);
    if (parsed.kind === "invalid") {
      this.#fail(parsed.reason);
    } else if (parsed.kind === "need-more") {
      this.#need = parsed.needBytes;
      if (this.#need > MAX_CHECKED_HEADER_BYTES) {
        this.#fail(`header is larger than ${MAX_CHECKED_HEADER_BYTES} bytes`);
      }
    } else {
      this.#chunks = [];
      this.#state = "scan";
      // Skip the SOS marker itself; EOI can only come after it.
      this.#scan(prefix, parsed.header.tailOffset + 2);
    }
  }

  /**
   * The problem found, or undefined when the structure is intact. Call once,
   * after the last chunk.
   */
  finish(): string | undefined {
    switch (this.#state) {
      case "found":
        return undefined;
      case "invalid":
        return this.#reason;
      case "header":
        return this.#seen < this.#fileSize
          ? "the file ended while it was being read"
          : "the file ends inside the JPEG header";
      case "scan":
        return "no end-of-image marker (FFD9) after the image data: the file is cut short";
    }
  }

  #fail(reason: string): void {
    this.#state = "invalid";
    this.#reason = reason;
    this.#chunks = [];
  }

  #scan(bytes: Uint8Array, from: number): void {
    if (from >= bytes.length) return;
    if (this.#previousWasFF && from === 0 && bytes[0] === 0xd9) {
      this.#state = "found";
      return;
    }
    let at = bytes.indexOf(0xd9, from === 0 ? 1 : from);
    while (at !== -1) {
      if (bytes[at - 1] === 0xff && at - 1 >= from) {
        this.#state = "found";
        return;
      }
      at = bytes.indexOf(0xd9, at + 1);
    }
    this.#previousWasFF = bytes[bytes.length - 1] === 0xff;
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === length) return chunks[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
