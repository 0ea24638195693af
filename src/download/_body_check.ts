/**
 * Does a body end where its format says it ends? Fed chunk by chunk while
 * the download streams: a JPEG must reach its end-of-image marker (after the
 * scan, not one inside an EXIF thumbnail; bytes after it, such as a motion
 * photo's video, are fine) and a PNG its IEND chunk. Pure.
 *
 * @module
 */

/** Result of a finished scan. */
export type EndCheck = "complete" | "truncated" | "unparsed";

/** Walks JPEG segments to the scan and the scan to EOI. */
export class JpegEndScanner {
  #state:
    | "soi0"
    | "soi1"
    | "marker"
    | "code"
    | "len0"
    | "len1"
    | "skip"
    | "entropy"
    | "entropyFF"
    | "done"
    | "broken" = "soi0";
  #code = 0;
  #length = 0;
  #skip = 0;

  /** Feeds the next bytes of the file. */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      switch (this.#state) {
        case "done":
        case "broken":
          return;
        case "soi0":
          this.#state = bytes[i++] === 0xff ? "soi1" : "broken";
          break;
        case "soi1":
          this.#state = bytes[i++] === 0xd8 ? "marker" : "broken";
          break;
        case "marker":
          this.#state = bytes[i++] === 0xff ? "code" : "broken";
          break;
        case "code": {
          const code = bytes[i++]!;
          if (code === 0xff) break; // fill byte
          this.#marker(code);
          break;
        }
        case "len0":
          this.#length = bytes[i++]! << 8;
          this.#state = "len1";
          break;
        case "len1":
          this.#length |= bytes[i++]!;
          if (this.#length < 2) {
            this.#state = "broken";
            break;
          }
          this.#skip = this.#length - 2;
          this.#state = "skip";
          break;
        case "skip": {
          const n = Math.min(this.#skip, bytes.length - i);
          this.#skip -= n;
          i += n;
          if (this.#skip === 0) {
            this.#state = this.#code === 0xda ? "entropy" : "marker";
          }
          break;
        }
        case "entropy": {
          const at = bytes.indexOf(0xff, i);
          if (at < 0) return;
          i = at + 1;
          this.#state = "entropyFF";
          break;
        }
        case "entropyFF": {
          const code = bytes[i++]!;
          if (code === 0xff) break;
          if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) {
            this.#state = "entropy";
          } else this.#marker(code);
          break;
        }
      }
    }
  }

  #marker(code: number): void {
    this.#code = code;
    if (code === 0xd9) this.#state = "done";
    else if (code === 0x01 || (code >= 0xd0 && code <= 0xd7)) {
      this.#state = "marker";
    } else if (code === 0x00 || code === 0xd8) this.#state = "broken";
    else this.#state = "len0";
  }

  /** "complete" once EOI was seen; "unparsed" when the walk got lost. */
  result(): EndCheck {
    if (this.#state === "done") return "complete";
    return this.#state === "broken" ? "unparsed" : "truncated";
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Walks PNG chunks to IEND. */
export class PngEndScanner {
  #offset = 0;
  #header = new Uint8Array(8);
  #headerFill = 0;
  #skip = 0;
  #state: "signature" | "header" | "skip" | "done" | "broken" = "signature";

  /** Feeds the next bytes of the file. */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      switch (this.#state) {
        case "done":
        case "broken":
          return;
        case "signature":
          if (bytes[i++] !== PNG_SIGNATURE[this.#offset++]) {
            this.#state = "broken";
          } else if (this.#offset === 8) this.#state = "header";
          break;
        case "header": {
          this.#header[this.#headerFill++] = bytes[i++]!;
          if (this.#headerFill < 8) break;
          this.#headerFill = 0;
          const h = this.#header;
          const length = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) +
            h[3]!;
          const type = String.fromCharCode(h[4]!, h[5]!, h[6]!, h[7]!);
          if (!/^[A-Za-z]{4}$/.test(type)) {
            this.#state = "broken";
            break;
          }
          this.#skip = length + 4; // data and CRC
          this.#state = type === "IEND" ? "done" : "skip";
          break;
        }
        case "skip": {
          const n = Math.min(this.#skip, bytes.length - i);
          this.#skip -= n;
          i += n;
          if (this.#skip === 0) this.#state = "header";
          break;
        }
      }
    }
  }

  /** "complete" once IEND was seen. */
  result(): EndCheck {
    if (this.#state === "done") return "complete";
    return this.#state === "broken" ? "unparsed" : "truncated";
  }
}

/** A scanner for `kind`, or undefined for formats without an end check. */
export function endScannerFor(
  kind: string,
): JpegEndScanner | PngEndScanner | undefined {
  if (kind === "jpeg") return new JpegEndScanner();
  if (kind === "png") return new PngEndScanner();
  return undefined;
}
