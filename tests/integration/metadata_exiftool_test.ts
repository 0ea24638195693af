/**
 * Reads back with ExifTool (installed for tests only) everything
 * `embedMetadata` writes, over a corpus generated here: camera EXIF
 * (piexifjs and a Canon-style little-endian MakerNote), no EXIF, progressive,
 * a trailer after EOI, a huge description, non-ASCII text, a nearly full
 * APP1, foreign XMP, an empty APP1, duplicate Exif segments, MPF, existing
 * IPTC, greyscale, broken files, PNG and MP4.
 *
 * For each file: every field in EXIF, XMP and IPTC; camera values unchanged;
 * `exiftool -validate -warning -a` reports nothing new; the SHA-256 of the
 * bytes from the first SOS to EOF is unchanged; no temp file is left; a
 * second run changes nothing.
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import {
  cameraExif,
  canonStyleExif,
  encodeJpeg,
  encodePng,
  exifSegment,
  fakeMp4,
  mpfSegment,
  randomBytes,
  writeLargeJpeg,
  xmpSegment,
} from "../helpers/media_builders.ts";
import {
  concatBytes,
  latin1Bytes,
  truncateUtf8,
  utf8,
} from "../../src/metadata/_bytes.ts";
import {
  embedMetadata,
  type EmbedResult,
  TEMP_SUFFIX,
} from "../../src/metadata/embed.ts";
import { listExifEntries } from "../../src/metadata/read_exif.ts";
import {
  type PhotoMetadata,
  resolveDateTaken,
} from "../../src/metadata/fields.ts";
import {
  serializeIim,
  serializePhotoshopResources,
} from "../../src/metadata/iptc.ts";
import {
  buildSegment,
  classifySegment,
  parseJpegHeader,
} from "../../src/metadata/jpeg_segments.ts";
import { EXIF_TEXT_LIMITS } from "../../src/metadata/jpeg_header.ts";

const hasExiftool = await (async () => {
  try {
    const out = await new Deno.Command("exiftool", {
      args: ["-ver"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    // ExifTool is a test-only dependency; without it these tests are skipped.
    return false;
  }
})();

type Json = Record<string, unknown>;

async function exiftool(args: string[]): Promise<string> {
  const out = await new Deno.Command("exiftool", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function readJson(
  files: string[],
  extra: string[] = [],
): Promise<Map<string, Json>> {
  const text = await exiftool([
    "-j",
    "-G1",
    "-a",
    "-struct",
    "-charset",
    "utf8",
    ...extra,
    ...files,
  ]);
  const map = new Map<string, Json>();
  for (const item of JSON.parse(text) as Json[]) {
    map.set(item.SourceFile as string, item);
  }
  return map;
}

/** `exiftool -validate -warning -a` warnings per file. */
async function validate(files: string[]): Promise<Map<string, string[]>> {
  const text = await exiftool([
    "-validate",
    "-warning",
    "-a",
    "-s3",
    "-charset",
    "utf8",
    ...files,
  ]);
  const map = new Map<string, string[]>();
  let current = files.length === 1 ? files[0]! : "";
  for (const line of text.split("\n")) {
    const header = /^======== (.*)$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (
      line.trim() === "" ||
      /image files read|^OK$|^\d+ (Warning|Error)/.test(line.trim())
    ) continue;
    map.set(current, [...(map.get(current) ?? []), line.trim()]);
  }
  return map;
}

/** Offset of the first SOS, found without the code under test. */
function firstSos(bytes: Uint8Array): number {
  let i = 2;
  while (i + 4 <= bytes.length) {
    while (bytes[i] === 0xff && bytes[i + 1] === 0xff) i++;
    if (bytes[i + 1] === 0xda) return i;
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  throw new Error("no SOS");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function nonBmpFree(text: string): boolean {
  return !/[\u{10000}-\u{10FFFF}]/u.test(text);
}

const unicode: PhotoMetadata = {
  title: "Sunset über Kyōto — 夕焼け 🌅",
  description:
    'First line & <b>not html</b> "quoted"\nSecond line: 日本語のテキスト, emoji 🎉🇯🇵.',
  tags: ["sunset", "京都", "night & day", "🌅 emoji", "Ünïcödé", "a;b"],
  dateTaken: "2019-07-14 18:22:01",
  dateTakenGranularity: 0,
  dateTakenUnknown: false,
  latitude: 35.011636,
  longitude: -135.768029,
  creator: "Jane Doe (ジェーン)",
  rights: "© 2019 Jane Doe, CC BY-SA 2.0",
  flickrUrl: "https://www.flickr.com/photos/jane/123456/",
};

const month: PhotoMetadata = {
  ...unicode,
  dateTaken: "2018-03-01 00:00:00",
  dateTakenGranularity: 4,
};

const huge: PhotoMetadata = {
  ...unicode,
  description:
    ("Long text line with ASCII and 長い説明 " + "x".repeat(60) + "\n").repeat(
      2000,
    ),
};

const unknownDate: PhotoMetadata = {
  ...unicode,
  dateTaken: "2023-01-01 10:00:00",
  dateTakenUnknown: true,
};

const motionXmp = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.1.0-jc003">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about=""
        xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
        xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:xmp="http://ns.adobe.com/xap/1.0/"
      GCamera:MotionPhoto="1"
      GCamera:MotionPhotoVersion="1"
      xmp:CreateDate="2001-01-01T00:00:00">
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Phone title</rdf:li></rdf:Alt></dc:title>
      <dc:description><rdf:Alt><rdf:li xml:lang="x-default">${
  "p".repeat(55_000)
}</rdf:li></rdf:Alt></dc:description>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
${" ".repeat(2000)}
<?xpacket end="w"?>`;

interface Case {
  name: string;
  bytes: Uint8Array;
  meta: PhotoMetadata;
  status: EmbedResult["status"];
  /** Fields expected in EXIF (false: EXIF intentionally not written). */
  exif?: "full" | "short" | "kept";
  camera?: boolean;
  check?: (
    after: Json,
    before: Json,
    path: string,
    result: EmbedResult,
  ) => Promise<void> | void;
}

function buildCorpus(): Case[] {
  const thumbnail = encodeJpeg({ width: 32, height: 24, noise: 3, seed: 3 });
  const camera = exifSegment(
    cameraExif({ thumbnail, makerNote: randomBytes(300, 2) }),
  );
  const jpeg = (
    segments: Uint8Array[],
    extra: Partial<Parameters<typeof encodeJpeg>[0]> = {},
  ) => encodeJpeg({ width: 64, height: 48, noise: 4, segments, ...extra });
  const jfif = buildSegment(
    0xe0,
    concatBytes([
      latin1Bytes("JFIF\0"),
      Uint8Array.of(1, 1, 1, 0, 72, 0, 72, 0, 0),
    ]),
  );
  const good = jpeg([camera]);

  const second = encodeJpeg({ width: 16, height: 16, noise: 2, seed: 11 });
  const mpfProbe = jpeg([camera, mpfSegment(0, second.length, 0)]);
  const mpfAt = firstSegment(mpfProbe, "mpf");
  const mpf = concatBytes([
    jpeg([camera, mpfSegment(0, second.length, mpfProbe.length - (mpfAt + 8))]),
    second,
  ]);

  const photoshop = buildSegment(
    0xed,
    concatBytes([
      latin1Bytes("Photoshop 3.0\0"),
      serializePhotoshopResources([
        {
          signature: "8BIM",
          id: 0x03ed,
          name: Uint8Array.of(0, 0),
          data: Uint8Array.of(0, 72, 0, 0, 0, 1, 0, 1, 0, 72, 0, 0, 0, 1, 0, 1),
        },
        {
          signature: "8BIM",
          id: 0x0404,
          name: Uint8Array.of(0, 0),
          data: serializeIim([
            { record: 2, dataset: 0, data: Uint8Array.of(0, 4) },
            { record: 2, dataset: 5, data: latin1Bytes("Old title") },
            { record: 2, dataset: 90, data: latin1Bytes("M\xfcnchen") },
          ]),
        },
      ]),
    ]),
  );

  return [
    {
      name: "camera.jpg",
      bytes: good,
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
    },
    {
      name: "canon-makernote.jpg",
      bytes: jpeg([exifSegment(canonStyleExif())]),
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
      check: (after, before) => {
        for (
          const tag of [
            "Canon:CanonImageType",
            "Canon:CanonFirmwareVersion",
            "Canon:OwnerName",
          ]
        ) {
          assertEquals(after[tag], before[tag], tag);
        }
        assertEquals(after["Canon:CanonImageType"], "Canon EOS TEST IMAGE");
        assertEquals(after["File:ExifByteOrder"], "Little-endian (Intel, II)");
      },
    },
    {
      name: "no-exif.jpg",
      bytes: jpeg([jfif]),
      meta: unicode,
      status: "written",
      exif: "full",
    },
    {
      name: "progressive.jpg",
      bytes: jpeg([camera], { progressive: true }),
      meta: month,
      status: "written",
      exif: "full",
      camera: true,
      check: (after) =>
        assertEquals(
          after["File:EncodingProcess"],
          "Progressive DCT, Huffman coding",
        ),
    },
    {
      name: "trailer.jpg",
      bytes: concatBytes([good, randomBytes(100 * 1024, 9)]),
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
    },
    {
      name: "huge-description.jpg",
      bytes: good,
      meta: huge,
      status: "written",
      exif: "full",
      camera: true,
      check: (_after, _before, _path, result) => {
        assert(
          result.warnings.some((w) => w.includes("XMP description")),
          "XMP truncation warned",
        );
        assert(
          result.warnings.some((w) => w.includes("Caption-Abstract")),
          "IPTC truncation warned",
        );
      },
    },
    {
      name: "app1-60k.jpg",
      bytes: jpeg([
        exifSegment(cameraExif({ makerNote: randomBytes(60_000, 4) })),
      ]),
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
    },
    {
      name: "app1-nearly-full.jpg",
      bytes: jpeg([
        exifSegment(cameraExif({ makerNote: randomBytes(64_300, 4) })),
      ]),
      meta: unicode,
      status: "written",
      exif: "short",
      camera: true,
      check: (_after, _before, _path, result) => {
        assert(
          result.warnings.some((w) => w.includes("EXIF is full")),
          "EXIF full warned",
        );
      },
    },
    {
      name: "app1-full.jpg",
      bytes: jpeg([
        exifSegment(cameraExif({ makerNote: randomBytes(65_000, 4) })),
      ]),
      meta: unicode,
      status: "written",
      exif: "kept",
      camera: true,
      check: (after, before, _path, result) => {
        assert(
          result.warnings.some((w) => w.includes("Left EXIF untouched")),
          "EXIF kept warned",
        );
        assertEquals(
          after["ExifIFD:DateTimeOriginal"],
          before["ExifIFD:DateTimeOriginal"],
        );
      },
    },
    {
      name: "foreign-xmp.jpg",
      bytes: jpeg([camera, xmpSegment(motionXmp)]),
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
      check: (after) => {
        assertEquals(after["XMP-GCamera:MotionPhoto"], 1);
        assertEquals(after["XMP-GCamera:MotionPhotoVersion"], 1);
      },
    },
    {
      name: "empty-app1.jpg",
      bytes: jpeg([Uint8Array.of(0xff, 0xe1, 0x00, 0x02), camera]),
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
      check: async (_after, _before, path) => {
        const bytes = await Deno.readFile(path);
        const parsed = parseJpegHeader(bytes, bytes.length);
        assert(parsed.kind === "ok");
        assert(
          parsed.header.segments.some((s) =>
            s.marker === 0xe1 && s.payloadLength === 0
          ),
          "empty APP1 kept",
        );
      },
    },
    {
      name: "two-exif.jpg",
      bytes: jpeg([camera, camera]),
      meta: unicode,
      status: "written",
      exif: "kept",
      camera: true,
      check: (_after, _before, _path, result) => {
        assert(
          result.warnings.some((w) => w.includes("2 Exif segments")),
          "duplicate EXIF warned",
        );
      },
    },
    {
      name: "mpf.jpg",
      bytes: mpf,
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
      check: async (_after, _before, path) => {
        const out = await new Deno.Command("exiftool", {
          args: ["-b", "-MPImage2:PreviewImage", path],
          stdout: "piped",
        }).output();
        assertEquals(
          sha256(out.stdout),
          sha256(second),
          "MPImage2 still found",
        );
      },
    },
    {
      name: "iptc-existing.jpg",
      bytes: jpeg([camera, photoshop]),
      meta: unicode,
      status: "written",
      exif: "full",
      camera: true,
      check: (after) => {
        assertEquals(after["IPTC:City"], "München");
        assertEquals(after["Photoshop:XResolution"], 72);
      },
    },
    {
      name: "grey.jpg",
      bytes: encodeJpeg({
        width: 40,
        height: 24,
        components: 1,
        segments: [jfif],
      }),
      meta: unicode,
      status: "written",
      exif: "full",
    },
    {
      name: "unknown-date.jpg",
      bytes: good,
      meta: unknownDate,
      status: "written",
      exif: "full",
      camera: true,
      check: (after, before, _path, result) => {
        assertEquals(result.dateSource, "camera");
        assertEquals(
          after["ExifIFD:DateTimeOriginal"],
          before["ExifIFD:DateTimeOriginal"],
        );
      },
    },
    {
      name: "truncated-scan.jpg",
      bytes: good.subarray(0, firstSos(good) + 40),
      meta: unicode,
      status: "skipped",
    },
    {
      name: "length-past-eof.jpg",
      bytes: concatBytes([
        good.subarray(0, 2),
        Uint8Array.of(0xff, 0xe1, 0xf0, 0x00),
        good.subarray(2, 400),
      ]),
      meta: unicode,
      status: "skipped",
    },
  ];
}

function firstSegment(bytes: Uint8Array, kind: string): number {
  const parsed = parseJpegHeader(bytes, bytes.length);
  if (parsed.kind !== "ok") throw new Error("bad JPEG");
  const segment = parsed.header.segments.find((s) =>
    classifySegment(bytes, s) === kind
  );
  if (!segment) throw new Error(`no ${kind}`);
  return segment.start;
}

function checkFields(c: Case, after: Json, gps: Json, path: string) {
  const meta = c.meta;
  const date = resolveDateTaken(
    meta,
    meta.dateTakenUnknown ? "2016:05:04 13:14:15" : undefined,
  );
  const tags = meta.tags;
  const xmpDescription = String(after["XMP-dc:Description"]);
  const fullDescription = meta.description!;
  const where = (field: string) => `${c.name}: ${field}`;

  // XMP.
  assertEquals(after["XMP-dc:Title"], meta.title, where("XMP-dc:Title"));
  if (utf8(fullDescription).length < 60_000) {
    assertEquals(xmpDescription, fullDescription, where("XMP-dc:Description"));
  } else {
    assert(xmpDescription.endsWith(" […]"), where("XMP description marker"));
    assert(
      fullDescription.startsWith(xmpDescription.slice(0, -4)),
      where("XMP description prefix"),
    );
  }
  assertEquals(asList(after["XMP-dc:Subject"]), tags, where("XMP-dc:Subject"));
  assertEquals(
    asList(after["XMP-dc:Creator"]),
    [meta.creator],
    where("XMP-dc:Creator"),
  );
  assertEquals(after["XMP-dc:Rights"], meta.rights, where("XMP-dc:Rights"));
  const xmpDate = date.xmpDate!.replaceAll("-", ":").replace("T", " ");
  assertEquals(
    String(after["XMP-photoshop:DateCreated"]),
    xmpDate,
    where("photoshop:DateCreated"),
  );
  assertEquals(
    String(after["XMP-xmp:CreateDate"]),
    xmpDate,
    where("xmp:CreateDate"),
  );
  assert(
    Math.abs(Number(gps["XMP-exif:GPSLatitude"]) - meta.latitude!) < 1e-6,
    where("XMP GPSLatitude"),
  );
  assert(
    Math.abs(Number(gps["XMP-exif:GPSLongitude"]) - meta.longitude!) < 1e-6,
    where("XMP GPSLongitude"),
  );

  if (!path.endsWith(".jpg")) return;

  // IPTC.
  assertEquals(
    after["IPTC:CodedCharacterSet"],
    "UTF8",
    where("CodedCharacterSet"),
  );
  assertEquals(
    after["IPTC:ObjectName"],
    truncateUtf8(meta.title!, 64, " […]").text,
    where("ObjectName"),
  );
  assertEquals(
    after["IPTC:Caption-Abstract"],
    truncateUtf8(fullDescription, 2000, " […]").text,
    where("Caption"),
  );
  assertEquals(asList(after["IPTC:Keywords"]), tags, where("Keywords"));
  assertEquals(
    after["IPTC:DateCreated"],
    date.iptcDate!.replace(/^(\d{4})(\d{2})(\d{2})$/, "$1:$2:$3"),
    where("IPTC DateCreated"),
  );
  assertEquals(
    after["IPTC:By-line"],
    truncateUtf8(meta.creator!, 32, " […]").text,
    where("By-line"),
  );
  assertEquals(
    after["IPTC:CopyrightNotice"],
    meta.rights,
    where("CopyrightNotice"),
  );

  // EXIF.
  if (c.exif === "kept") return;
  assertEquals(
    after["ExifIFD:DateTimeOriginal"],
    date.exifDate,
    where("DateTimeOriginal"),
  );
  assertEquals(after["IFD0:Artist"], meta.creator, where("Artist"));
  assertEquals(after["IFD0:Copyright"], meta.rights, where("Copyright"));
  assert(
    Math.abs(Number(gps["GPS:GPSLatitude"]) - Math.abs(meta.latitude!)) < 1e-6,
    where("GPSLatitude"),
  );
  assert(
    Math.abs(Number(gps["GPS:GPSLongitude"]) - Math.abs(meta.longitude!)) <
      1e-6,
    where("GPSLongitude"),
  );
  assertEquals(
    gps["GPS:GPSLatitudeRef"],
    meta.latitude! < 0 ? "S" : "N",
    where("GPSLatitudeRef"),
  );
  assertEquals(
    gps["GPS:GPSLongitudeRef"],
    meta.longitude! < 0 ? "W" : "E",
    where("GPSLongitudeRef"),
  );
  if (c.exif === "short") {
    assertEquals(
      after["IFD0:ImageDescription"],
      undefined,
      where("no ImageDescription"),
    );
    return;
  }
  const exifDescription =
    truncateUtf8(fullDescription, EXIF_TEXT_LIMITS.description, " […]").text;
  assertEquals(
    after["IFD0:ImageDescription"],
    exifDescription,
    where("ImageDescription"),
  );
  // ExifTool 12.57 decodes XP* tags as UCS-2 and cannot show characters
  // outside the BMP; those are checked byte for byte below instead.
  if (nonBmpFree(exifDescription)) {
    assertEquals(after["IFD0:XPComment"], exifDescription, where("XPComment"));
  }
  if (nonBmpFree(meta.title!)) {
    assertEquals(after["IFD0:XPTitle"], meta.title, where("XPTitle"));
  }
  if (nonBmpFree(tags.join(";"))) {
    assertEquals(after["IFD0:XPKeywords"], tags.join(";"), where("XPKeywords"));
  }
  assert(
    String(after["IFD0:XPTitle"]).startsWith("Sunset über Kyōto — 夕焼け"),
    where("XPTitle prefix"),
  );
}

async function checkXpBytes(path: string, meta: PhotoMetadata) {
  const bytes = await Deno.readFile(path);
  const at = firstSegment(bytes, "exif");
  const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
  const tiff = bytes.subarray(at + 10, at + 2 + length);
  const xp = (tag: number) => {
    const entry = listExifEntries(tiff).find((e) =>
      e.ifd === "IFD0" && e.tag === tag
    );
    return new TextDecoder("utf-16le").decode(entry!.value!).replace(
      /\0+$/,
      "",
    );
  };
  assertEquals(xp(0x9c9b), meta.title, "XPTitle bytes");
  assertEquals(xp(0x9c9e), meta.tags.join(";"), "XPKeywords bytes");
}

Deno.test({
  name: "embedMetadata() output reads back in ExifTool with no new warnings",
  ignore: !hasExiftool,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "fb-exiftool-" });
    try {
      const corpus = buildCorpus();
      const inputs = join(dir, "in");
      const work = join(dir, "out");
      await Deno.mkdir(inputs);
      await Deno.mkdir(work);
      for (const c of corpus) {
        await Deno.writeFile(join(inputs, c.name), c.bytes);
        await Deno.writeFile(join(work, c.name), c.bytes);
      }
      const inPaths = corpus.map((c) => join(inputs, c.name));
      const outPaths = corpus.map((c) => join(work, c.name));
      const beforeJson = await readJson(inPaths);
      const beforeWarnings = await validate(inPaths);

      const results = new Map<string, EmbedResult>();
      for (const [i, c] of corpus.entries()) {
        results.set(c.name, await embedMetadata(outPaths[i]!, c.meta));
      }
      const afterJson = await readJson(outPaths);
      const afterWarnings = await validate(outPaths);
      const gpsJson = await readJson(outPaths, [
        "-n",
        "-GPS:GPSLatitude",
        "-GPS:GPSLongitude",
        "-GPS:GPSLatitudeRef",
        "-GPS:GPSLongitudeRef",
        "-XMP-exif:GPSLatitude",
        "-XMP-exif:GPSLongitude",
      ]);

      for (const [i, c] of corpus.entries()) {
        await t.step(c.name, async () => {
          const result = results.get(c.name)!;
          const path = outPaths[i]!;
          const original = c.bytes;
          const written = await Deno.readFile(path);
          assertEquals(
            result.status,
            c.status,
            `${c.name} status (${result.warnings.join("; ")})`,
          );
          if (c.status === "skipped") {
            assertEquals(written, original, "byte-identical");
            assert(result.warnings.length > 0, "a warning says why");
            assertEquals(result.sidecar?.status, "written", "sidecar fallback");
            return;
          }
          // Image data and trailer: byte-identical from the first SOS to EOF.
          const tailBefore = original.subarray(firstSos(original));
          const tailAfter = written.subarray(firstSos(written));
          assertEquals(sha256(tailAfter), sha256(tailBefore), "tail SHA-256");
          assertEquals(result.sha256, sha256(written), "reported SHA-256");

          const after = afterJson.get(path)!;
          const before = beforeJson.get(inPaths[i]!)!;
          checkFields(c, after, gpsJson.get(path)!, path);
          if (c.exif === "full" && !nonBmpFree(c.meta.title!)) {
            await checkXpBytes(path, c.meta);
          }
          if (c.camera) {
            for (
              const tag of [
                "IFD0:Make",
                "IFD0:Model",
                "ExifIFD:ExposureTime",
                "ExifIFD:FNumber",
                "ExifIFD:ISO",
                "ExifIFD:FocalLength",
              ]
            ) {
              assertEquals(
                after[tag],
                before[tag],
                `${c.name} ${tag} unchanged`,
              );
            }
            assert(after["IFD0:Make"] !== undefined, "Make present");
          }
          assertEquals(after["File:ImageWidth"], before["File:ImageWidth"]);

          const fresh = (afterWarnings.get(path) ?? []).filter(
            (w) => !(beforeWarnings.get(inPaths[i]!) ?? []).includes(w),
          );
          assertEquals(fresh, [], `${c.name}: new ExifTool warnings`);
          await c.check?.(after, before, path, result);

          // A second run finds nothing to change.
          const again = await embedMetadata(path, c.meta);
          assertEquals(again.status, "unchanged", "second run");
          assertEquals(await Deno.readFile(path), written, "second run bytes");
        });
      }

      await t.step("no temp files are left", async () => {
        for await (const entry of Deno.readDir(work)) {
          assert(!entry.name.endsWith(TEMP_SUFFIX), entry.name);
        }
      });

      await t.step(
        "metadata written earlier by ExifTool is merged, not lost",
        async () => {
          const path = join(work, "exiftool-authored.jpg");
          await Deno.writeFile(
            path,
            encodeJpeg({
              width: 32,
              height: 32,
              segments: [exifSegment(cameraExif())],
            }),
          );
          await exiftool([
            "-q",
            "-overwrite_original",
            "-XMP-dc:Title=Old title",
            "-XMP-dc:Subject=old tag",
            "-XMP-xmp:Rating=4",
            "-XMP-lr:HierarchicalSubject=places|Paris",
            "-IPTC:City=Paris",
            "-IPTC:Keywords=old keyword",
            "-EXIF:Software=Some Editor",
            path,
          ]);
          const before = await validate([path]);
          const result = await embedMetadata(path, unicode);
          assertEquals(result.status, "written");
          const json = (await readJson([path])).get(path)!;
          assertEquals(json["XMP-dc:Title"], unicode.title);
          assertEquals(asList(json["XMP-dc:Subject"]), unicode.tags);
          assertEquals(json["XMP-xmp:Rating"], 4);
          assertEquals(asList(json["XMP-lr:HierarchicalSubject"]), [
            "places|Paris",
          ]);
          assertEquals(json["IPTC:City"], "Paris");
          assertEquals(asList(json["IPTC:Keywords"]), unicode.tags);
          assertEquals(json["IFD0:Software"], "Some Editor");
          assertEquals(
            (await validate([path])).get(path) ?? [],
            before.get(path) ?? [],
          );
          assertEquals(
            (await embedMetadata(path, unicode)).status,
            "unchanged",
          );
        },
      );

      await t.step("PNG: XMP in iTXt and in the sidecar", async () => {
        const png = join(work, "image.png");
        const bytes = encodePng(24, 16);
        await Deno.writeFile(png, bytes);
        const before = await validate([png]);
        const result = await embedMetadata(png, unicode);
        assertEquals(result.status, "written");
        const written = await Deno.readFile(png);
        assertEquals(
          written.subarray(written.length - (bytes.length - 33)),
          bytes.subarray(33),
        );
        const json = await readJson([png, png + ".xmp"]);
        const gps = await readJson([png, png + ".xmp"], [
          "-n",
          "-XMP-exif:GPSLatitude",
          "-XMP-exif:GPSLongitude",
        ]);
        const c: Case = {
          name: "image.png",
          bytes,
          meta: unicode,
          status: "written",
        };
        checkFields(c, json.get(png)!, gps.get(png)!, png);
        checkFields(
          c,
          json.get(png + ".xmp")!,
          gps.get(png + ".xmp")!,
          png + ".xmp",
        );
        const after = await validate([png]);
        assertEquals(after.get(png) ?? [], before.get(png) ?? []);
      });

      await t.step(
        "MP4: only an XMP sidecar, which ExifTool reads",
        async () => {
          const mp4 = join(work, "video.mp4");
          const bytes = fakeMp4();
          await Deno.writeFile(mp4, bytes);
          const result = await embedMetadata(mp4, huge);
          assertEquals(result.status, "skipped");
          assertEquals(result.sidecar?.status, "written");
          assertEquals(await Deno.readFile(mp4), bytes);
          const json = (await readJson([mp4 + ".xmp"])).get(mp4 + ".xmp")!;
          // The sidecar keeps the full description.
          assertEquals(json["XMP-dc:Description"], huge.description);
          assertEquals(asList(json["XMP-dc:Subject"]), huge.tags);
          assertEquals(
            String(json["XMP-photoshop:DateCreated"]),
            "2019:07:14 18:22:01",
          );
          assertEquals(
            (await validate([mp4 + ".xmp"])).get(mp4 + ".xmp") ?? [],
            [],
          );
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "embedMetadata() killed mid-write leaves the original intact",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fb-kill-" });
    try {
      const path = join(dir, "big.jpg");
      const file = await Deno.open(path, { write: true, create: true });
      await writeLargeJpeg(file, {
        width: 2048,
        targetBytes: 80 * 1024 * 1024,
        segments: [exifSegment(cameraExif())],
      });
      file.close();
      const before = sha256(await Deno.readFile(path));
      const script = join(dir, "child.ts");
      const embedUrl =
        new URL("../../src/metadata/embed.ts", import.meta.url).href;
      // The child pauses its writes for good once 1 MiB of the temp file is
      // written and says so: the kill lands mid-write however busy the
      // machine is.
      await Deno.writeTextFile(
        script,
        `import { embedMetadata } from ${JSON.stringify(embedUrl)};\n` +
          `const write = Deno.FsFile.prototype.write;\n` +
          `let written = 0;\n` +
          `Deno.FsFile.prototype.write = async function (p) {\n` +
          `  if (written > 1024 * 1024) {\n` +
          `    console.log("paused");\n` +
          `    await new Promise(() => setInterval(() => {}, 60_000));\n` +
          `  }\n` +
          `  const n = await write.call(this, p);\n` +
          `  written += n;\n` +
          `  return n;\n` +
          `};\n` +
          `await embedMetadata(Deno.args[0], ${JSON.stringify(unicode)});\n`,
      );
      const config = new URL("../../deno.json", import.meta.url).pathname;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--config", config, "-A", script, path],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let said = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        said += decoder.decode(chunk, { stream: true });
        if (said.includes("paused")) break;
      }
      let killed = false;
      if (said.includes("paused")) {
        child.kill("SIGKILL");
        killed = true;
      }
      await child.status;
      assert(killed, "the child was killed while writing");
      assertEquals(
        sha256(await Deno.readFile(path)),
        before,
        "original intact",
      );
      // The leftover matches the sweepable pattern; a rerun still works.
      const leftovers: string[] = [];
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name.endsWith(TEMP_SUFFIX)) leftovers.push(entry.name);
      }
      assertEquals(leftovers.length, 1);
      assert(leftovers[0]!.startsWith(".big.jpg."), leftovers[0]);
      const result = await embedMetadata(path, unicode);
      assertEquals(result.status, "written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
