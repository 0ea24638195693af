/**
 * Pixel size of a JPEG (first SOF marker) or PNG (IHDR) from its first
 * bytes, to flag files of 1024 px or less that may not be originals. Pure.
 *
 * @module
 */

/** Width and height, or undefined when the head does not say. */
export function pixelSize(
  head: Uint8Array,
): { width: number; height: number } | undefined {
  if (head.length >= 24 && head[0] === 0x89 && head[1] === 0x50) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (head[0] !== 0xff || head[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 9 < head.length) {
    if (head[at] !== 0xff) return undefined;
    const marker = head[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (head[at + 2]! << 8) | head[at + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
      marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      return {
        height: (head[at + 5]! << 8) | head[at + 6]!,
        width: (head[at + 7]! << 8) | head[at + 8]!,
      };
    }
    if (marker === 0xda || length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}
