import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { concatBytes, latin1Bytes } from "./_bytes.ts";
import {
  encodeJpeg,
  exifSegment,
  mpfSegment,
  xmpSegment,
} from "../../tests/helpers/media_builders.ts";
import {
  buildSegment,
  classifySegment,
  MAX_SEGMENT_PAYLOAD,
  parseJpegHeader,
  shiftMpfOffsets,
} from "./jpeg_segments.ts";
import { cameraExif } from "../../tests/helpers/media_builders.ts";

const plain = encodeJpeg({ width: 16, height: 16 });

function sosOffset(bytes: Uint8Array): number {
  for (let i = 2; i < bytes.length - 1; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xda) return i;
  }
  throw new Error("no SOS");
}

Deno.test("parseJpegHeader() lists segments up to the first SOS", () => {
  const jpeg = encodeJpeg({
    width: 16,
    height: 8,
    segments: [exifSegment(cameraExif()), xmpSegment("<x/>")],
  });
  const parsed = parseJpegHeader(jpeg, jpeg.length);
  assert(parsed.kind === "ok");
  const { header } = parsed;
  assertEquals(header.tailOffset, sosOffset(jpeg));
  assertEquals(header.width, 16);
  assertEquals(header.height, 8);
  assertEquals(header.components, 3);
  assertEquals(header.frameMarker, 0xc0);
  assertEquals(
    header.segments.map((s) => classifySegment(jpeg, s)),
    ["soi", "exif", "xmp", "other", "other", "other"],
  );
  assertEquals(header.segments.at(-1)!.end, header.tailOffset);
});

Deno.test("parseJpegHeader() asks for more bytes, then succeeds", () => {
  const jpeg = encodeJpeg({
    width: 16,
    height: 16,
    segments: [exifSegment(cameraExif())],
  });
  const partial = parseJpegHeader(jpeg.subarray(0, 10), jpeg.length);
  assertEquals(partial.kind, "need-more");
  assert(partial.kind === "need-more" && partial.needBytes > 10);
  assertEquals(parseJpegHeader(jpeg, jpeg.length).kind, "ok");
});

Deno.test("parseJpegHeader() sees progressive frames", () => {
  const jpeg = encodeJpeg({ width: 16, height: 16, progressive: true });
  const parsed = parseJpegHeader(jpeg, jpeg.length);
  assert(parsed.kind === "ok");
  assertEquals(parsed.header.frameMarker, 0xc2);
});

Deno.test("parseJpegHeader() keeps fill bytes with the following segment", () => {
  const sos = sosOffset(plain);
  const withFill = concatBytes([
    plain.subarray(0, 2),
    Uint8Array.of(0xff, 0xff),
    plain.subarray(2),
  ]);
  const parsed = parseJpegHeader(withFill, withFill.length);
  assert(parsed.kind === "ok");
  assertEquals(parsed.header.segments[1]!.start, 2);
  assertEquals(parsed.header.segments[1]!.markerOffset, 4);
  assertEquals(parsed.header.tailOffset, sos + 2);
});

Deno.test("parseJpegHeader() rejects malformed headers", () => {
  const sos = sosOffset(plain);
  const cases: Array<[string, Uint8Array, string]> = [
    ["no SOI", plain.subarray(2), "missing SOI"],
    [
      "stray byte",
      concatBytes([
        plain.subarray(0, 2),
        Uint8Array.of(0x00),
        plain.subarray(2),
      ]),
      "unexpected byte",
    ],
    [
      "length past EOF",
      concatBytes([
        plain.subarray(0, 2),
        Uint8Array.of(0xff, 0xe1, 0xff, 0xf0, 1, 2, 3),
      ]),
      "past the end",
    ],
    ["truncated inside the header", plain.subarray(0, 30), "past the end"],
    [
      "RST before the scan",
      concatBytes([
        plain.subarray(0, 2),
        Uint8Array.of(0xff, 0xd0),
        plain.subarray(2),
      ]),
      "before the first scan",
    ],
    [
      "EOI before the scan",
      concatBytes([plain.subarray(0, 2), Uint8Array.of(0xff, 0xd9)]),
      "before the first scan",
    ],
    [
      "length below 2",
      concatBytes([
        plain.subarray(0, 2),
        Uint8Array.of(0xff, 0xe1, 0x00, 0x01),
        plain.subarray(2),
      ]),
      "has length 1",
    ],
    [
      "scan without a frame header",
      concatBytes([plain.subarray(0, 2), plain.subarray(sos)]),
      "scan before any frame header",
    ],
  ];
  for (const [name, bytes, reason] of cases) {
    const parsed = parseJpegHeader(bytes, bytes.length);
    assert(parsed.kind === "invalid", name);
    assert(parsed.reason.includes(reason), `${name}: ${parsed.reason}`);
  }
});

Deno.test("parseJpegHeader() accepts an empty APP1 (length 2)", () => {
  const jpeg = concatBytes([
    plain.subarray(0, 2),
    Uint8Array.of(0xff, 0xe1, 0x00, 0x02),
    plain.subarray(2),
  ]);
  const parsed = parseJpegHeader(jpeg, jpeg.length);
  assert(parsed.kind === "ok");
  assertEquals(parsed.header.segments[1]!.payloadLength, 0);
  assertEquals(classifySegment(jpeg, parsed.header.segments[1]!), "app");
});

Deno.test("buildSegment() refuses payloads over 65533 bytes", () => {
  assertEquals(
    buildSegment(0xe1, new Uint8Array(MAX_SEGMENT_PAYLOAD)).length,
    65537,
  );
  assertThrows(() =>
    buildSegment(0xe1, new Uint8Array(MAX_SEGMENT_PAYLOAD + 1))
  );
  assertEquals(
    [...buildSegment(0xe1, Uint8Array.of(9))],
    [0xff, 0xe1, 0x00, 0x03, 9],
  );
});

Deno.test("shiftMpfOffsets() moves only non-zero image offsets", () => {
  const segment = mpfSegment(1000, 500, 1234);
  const payload = segment.subarray(4);
  const shifted = shiftMpfOffsets(payload, 100);
  assert(shifted);
  assertEquals(shifted.length, payload.length);
  const view = new DataView(shifted.buffer, shifted.byteOffset);
  // MP entries start after "MPF\0" + header(8) + IFD(2 + 3*12 + 4).
  const entries = 4 + 8 + 42;
  assertEquals(view.getUint32(entries + 8, true), 0);
  assertEquals(view.getUint32(entries + 16 + 8, true), 1334);
  assertEquals(shiftMpfOffsets(latin1Bytes("MPF\0garbage!"), 1), undefined);
});
