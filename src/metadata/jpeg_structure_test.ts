import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { encodeJpeg } from "../../tests/fake_flickr/mod.ts";
import { JpegStructureCheck } from "./jpeg_structure.ts";

function check(bytes: Uint8Array, chunkSize: number, fileSize = bytes.length) {
  const checker = new JpegStructureCheck(fileSize);
  const buffer = new Uint8Array(chunkSize);
  for (let at = 0; at < bytes.length; at += chunkSize) {
    // The caller reuses its buffer: the checker must copy what it keeps.
    const n = Math.min(chunkSize, bytes.length - at);
    buffer.set(bytes.subarray(at, at + n));
    checker.feed(buffer.subarray(0, n));
    buffer.fill(0);
  }
  return checker.finish();
}

const jpeg = encodeJpeg({
  width: 32,
  height: 24,
  exif: {
    make: "Canon",
    model: "EOS",
    dateTimeOriginal: "2020:01:02 03:04:05",
  },
});

Deno.test("JpegStructureCheck accepts an intact JPEG in any chunking", () => {
  for (const size of [1, 2, 3, 7, 64, 1000, jpeg.length]) {
    assertEquals(check(jpeg, size), undefined, `chunks of ${size}`);
  }
});

Deno.test("JpegStructureCheck accepts a progressive JPEG with a trailer after EOI", () => {
  const withTrailer = encodeJpeg({
    width: 16,
    height: 16,
    progressive: true,
    trailer: new Uint8Array(5000).fill(0x42),
  });
  assertEquals(check(withTrailer, 256), undefined);
});

Deno.test("JpegStructureCheck reports a file cut short (no EOI after the scan)", () => {
  const cut = jpeg.subarray(0, jpeg.length - 10);
  for (const size of [1, 100, cut.length]) {
    const reason = check(cut, size);
    assert(reason !== undefined, `chunks of ${size}`);
    assertStringIncludes(reason, "FFD9");
  }
});

Deno.test("JpegStructureCheck reports a file cut inside its header", () => {
  const cut = jpeg.subarray(0, 40);
  const reason = check(cut, 16);
  assert(reason !== undefined);
  assertStringIncludes(reason, "past the end of the file");
});

Deno.test("JpegStructureCheck reports a missing SOI and a broken segment", () => {
  const noSoi = jpeg.slice();
  noSoi[1] = 0x00;
  assertStringIncludes(check(noSoi, 50) ?? "", "SOI");

  const badLength = jpeg.slice();
  // The first segment after SOI gets a length of 1 (less than its own field).
  badLength[4] = 0x00;
  badLength[5] = 0x01;
  assertStringIncludes(check(badLength, 50) ?? "", "length");

  const stray = jpeg.slice();
  stray[2] = 0x12; // not a marker where one must be
  assertStringIncludes(check(stray, 50) ?? "", "expected a marker");
});

Deno.test("JpegStructureCheck notices a file shorter than its stat size", () => {
  const reason = check(jpeg.subarray(0, 10), 4, jpeg.length);
  assertStringIncludes(reason ?? "", "ended");
});
