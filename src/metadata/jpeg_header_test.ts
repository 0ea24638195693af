import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { bytesEqual, concatBytes, latin1Bytes } from "./_bytes.ts";
import {
  cameraExif,
  canonStyleExif,
  encodeJpeg,
  exifSegment,
  mpfSegment,
  xmpSegment,
} from "../../tests/helpers/media_builders.ts";
import type { PhotoMetadata } from "./fields.ts";
import { rebuildJpegHeader, verifyJpegHeader } from "./jpeg_header.ts";
import {
  buildSegment,
  classifySegment,
  type JpegHeader,
  parseJpegHeader,
  shiftMpfOffsets,
} from "./jpeg_segments.ts";

const meta: PhotoMetadata = {
  title: "Title",
  description: "Description",
  tags: ["one", "two"],
  dateTaken: "2019-07-14 18:22:01",
  dateTakenGranularity: 0,
  dateTakenUnknown: false,
  latitude: 1.5,
  longitude: 2.5,
  creator: "Jane",
  rights: "© Jane",
};

function header(jpeg: Uint8Array): JpegHeader {
  const parsed = parseJpegHeader(jpeg, jpeg.length);
  if (parsed.kind !== "ok") throw new Error(JSON.stringify(parsed));
  return parsed.header;
}

function rebuildFile(jpeg: Uint8Array, m = meta) {
  const h = header(jpeg);
  const rebuilt = rebuildJpegHeader(jpeg, h, m);
  const file = concatBytes([rebuilt.header, jpeg.subarray(h.tailOffset)]);
  return { h, rebuilt, file };
}

function kinds(jpeg: Uint8Array) {
  return header(jpeg).segments.map((s) => classifySegment(jpeg, s));
}

Deno.test("rebuildJpegHeader() adds EXIF, XMP and IPTC after JFIF in order", () => {
  const jfif = buildSegment(
    0xe0,
    concatBytes([
      latin1Bytes("JFIF\0"),
      Uint8Array.of(1, 1, 1, 0, 96, 0, 96, 0, 0),
    ]),
  );
  const jpeg = encodeJpeg({ width: 16, height: 16, segments: [jfif] });
  const { rebuilt, file } = rebuildFile(jpeg);
  assertEquals(rebuilt.blocks, {
    exif: "written",
    xmp: "written",
    iptc: "written",
  });
  assertEquals(kinds(file).slice(0, 5), [
    "soi",
    "jfif",
    "exif",
    "xmp",
    "photoshop",
  ]);
  assertEquals(
    verifyJpegHeader(file, rebuilt.header.length, file.length, rebuilt.expect),
    undefined,
  );
  // Idempotent: a second pass changes nothing.
  const second = rebuildFile(file);
  assertEquals(second.rebuilt.changed, false);
  assertEquals(second.rebuilt.blocks, {
    exif: "unchanged",
    xmp: "unchanged",
    iptc: "unchanged",
  });
});

Deno.test("rebuildJpegHeader() replaces segments in place and keeps the rest", () => {
  const icc = buildSegment(
    0xe2,
    concatBytes([latin1Bytes("ICC_PROFILE\0"), Uint8Array.of(1, 1, 9, 9)]),
  );
  const jpeg = encodeJpeg({
    width: 16,
    height: 16,
    segments: [
      exifSegment(canonStyleExif()),
      icc,
      xmpSegment(
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description rdf:about=''/></rdf:RDF></x:xmpmeta>",
      ),
    ],
  });
  const { h, rebuilt, file } = rebuildFile(jpeg);
  assertEquals(kinds(file).slice(0, 5), [
    "soi",
    "exif",
    "icc",
    "xmp",
    "photoshop",
  ]);
  const newHeader = header(file);
  // ICC and the frame segments are byte-identical.
  const raw = (bytes: Uint8Array, hh: JpegHeader, i: number) =>
    bytes.subarray(hh.segments[i]!.start, hh.segments[i]!.end);
  assert(bytesEqual(raw(file, newHeader, 2), raw(jpeg, h, 2)));
  assert(
    bytesEqual(
      file.subarray(rebuilt.header.length),
      jpeg.subarray(h.tailOffset),
    ),
  );
});

Deno.test("rebuildJpegHeader() leaves duplicated or unreadable blocks alone", () => {
  const exif = exifSegment(cameraExif());
  const jpeg = encodeJpeg({
    width: 16,
    height: 16,
    segments: [exif, exif, xmpSegment("<broken")],
  });
  const { h, rebuilt, file } = rebuildFile(jpeg);
  assertEquals(rebuilt.blocks.exif, "kept");
  assertEquals(rebuilt.blocks.xmp, "kept");
  assertEquals(rebuilt.blocks.iptc, "written");
  assert(rebuilt.warnings.some((w) => w.includes("2 Exif segments")));
  assert(rebuilt.warnings.some((w) => w.includes("XMP")));
  // Both Exif segments and the broken XMP are still there, unchanged.
  const newHeader = header(file);
  for (let i = 1; i <= 3; i++) {
    assert(bytesEqual(
      file.subarray(newHeader.segments[i]!.start, newHeader.segments[i]!.end),
      jpeg.subarray(h.segments[i]!.start, h.segments[i]!.end),
    ));
  }
});

Deno.test("rebuildJpegHeader() keeps an empty APP1 untouched", () => {
  const jpeg = encodeJpeg({
    width: 16,
    height: 16,
    segments: [Uint8Array.of(0xff, 0xe1, 0, 2)],
  });
  const { file } = rebuildFile(jpeg);
  assertEquals(kinds(file).slice(0, 5), [
    "soi",
    "exif",
    "xmp",
    "app",
    "photoshop",
  ]);
  const h = header(file);
  assertEquals([...file.subarray(h.segments[3]!.start, h.segments[3]!.end)], [
    0xff,
    0xe1,
    0,
    2,
  ]);
});

Deno.test("rebuildJpegHeader() keeps MPF offsets pointing at the same images", () => {
  const second = encodeJpeg({ width: 8, height: 8 });
  const build = (offset: number) =>
    encodeJpeg({
      width: 16,
      height: 16,
      segments: [
        exifSegment(cameraExif()),
        mpfSegment(0, second.length, offset),
      ],
    });
  // Two passes: the first to learn where things are, the second with the
  // right offset for a second image appended after EOI.
  const probe = build(0);
  const probeHeader = header(probe);
  const mpfAt = probeHeader.segments.find((s) =>
    classifySegment(probe, s) === "mpf"
  )!;
  const mpHeaderAt = mpfAt.payloadOffset + 4;
  const jpeg = concatBytes([build(probe.length - mpHeaderAt), second]);
  const { rebuilt, file } = rebuildFile(jpeg);
  assert(rebuilt.changed);
  const h = header(file);
  const mpf = h.segments.find((s) => classifySegment(file, s) === "mpf")!;
  const view = new DataView(file.buffer, file.byteOffset);
  const entries = mpf.payloadOffset + 4 + 8 + 42;
  const offset = view.getUint32(entries + 16 + 8, true);
  const secondAt = mpf.payloadOffset + 4 + offset;
  assert(bytesEqual(file.subarray(secondAt, secondAt + second.length), second));
  assertEquals(
    shiftMpfOffsets(
      file.subarray(mpf.payloadOffset, mpf.payloadOffset + mpf.payloadLength),
      0,
    )?.length,
    mpf.payloadLength,
  );
});

Deno.test("rebuildJpegHeader() reports the date source", () => {
  const jpeg = encodeJpeg({
    width: 16,
    height: 16,
    segments: [
      exifSegment(cameraExif({ dateTimeOriginal: "2011:11:11 11:11:11" })),
    ],
  });
  const unknown =
    rebuildFile(jpeg, { ...meta, dateTakenUnknown: true }).rebuilt;
  assertEquals(unknown.fields.date.source, "camera");
  assertEquals(unknown.fields.date.xmpDate, "2011-11-11T11:11:11");
  const flickr = rebuildFile(jpeg).rebuilt;
  assertEquals(flickr.fields.date.source, "flickr");
});
