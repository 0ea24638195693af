import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  cameraExif,
  encodeJpeg,
  encodePng,
  exifSegment,
} from "../../tests/helpers/media_builders.ts";
import { embedMetadata, TEMP_SUFFIX } from "./embed.ts";
import { embedSmallJpeg } from "./embed_small.ts";
import { dateResolutionToLocalDate, type PhotoMetadata } from "./fields.ts";

const meta: PhotoMetadata = {
  title: "Fast path",
  description: "Same bytes as the general path",
  tags: ["a", "b c"],
  dateTaken: "2019-07-14 18:22:01",
  dateTakenGranularity: 0,
  dateTakenUnknown: false,
  latitude: 48.85,
  longitude: 2.35,
  creator: "Jane",
  rights: "© Jane",
};

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb-embed-small-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const sha256 = (bytes: Uint8Array) =>
  createHash("sha256").update(bytes).digest("hex");

Deno.test("embedSmallJpeg() writes exactly what embedMetadata() writes, once", async () => {
  const jpegs = {
    plain: encodeJpeg({ width: 32, height: 24, noise: 3 }),
    camera: encodeJpeg({
      width: 32,
      height: 24,
      segments: [exifSegment(cameraExif())],
    }),
  };
  await withDir(async (dir) => {
    for (const [name, bytes] of Object.entries(jpegs)) {
      const fast = join(dir, `${name}-fast.jpg`);
      const general = join(dir, `${name}-general.jpg`);
      await Deno.writeFile(fast, bytes);
      await Deno.writeFile(general, bytes);
      const a = await embedSmallJpeg(fast, meta, {
        mtimeFor: dateResolutionToLocalDate,
      });
      const b = await embedMetadata(general, meta);
      assert(a, `${name}: the fast path declined`);
      assertEquals(a.status, "written");
      assertEquals(b.status, "written");
      const fastBytes = await Deno.readFile(fast);
      assertEquals(sha256(fastBytes), sha256(await Deno.readFile(general)));
      assertEquals(a.sha256, sha256(fastBytes));
      assertEquals(a.bytes, fastBytes.length);
      assertEquals(a.sha256, b.sha256);
      assertEquals(a.date, b.date);
      assertEquals(a.dateSource, b.dateSource);
      assertEquals(a.warnings, b.warnings);
      // The modification time is the date taken, set before the rename.
      const taken = dateResolutionToLocalDate(a.date);
      assert(taken);
      assertEquals((await Deno.stat(fast)).mtime?.getTime(), taken.getTime());
      // Again: nothing to change.
      const again = await embedSmallJpeg(fast, meta);
      assertEquals(again?.status, "unchanged");
      assertEquals(sha256(await Deno.readFile(fast)), a.sha256);
    }
    for await (const entry of Deno.readDir(dir)) {
      assert(!entry.name.endsWith(TEMP_SUFFIX), `left ${entry.name}`);
    }
  });
});

Deno.test("embedSmallJpeg() leaves other cases to embedMetadata(), untouched", async () => {
  await withDir(async (dir) => {
    const jpeg = encodeJpeg({ width: 16, height: 16 });
    const cases: [string, Uint8Array][] = [
      ["png", encodePng(4, 4)],
      ["truncated", jpeg.subarray(0, jpeg.length - 10)],
      ["not an image", new TextEncoder().encode("hello, not a photo")],
    ];
    for (const [name, bytes] of cases) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      assertEquals(await embedSmallJpeg(path, meta), undefined, name);
      assertEquals(sha256(await Deno.readFile(path)), sha256(bytes), name);
    }
    // A file with another hard link would split its links.
    const linked = join(dir, "linked.jpg");
    await Deno.writeFile(linked, jpeg);
    await Deno.link(linked, join(dir, "other.jpg"));
    assertEquals(await embedSmallJpeg(linked, meta), undefined);
    assertEquals(sha256(await Deno.readFile(linked)), sha256(jpeg));
  });
});

Deno.test("embedSmallJpeg() matches embedMetadata() on every corpus camera JPEG, or declines", async () => {
  const corpus = new URL(
    "../../tests/metadata_corpus/images/",
    import.meta.url,
  );
  let taken = 0;
  let declined = 0;
  await withDir(async (dir) => {
    for await (const entry of Deno.readDir(corpus)) {
      if (!entry.name.toLowerCase().endsWith(".jpg")) continue;
      const bytes = await Deno.readFile(new URL(entry.name, corpus));
      const fast = join(dir, `fast-${entry.name}`);
      const general = join(dir, `general-${entry.name}`);
      await Deno.writeFile(fast, bytes);
      await Deno.writeFile(general, bytes);
      const a = await embedSmallJpeg(fast, meta);
      if (!a) {
        declined++;
        assertEquals(sha256(await Deno.readFile(fast)), sha256(bytes));
        continue;
      }
      taken++;
      const b = await embedMetadata(general, meta);
      assertEquals(a.status, b.status, entry.name);
      assertEquals(
        sha256(await Deno.readFile(fast)),
        sha256(await Deno.readFile(general)),
        entry.name,
      );
      assertEquals(a.warnings, b.warnings, entry.name);
      assertEquals(a.date, b.date, entry.name);
    }
  });
  assert(taken > 20, `the fast path took only ${taken} (declined ${declined})`);
});
