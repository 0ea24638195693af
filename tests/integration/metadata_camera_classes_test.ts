/**
 * Issue 15: one test per class of real camera file that once lost or hid
 * the camera's metadata, each on a faithful fixture (see
 * `tests/metadata_corpus/camera_fixtures.ts`), read back with ExifTool:
 * nothing the camera wrote is lost or changed, no new `-validate` warning,
 * and our fields are there.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { withTempDir } from "../helpers/backup_fixture.ts";
import {
  compareFiles,
  CORPUS_META,
  type FileComparison,
} from "../metadata_corpus/compare.ts";
import {
  cameraXmpPacket,
  countZeroGpsJpeg,
  exifIptcJpeg,
  jpegWith,
  kodakInteropLoopJpeg,
  nikonPaddedJpeg,
  olympusSecondExifJpeg,
  sonyCorruptEntryJpeg,
  sonyCorruptFirstJpeg,
  tailPreviewJpeg,
  type TailPreviewMake,
  tailTarget,
  utf16XmpSegment,
  windowsPaddedJpeg,
} from "../metadata_corpus/camera_fixtures.ts";
import { embedMetadata } from "../../src/metadata/embed.ts";
import { embedSmallJpeg } from "../../src/metadata/embed_small.ts";

const hasExiftool = await (async () => {
  try {
    return (await new Deno.Command("exiftool", {
      args: ["-ver"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    // ExifTool is a test-only dependency; without it these tests are skipped.
    return false;
  }
})();

async function exiftool(args: string[]): Promise<string> {
  const out = await new Deno.Command("exiftool", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** Writes `bytes` as `name` in `dir` and compares before/after with ExifTool. */
async function check(
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<FileComparison> {
  const source = join(dir, "src");
  await Deno.mkdir(source, { recursive: true });
  const work = join(dir, "work");
  await Deno.mkdir(work, { recursive: true });
  await Deno.writeFile(join(source, name), bytes);
  const [result] = await compareFiles([join(source, name)], work);
  return result!;
}

function assertClean(c: FileComparison): void {
  assertEquals(c.status, "written", c.embedWarnings.join("; "));
  assertEquals(c.lost, [], "tags lost");
  assertEquals(c.changed, [], "camera values changed");
  assertEquals(c.newWarnings, [], "new ExifTool warnings");
  assertEquals(c.missing, [], "our fields not read back");
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !hasExiftool, fn });

test("a corrupt IFD0 entry (Sony DSC-HX5V) stays out of first place", async () => {
  await withTempDir(async (dir) => {
    const c = await check(dir, "sony.jpg", sonyCorruptEntryJpeg());
    assertClean(c);
    const make = await exiftool(["-s3", "-Make", join(dir, "work/sony.jpg")]);
    assertEquals(make.trim(), "SONY");
  });
});

test("a 64 KiB Exif segment ending in zero padding (Nikon) gets our fields", async () => {
  await withTempDir(async (dir) => {
    const c = await check(dir, "nikon.jpg", nikonPaddedJpeg());
    assertClean(c);
    assert(!c.embedWarnings.some((w) => /EXIF/.test(w)), c.embedWarnings[0]);
  });
});

test("a second ExifIFD from IFD1 (Olympus µ800) gets the same date", async () => {
  await withTempDir(async (dir) => {
    const c = await check(dir, "olympus.jpg", olympusSecondExifJpeg());
    assertClean(c);
    const dates = await exiftool([
      "-a",
      "-s3",
      "-ExifIFD:DateTimeOriginal",
      join(dir, "work/olympus.jpg"),
    ]);
    assertEquals(dates.trim().split("\n"), [
      "2019:07:14 18:22:01",
      "2019:07:14 18:22:01",
    ]);
  });
});

test("a GPSInfo pointer with count 0 is no GPS IFD", async () => {
  await withTempDir(async (dir) => {
    const c = await check(dir, "gps.jpg", countZeroGpsJpeg());
    assertClean(c);
  });
});

for (
  const make of [
    "minolta",
    "olympus",
    "pentax",
    "samsung",
    "canon",
  ] as TailPreviewMake[]
) {
  test(`maker-note offsets past EOI move with the tail (${make})`, async () => {
    await withTempDir(async (dir) => {
      const { file, preview } = tailPreviewJpeg(make);
      const path = join(dir, `${make}.jpg`);
      await Deno.writeFile(path, file);
      const result = await embedMetadata(path, CORPUS_META, {
        xmpSidecar: "never",
      });
      assertEquals(result.status, "written", result.warnings.join("; "));
      const written = await Deno.readFile(path);
      assert(written.length > file.length + 1000, "the header grew");
      const at = written.length - preview.length;
      assertEquals(written.subarray(at), preview);
      assertEquals(tailTarget(written, make), at);
      const warnings = await exiftool(["-validate", "-warning", "-a", path]);
      assert(!/decision data/i.test(warnings), warnings);
      if (make !== "canon") {
        const out = await new Deno.Command("exiftool", {
          args: ["-b", "-PreviewImage", path],
          stdout: "piped",
        }).output();
        assertEquals(out.stdout, preview);
      }
      const again = await embedMetadata(path, CORPUS_META, {
        xmpSidecar: "never",
      });
      assertEquals(again.status, "unchanged");
    });
  });
}

test("UTF-16 XMP with an unprefixed about= becomes UTF-8 and tells our date", async () => {
  await withTempDir(async (dir) => {
    const c = await check(
      dir,
      "utf16.jpg",
      jpegWith([utf16XmpSegment(cameraXmpPacket())]),
    );
    assertClean(c);
    const out = await exiftool([
      "-a",
      "-s3",
      "-XMP-exif:DateTimeOriginal",
      "-XMP-tiff:Make",
      join(dir, "work/utf16.jpg"),
    ]);
    assertEquals(out.trim().split("\n"), ["2019:07:14 18:22:01", "FUJIFILM"]);
    const bytes = await Deno.readFile(join(dir, "work/utf16.jpg"));
    const text = new TextDecoder().decode(bytes);
    assert(text.includes('rdf:about="uuid:faf5bdd5'), "about= kept");
  });
});

for (const where of ["IFD0", "ExifIFD"] as const) {
  test(`an InteropIFD pointer aimed at IFD0 (Kodak ProBack, in ${where}) follows it`, async () => {
    await withTempDir(async (dir) => {
      const c = await check(dir, "kodak.jpg", kodakInteropLoopJpeg(where));
      assertClean(c);
      assertEquals(c.warningsBefore, [
        "InteropIFD pointer references previous IFD0 directory",
      ]);
    });
  });
}

test("a second IPTC copy in EXIF (IFD0 IPTC-NAA) tells the same as IPTC", async () => {
  await withTempDir(async (dir) => {
    const c = await check(dir, "iptc.jpg", exifIptcJpeg());
    assertClean(c);
    const out = await exiftool([
      "-a",
      "-G1",
      "-s3",
      "-IPTC:ObjectName",
      "-IPTC:Country-PrimaryLocationName",
      join(dir, "work/iptc.jpg"),
    ]);
    assertEquals(
      out.trim().split("\n").sort(),
      [
        `IPTC ${CORPUS_META.title}`,
        "IPTC Japan",
        `IPTC2 ${CORPUS_META.title}`,
        "IPTC2 Japan",
      ].sort(),
    );
  });
});

test("the in-memory embed gives the same bytes on every class fixture", async () => {
  await withTempDir(async (dir) => {
    const files: Array<[string, Uint8Array]> = [
      ["sony", sonyCorruptEntryJpeg()],
      ["nikon", nikonPaddedJpeg()],
      ["olympus", olympusSecondExifJpeg()],
      ["gps", countZeroGpsJpeg()],
      ["kodak", kodakInteropLoopJpeg("ExifIFD")],
      ["iptc", exifIptcJpeg()],
      ["windows", windowsPaddedJpeg()],
      ["utf16", jpegWith([utf16XmpSegment(cameraXmpPacket())])],
      ...(["minolta", "olympus", "pentax", "samsung"] as const).map((
        m,
      ): [string, Uint8Array] => [`tail-${m}`, tailPreviewJpeg(m).file]),
    ];
    for (const [name, bytes] of files) {
      const fast = join(dir, `fast-${name}.jpg`);
      const general = join(dir, `general-${name}.jpg`);
      await Deno.writeFile(fast, bytes);
      await Deno.writeFile(general, bytes);
      const a = await embedSmallJpeg(fast, CORPUS_META);
      assert(a !== undefined, `${name}: the in-memory path declined`);
      await embedMetadata(general, CORPUS_META, { xmpSidecar: "never" });
      assertEquals(
        await Deno.readFile(fast),
        await Deno.readFile(general),
        name,
      );
    }
  });
});

test("a full segment's Microsoft Padding block at its end makes room for our fields", async () => {
  await withTempDir(async (dir) => {
    const c = await check(dir, "windows.jpg", windowsPaddedJpeg());
    assertClean(c);
    const out = await exiftool([
      "-a",
      "-G1",
      "-s",
      "-Padding",
      join(dir, "work/windows.jpg"),
    ]);
    // IFD0's block lies mid-segment and stays; the ExifIFD's was reused.
    assert(/\[IFD0\]\s+Padding/.test(out), out);
    assert(!/\[ExifIFD\]\s+Padding/.test(out), out);
  });
});

test("a corrupt first IFD0 entry (as an earlier version left it) is moved back", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "sony-first.jpg");
    await Deno.writeFile(path, sonyCorruptFirstJpeg());
    assertEquals((await exiftool(["-s3", "-Make", path])).trim(), "");
    const result = await embedMetadata(path, CORPUS_META, {
      xmpSidecar: "never",
    });
    assertEquals(result.status, "written", result.warnings.join("; "));
    assertEquals((await exiftool(["-s3", "-Make", path])).trim(), "SONY");
    const date = await exiftool(["-s3", "-ExifIFD:DateTimeOriginal", path]);
    assertEquals(date.trim(), "2019:07:14 18:22:01");
  });
});
