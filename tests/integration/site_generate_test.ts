/**
 * `generateSite` on disk: thumbnails from what is at hand (checked against
 * ExifTool), incremental refreshes, removals, and the `site` command's
 * answers to a wrong folder.
 */

import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMissing,
  assertStringIncludes,
} from "../assert.ts";
import { generateSite } from "../../src/site/generate_site.ts";
import {
  DECODE_MAX_PIXELS,
  DIRECT_MAX_BYTES,
  makeThumbnail,
  readExifThumbnail,
} from "../../src/site/thumbnails.ts";
import { encodeJpeg } from "../helpers/jpeg.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { snapshot, withTempDir } from "../helpers/backup_fixture.ts";
import { writeExportFixture } from "../export_fixture.ts";
import { makeSiteAccount } from "../helpers/site_fixture.ts";

async function exiftoolThumbnail(path: string): Promise<Uint8Array> {
  const output = await new Deno.Command("exiftool", {
    args: ["-b", "-ThumbnailImage", path],
    stdout: "piped",
  }).output();
  return output.stdout;
}

/** Width and height of a JPEG, as ExifTool reads them. */
async function exiftoolSize(dir: string, bytes: Uint8Array): Promise<string[]> {
  const path = join(dir, "thumb.jpg");
  await Deno.writeFile(path, bytes);
  const output = await new Deno.Command("exiftool", {
    args: ["-s3", "-ImageWidth", "-ImageHeight", path],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trim().split(/\s+/);
}

function pageFiles(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (folder: string) => {
    for (const entry of Deno.readDirSync(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) walk(path);
      else out.set(path, Deno.statSync(path).mtime!.getTime());
    }
  };
  walk(join(dir, ".flickr_site"));
  return out;
}

Deno.test("site thumbnails: the EXIF thumbnail is the one ExifTool reads; small files are their own; others are decoded to 240 px", async () => {
  const account = makeSiteAccount({ photos: 8, albums: 2 });
  try {
    const result = await generateSite(account.dir);
    assertEquals(result.photos, 8);
    assertEquals(result.withoutThumbnail, 0);
    const manifest = JSON.parse(
      await Deno.readTextFile(join(account.dir, ".flickr_site/manifest.json")),
    );
    let fromExif = 0;
    let decoded = 0;
    for (const [id, entry] of Object.entries(manifest.thumbs)) {
      const ref = (entry as { ref: { at: string; path: string } }).ref;
      const file = (await Array.fromAsync(Deno.readDir(account.dir))).flatMap((
        folder,
      ) =>
        folder.isDirectory && !folder.name.startsWith(".")
          ? [join(account.dir, folder.name, `${id}.jpg`)]
          : []
      ).find((path) => {
        try {
          return Deno.statSync(path).isFile;
        } catch {
          return false;
        }
      })!;
      const expected = await exiftoolThumbnail(file);
      if (expected.length) {
        assertEquals(ref.at, "site", id);
        const ours = await Deno.readFile(
          join(account.dir, ".flickr_site", ref.path),
        );
        assertEquals(ours, expected, `thumbnail of ${id}`);
        fromExif++;
      } else {
        const small = (await Deno.stat(file)).size <= DIRECT_MAX_BYTES;
        assertEquals(ref.at, small ? "root" : "site", id);
        if (!small) decoded++;
      }
    }
    assertEquals(fromExif, 4);
    assertEquals(decoded, 1, "photo 1 is large and has no EXIF thumbnail");
  } finally {
    await Deno.remove(account.dir, { recursive: true });
  }
});

Deno.test("makeThumbnail() decodes a large JPEG without an EXIF thumbnail into a 240-pixel JPEG ExifTool reads", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.jpg");
    await Deno.writeFile(
      path,
      encodeJpeg({ width: 1200, height: 900, seed: 3, padTo: 200_000 }),
    );
    const thumb = await makeThumbnail(path, "jpg", "photo");
    assert(thumb.kind === "jpeg" && thumb.source === "decoded", thumb.kind);
    assertEquals(await exiftoolSize(dir, thumb.bytes), ["240", "180"]);
    assert(thumb.bytes.length < 16_384, `${thumb.bytes.length} bytes`);
    assertEquals((await makeThumbnail(path, "mov", "video")).kind, "none");
  });
});

Deno.test("makeThumbnail() reads a large JPEG at 1/8 scale, and leaves one it cannot read to the browser", async () => {
  await withTempDir(async (dir) => {
    // 2,000 px wide, no EXIF thumbnail: read from its DC coefficients.
    const path = join(dir, "camera.jpg");
    await Deno.writeFile(
      path,
      encodeJpeg({ width: 2000, height: 1500, seed: 4, padTo: 200_000 }),
    );
    const thumb = await makeThumbnail(path, "jpg", "photo");
    assert(thumb.kind === "jpeg" && thumb.source === "eighth", thumb.kind);
    assertEquals(await exiftoolSize(dir, thumb.bytes), ["240", "180"]);
    // An arithmetic-coded JPEG said to be 6000×4000: not read at 1/8, too
    // big for a full decode in JavaScript (seconds and over a gigabyte).
    const bytes = await Deno.readFile(
      new URL("../site_fixtures/arithmetic.jpg", import.meta.url),
    );
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc9);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint16(sof + 5, 4000);
    view.setUint16(sof + 7, 6000);
    assert(6000 * 4000 > DECODE_MAX_PIXELS);
    const padded = new Uint8Array(40_000);
    padded.set(bytes);
    await Deno.writeFile(join(dir, "arith.jpg"), padded);
    assertEquals(await makeThumbnail(join(dir, "arith.jpg"), "jpg", "photo"), {
      kind: "original",
      rotate: 0,
    });
    // A large PNG is shown as it is too, rather than as a labelled tile.
    await Deno.writeFile(join(dir, "scan.png"), new Uint8Array(40_000));
    assertEquals(
      (await makeThumbnail(join(dir, "scan.png"), "png", "photo")).kind,
      "original",
    );
    // A type no browser shows keeps its tile.
    await Deno.writeFile(join(dir, "raw.nef"), new Uint8Array(40_000));
    assertEquals(
      (await makeThumbnail(join(dir, "raw.nef"), "nef", "photo")).kind,
      "none",
    );
  });
});

Deno.test("readExifThumbnail() finds nothing in damaged EXIF instead of failing", () => {
  const broken = new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe1,
    0x00,
    0x10,
    ...new TextEncoder().encode("Exif\0\0"),
    0x49,
    0x49,
    0x2a,
    0,
    0xff,
    0xff,
    0xff,
    0x7f,
    0xff,
    0xd9,
  ]);
  assertEquals(readExifThumbnail(broken), { rotate: 0 });
  assertEquals(readExifThumbnail(new Uint8Array([1, 2, 3])), { rotate: 0 });
});

Deno.test("generateSite() refreshes incrementally: nothing written when nothing changed, only the affected pages otherwise, pages of removed photos deleted", async () => {
  const account = makeSiteAccount({ photos: 60, albums: 3 });
  try {
    const first = await generateSite(account.dir);
    assertEquals(first.written, first.files);
    const before = pageFiles(account.dir);

    const again = await generateSite(account.dir);
    assertEquals(again.written, 0);
    assertEquals(pageFiles(account.dir), before, "no file touched");

    // Retitle one photo: its page, its album's page and the search index change.
    const folder =
      (await Array.fromAsync(Deno.readDir(account.dir))).find((entry) =>
        entry.isDirectory && entry.name.startsWith("Album 1")
      )!.name;
    const sidecar =
      (await Array.fromAsync(Deno.readDir(join(account.dir, folder)))).find((
        entry,
      ) => entry.name.endsWith(".json"))!.name;
    const id = sidecar.split(".")[0]!;
    const path = join(account.dir, folder, sidecar);
    const json = JSON.parse(await Deno.readTextFile(path));
    json.title = "A brand new title";
    await Deno.writeTextFile(path, JSON.stringify(json));
    const changed = await generateSite(account.dir);
    assert(
      changed.written >= 2 && changed.written < 10,
      `wrote ${changed.written}`,
    );
    const page = await Deno.readTextFile(
      join(account.dir, ".flickr_site/p", `${id}.html`),
    );
    assertStringIncludes(page, "<h1>A brand new title</h1>");

    // Remove the photo: its page goes, the others stay.
    await Deno.remove(path);
    const removed = await generateSite(account.dir);
    assert(removed.removed >= 1);
    assertEquals(removed.photos, 59);
    let gone = false;
    try {
      await Deno.stat(join(account.dir, ".flickr_site/p", `${id}.html`));
    } catch {
      gone = true;
    }
    assert(gone, "the page of a removed photo is deleted");

    // A deleted page is noticed and written again.
    const victim = join(account.dir, ".flickr_site/s/tags.html");
    await Deno.remove(victim);
    const healed = await generateSite(account.dir);
    assertEquals(healed.written, 1);
    assert((await Deno.stat(victim)).isFile);
  } finally {
    await Deno.remove(account.dir, { recursive: true });
  }
});

Deno.test("flickr-backup site refuses a folder that does not exist, with the fix", async () => {
  await withTempDir(async (dir) => {
    const result = await runCliProcess(["site", "--dir", join(dir, "nope")]);
    assertEquals(result.code, 2, result.stderr);
    assertStringIncludes(result.stderr, "does not exist");
  });
});

Deno.test("import refreshes the offline site like backup does; --no-site skips it", async () => {
  await withTempDir(async (dir) => {
    const fixture = await writeExportFixture(join(dir, "export"));
    const skipped = join(dir, "skipped");
    const off = await runCliProcess([
      "import",
      "--dir",
      skipped,
      "--no-site",
      ...fixture.zips,
    ]);
    assert(off.code === 0 || off.code === 3, off.stderr);
    assert(!off.stdout.includes("Offline site:"), off.stdout);
    await assertMissing(join(skipped, "index.html"));

    const target = join(dir, "imported");
    const on = await runCliProcess([
      "import",
      "--dir",
      target,
      ...fixture.zips,
    ]);
    assert(on.code === 0 || on.code === 3, on.stderr);
    assertStringIncludes(on.stdout, `Open ${join(target, "index.html")}`);
    const pages = await Array.fromAsync(
      Deno.readDir(join(target, ".flickr_site", "p")),
    );
    const sidecars = (await snapshot(target)).size;
    assert(pages.length > 0 && sidecars > 0, "photo pages were written");
  });
});
