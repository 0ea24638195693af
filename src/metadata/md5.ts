/**
 * MD5 of a small byte array ({@link md5}), for the Photoshop IPTC digest
 * (resource 0x0425) written with every photo's IPTC: a few hundred bytes,
 * for which a `node:crypto` Hash object costs more than the digest itself.
 * Not for security (MD5 is broken); only the format asks for it.
 *
 * Pure: bytes in, 16 bytes out.
 *
 * @module
 */

/** Left rotations: four per round, each used four times over. */
const ROUND_SHIFTS = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
];
const SHIFTS = ROUND_SHIFTS.flatMap((r) => [...r, ...r, ...r, ...r]);

/** floor(abs(sin(i + 1)) * 2^32), as RFC 1321 defines them. */
const K = Int32Array.from(
  { length: 64 },
  (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0,
);

/** The 16 little-endian words of one 64-byte block (reused). */
const words = new Int32Array(16);

/** The MD5 digest of `bytes` (RFC 1321). */
export function md5(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  // Message, 0x80, zeros, then the bit length (64-bit little-endian).
  const blocks = Math.ceil((length + 9) / 64);
  const byteAt = (i: number) =>
    i < length ? bytes[i]! : i === length ? 0x80 : 0;
  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let block = 0; block < blocks; block++) {
    const base = block * 64;
    for (let w = 0; w < 16; w++) {
      const at = base + w * 4;
      words[w] = byteAt(at) | (byteAt(at + 1) << 8) |
        (byteAt(at + 2) << 16) | (byteAt(at + 3) << 24);
    }
    if (block === blocks - 1) {
      words[14] = (length * 8) | 0;
      words[15] = Math.floor(length / 0x20000000) | 0;
    }
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + K[i]! + words[g]!) | 0;
      const s = SHIFTS[i]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new Uint8Array(16);
  [a0, b0, c0, d0].forEach((word, i) => {
    for (let j = 0; j < 4; j++) out[i * 4 + j] = (word >>> (8 * j)) & 0xff;
  });
  return out;
}
