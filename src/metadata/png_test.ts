import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { bytesEqual, concatBytes, latin1Bytes } from "./_bytes.ts";
import { encodePng } from "../../tests/helpers/media_builders.ts";
import type { PhotoMetadata } from "./fields.ts";
import {
  buildChunk,
  buildXmpChunk,
  crc32,
  parsePngHeader,
  readXmpChunk,
  rebuildPngHeader,
  verifyPngHeader,
} from "./png.ts";
import { buildXmpPacket } from "./merge_xmp_packet.ts";

const meta: PhotoMetadata = {
  title: "PNG title",
  tags: ["a"],
  dateTaken: "2020-01-02 03:04:05",
  dateTakenGranularity: 0,
  dateTakenUnknown: false,
};

Deno.test("crc32() matches the PNG reference value", () => {
  assertEquals(crc32(latin1Bytes("IEND")), 0xae426082);
});

Deno.test("parsePngHeader() stops at the first IDAT and checks CRCs", () => {
  const png = encodePng(4, 4, [buildChunk("tEXt", latin1Bytes("k\0v"))]);
  const parsed = parsePngHeader(png, png.length);
  assert(parsed.kind === "ok");
  assertEquals(parsed.chunks.map((c) => c.type), ["IHDR", "tEXt"]);
  const broken = png.slice();
  broken[parsed.chunks[1]!.end - 1]! ^= 0xff;
  const bad = parsePngHeader(broken, broken.length);
  assert(bad.kind === "invalid" && bad.reason.includes("CRC"));
  assertEquals(
    parsePngHeader(png.subarray(0, 20), png.length).kind,
    "need-more",
  );
});

Deno.test("rebuildPngHeader() inserts XMP after IHDR and changes nothing else", () => {
  const png = encodePng(4, 4);
  const parsed = parsePngHeader(png, png.length);
  assert(parsed.kind === "ok");
  const rebuilt = rebuildPngHeader(
    png,
    parsed.chunks,
    parsed.tailOffset,
    meta,
    false,
  );
  assert(rebuilt.changed);
  const ihdrEnd = parsed.chunks[0]!.end;
  assert(
    bytesEqual(rebuilt.header.subarray(0, ihdrEnd), png.subarray(0, ihdrEnd)),
  );
  const file = concatBytes([rebuilt.header, png.subarray(parsed.tailOffset)]);
  assertEquals(
    verifyPngHeader(
      file,
      rebuilt.header.length,
      file.length,
      rebuilt.xmpDescription,
    ),
    undefined,
  );
  // A second rebuild over the result changes nothing.
  const again = parsePngHeader(file, file.length);
  assert(again.kind === "ok");
  assertEquals(
    rebuildPngHeader(file, again.chunks, again.tailOffset, meta, false).changed,
    false,
  );
});

Deno.test("rebuildPngHeader() merges into an existing XMP chunk in place", () => {
  const existing = buildXmpChunk(
    buildXmpPacket({ tags: ["old"], title: "Old" }),
  );
  const png = encodePng(4, 4, [
    buildChunk("gAMA", Uint8Array.of(0, 0, 0xb1, 0x8f)),
    existing,
  ]);
  const parsed = parsePngHeader(png, png.length);
  assert(parsed.kind === "ok");
  const rebuilt = rebuildPngHeader(
    png,
    parsed.chunks,
    parsed.tailOffset,
    meta,
    false,
  );
  const reparsed = parsePngHeader(
    concatBytes([rebuilt.header, png.subarray(parsed.tailOffset)]),
    rebuilt.header.length + png.length - parsed.tailOffset,
  );
  assert(reparsed.kind === "ok");
  assertEquals(reparsed.chunks.map((c) => c.type), ["IHDR", "gAMA", "iTXt"]);
  const content = readXmpChunk(rebuilt.header, reparsed.chunks[2]!);
  assert(content.kind === "xmp");
  assert(
    content.packet.includes("PNG title") && !content.packet.includes("Old"),
  );
});

Deno.test("rebuildPngHeader() leaves compressed or late XMP alone", () => {
  const compressed = buildChunk(
    "iTXt",
    concatBytes([
      latin1Bytes("XML:com.adobe.xmp\0"),
      Uint8Array.of(1, 0, 0, 0),
      latin1Bytes("x"),
    ]),
  );
  const png = encodePng(4, 4, [compressed]);
  const parsed = parsePngHeader(png, png.length);
  assert(parsed.kind === "ok");
  const rebuilt = rebuildPngHeader(
    png,
    parsed.chunks,
    parsed.tailOffset,
    meta,
    false,
  );
  assertEquals(rebuilt.changed, false);
  assertEquals(rebuilt.xmp, "kept");
  const plain = encodePng(4, 4);
  const plainParsed = parsePngHeader(plain, plain.length);
  assert(plainParsed.kind === "ok");
  const late = rebuildPngHeader(
    plain,
    plainParsed.chunks,
    plainParsed.tailOffset,
    meta,
    true,
  );
  assertEquals(late.changed, false);
  assertEquals(late.warnings.length, 1);
});
