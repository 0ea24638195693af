import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { concatBytes } from "./_bytes.ts";
import {
  cameraExif,
  encodeJpeg,
  encodePng,
  exifSegment,
  fakeMp4,
  randomBytes,
} from "../../tests/helpers/media_builders.ts";
import {
  embedMetadata,
  setFileTimes,
  TEMP_SUFFIX,
  writeXmpSidecar,
} from "./embed.ts";
import type { PhotoMetadata } from "./fields.ts";
import { parseJpegHeader } from "./jpeg_segments.ts";

const meta: PhotoMetadata = {
  title: "Embedded",
  description: "Text",
  tags: ["x"],
  dateTaken: "2019-07-14 18:22:01",
  dateTakenGranularity: 0,
  dateTakenUnknown: false,
  latitude: 10,
  longitude: 20,
  creator: "Jane",
  rights: "© Jane",
};

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function tailOf(bytes: Uint8Array): Uint8Array {
  const parsed = parseJpegHeader(bytes, bytes.length);
  if (parsed.kind !== "ok") throw new Error("not a JPEG");
  return bytes.subarray(parsed.header.tailOffset);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb-embed-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function noTempFiles(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    assert(!entry.name.endsWith(TEMP_SUFFIX), `left ${entry.name}`);
  }
}

Deno.test("embedMetadata() rewrites a JPEG header and keeps the tail and trailer", async () => {
  await withDir(async (dir) => {
    const trailer = randomBytes(100 * 1024, 5);
    const original = concatBytes([
      encodeJpeg({
        width: 32,
        height: 32,
        noise: 4,
        segments: [exifSegment(cameraExif())],
      }),
      trailer,
    ]);
    const path = join(dir, "photo.jpg");
    await Deno.writeFile(path, original, { mode: 0o640 });
    const mtime = new Date(2001, 1, 2, 3, 4, 5);
    await Deno.utime(path, mtime, mtime);

    const result = await embedMetadata(path, meta);
    assertEquals(result.status, "written");
    assertEquals(result.format, "jpeg");
    assertEquals(result.warnings, []);
    assertEquals(result.dateSource, "flickr");
    assertEquals(result.sidecar, undefined);
    const written = await Deno.readFile(path);
    assertEquals(result.bytes, written.length);
    assertEquals(result.sha256, sha256(written));
    assertEquals(sha256(tailOf(written)), sha256(tailOf(original)));
    assertEquals(written.subarray(written.length - trailer.length), trailer);
    const info = await Deno.stat(path);
    if (Deno.build.os !== "windows") assertEquals(info.mode! & 0o777, 0o640);
    assertEquals(info.mtime?.getTime(), mtime.getTime());
    await noTempFiles(dir);

    // Idempotent: the second run finds nothing to do.
    const again = await embedMetadata(path, meta);
    assertEquals(again.status, "unchanged");
    assertEquals(await Deno.readFile(path), written);
  });
});

Deno.test("embedMetadata() leaves bad JPEGs byte-identical and writes a sidecar", async () => {
  await withDir(async (dir) => {
    const good = encodeJpeg({
      width: 16,
      height: 16,
      segments: [exifSegment(cameraExif())],
    });
    const sos = good.length - tailOf(good).length;
    const cases: Array<[string, Uint8Array, string]> = [
      ["truncated-header.jpg", good.subarray(0, 40), "past the end"],
      ["truncated-scan.jpg", good.subarray(0, sos + 30), "end-of-image"],
      [
        "length-past-eof.jpg",
        concatBytes([
          good.subarray(0, 2),
          Uint8Array.of(0xff, 0xe1, 0xff, 0x00, 1, 2, 3),
        ]),
        "past the end",
      ],
      [
        "rst-in-header.jpg",
        concatBytes([
          good.subarray(0, 2),
          Uint8Array.of(0xff, 0xd3),
          good.subarray(2),
        ]),
        "before the first scan",
      ],
    ];
    for (const [name, bytes, reason] of cases) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      const result = await embedMetadata(path, meta);
      assertEquals(result.status, "skipped", name);
      assert(
        result.warnings.some((w) => w.includes(reason)),
        `${name}: ${result.warnings}`,
      );
      assertEquals(await Deno.readFile(path), bytes, name);
      assertEquals(result.sidecar?.status, "written", name);
    }
    await noTempFiles(dir);
  });
});

Deno.test("embedMetadata() writes only a sidecar for other formats", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "video.mp4");
    const bytes = fakeMp4();
    await Deno.writeFile(path, bytes);
    const result = await embedMetadata(path, meta);
    assertEquals(result.status, "skipped");
    assertEquals(result.format, "other");
    assertEquals(result.warnings, []);
    assertEquals(result.sidecar?.path, path + ".xmp");
    assertEquals(result.sidecar?.status, "written");
    assertEquals(await Deno.readFile(path), bytes);
    const sidecar = await Deno.readTextFile(path + ".xmp");
    assert(sidecar.includes("<rdf:li>x</rdf:li>"));
    assertEquals(
      (await embedMetadata(path, meta)).sidecar?.status,
      "unchanged",
    );
    assertEquals(
      (await embedMetadata(path, meta, { xmpSidecar: "never" })).sidecar,
      undefined,
    );
  });
});

Deno.test("embedMetadata() embeds XMP in a PNG and writes its sidecar", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "image.png");
    const png = encodePng(8, 8);
    await Deno.writeFile(path, png);
    const result = await embedMetadata(path, meta);
    assertEquals(result.status, "written");
    assertEquals(result.format, "png");
    assertEquals(result.sidecar?.status, "written");
    const written = await Deno.readFile(path);
    // Everything from the first IDAT on (after signature + IHDR) is identical.
    const tail = png.subarray(8 + 25);
    assertEquals(written.subarray(written.length - tail.length), tail);
    assertEquals((await embedMetadata(path, meta)).status, "unchanged");
    await noTempFiles(dir);
  });
});

Deno.test("writeXmpSidecar() merges into a sidecar written by another tool", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "photo.jpg.xmp");
    const darktable = `<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    darktable:history_end="3">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">old</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`;
    await Deno.writeTextFile(path, darktable);
    const result = await writeXmpSidecar(path, meta);
    assertEquals(result.status, "written");
    const merged = await Deno.readTextFile(path);
    assert(merged.includes('darktable:history_end="3"'));
    assert(merged.includes(">Embedded<") && !merged.includes(">old<"));
    assertEquals((await writeXmpSidecar(path, meta)).status, "unchanged");

    const empty = join(dir, "empty.mp4.xmp");
    const nothing = await writeXmpSidecar(empty, {
      tags: [],
      dateTakenGranularity: 0,
      dateTakenUnknown: true,
    });
    assertEquals(nothing.status, "skipped");
    assertEquals(nothing.warnings, []);
    assertEquals(await Deno.stat(empty).catch(() => undefined), undefined);

    await Deno.writeTextFile(path, "<not xmp");
    const refused = await writeXmpSidecar(path, meta);
    assertEquals(refused.status, "skipped");
    assertEquals(await Deno.readTextFile(path), "<not xmp");
    await noTempFiles(dir);
  });
});

Deno.test("embedMetadata() refuses to split hard links", async () => {
  if (Deno.build.os === "windows") return;
  await withDir(async (dir) => {
    const path = join(dir, "a.jpg");
    const bytes = encodeJpeg({ width: 16, height: 16 });
    await Deno.writeFile(path, bytes);
    await Deno.link(path, join(dir, "b.jpg"));
    const result = await embedMetadata(path, meta, { xmpSidecar: "never" });
    assertEquals(result.status, "skipped");
    assert(result.warnings.at(-1)!.includes("hard links"));
    assertEquals(await Deno.readFile(path), bytes);
    // A file that already holds the values is "unchanged", links or not.
    await Deno.remove(join(dir, "b.jpg"));
    assertEquals((await embedMetadata(path, meta)).status, "written");
    await Deno.link(path, join(dir, "c.jpg"));
    const again = await embedMetadata(path, meta);
    assertEquals(again.status, "unchanged");
    assertEquals(again.warnings, []);
  });
});

Deno.test("embedMetadata() follows a symlink and keeps it", async () => {
  if (Deno.build.os === "windows") return;
  await withDir(async (dir) => {
    const target = join(dir, "target.jpg");
    const link = join(dir, "link.jpg");
    await Deno.writeFile(target, encodeJpeg({ width: 16, height: 16 }));
    await Deno.symlink(target, link);
    const result = await embedMetadata(link, meta, { xmpSidecar: "never" });
    assertEquals(result.status, "written");
    assert((await Deno.lstat(link)).isSymlink);
    assertEquals((await embedMetadata(target, meta)).status, "unchanged");
  });
});

Deno.test("embedMetadata() skips headers over the cap and honours mtime", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "big-header.jpg");
    const bytes = encodeJpeg({
      width: 16,
      height: 16,
      segments: [
        exifSegment(cameraExif({ makerNote: new Uint8Array(30_000) })),
      ],
    });
    await Deno.writeFile(path, bytes);
    const capped = await embedMetadata(path, meta, {
      maxHeaderBytes: 1024,
      xmpSidecar: "never",
    });
    assertEquals(capped.status, "skipped");
    assert(capped.warnings[0]!.includes("larger than 1024"));
    assertEquals(await Deno.readFile(path), bytes);
    const when = new Date(2019, 6, 14, 18, 22, 1);
    const written = await embedMetadata(path, meta, { mtime: when });
    assertEquals(written.status, "written");
    assertEquals((await Deno.stat(path)).mtime?.getTime(), when.getTime());
    const later = new Date(2020, 0, 1);
    await setFileTimes(path, later);
    assertEquals((await Deno.stat(path)).mtime?.getTime(), later.getTime());
  });
});

Deno.test("embedMetadata() reports a missing file as skipped", async () => {
  const result = await embedMetadata("/nonexistent/dir/x.jpg", meta, {
    xmpSidecar: "never",
  });
  assertEquals(result.status, "skipped");
  assert(result.warnings[0]!.includes("Cannot open"));
});
