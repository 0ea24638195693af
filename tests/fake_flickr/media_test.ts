import { createHash } from "node:crypto";
import { assert, assertBytes, assertEquals } from "./_assert.ts";
import { encodeJpeg } from "../helpers/jpeg.ts";
import {
  encodeGif,
  encodePng,
  type GeneratedFormat,
  generatedSource,
} from "./media.ts";
import { awkwardAccount, cameraExif, demoAccount, rng } from "./scenario.ts";
import { startFakeFlickr } from "./server.ts";

const hasExiftool = await (async () => {
  try {
    const out = await new Deno.Command("exiftool", {
      args: ["-ver"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
})();

type ExifJson = Record<string, unknown>;

/**
 * Runs `exiftool -validate -warning` (plus all tags, numeric values) on byte
 * arrays; `Validate` is "0 0 0" (errors, warnings, minor warnings) when OK.
 */
async function exiftool(
  files: Record<string, Uint8Array>,
): Promise<Record<string, ExifJson>> {
  const dir = await Deno.makeTempDir({ prefix: "fake_flickr_media_" });
  try {
    const paths: string[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      const path = `${dir}/${name}`;
      await Deno.writeFile(path, bytes);
      paths.push(path);
    }
    const out = await new Deno.Command("exiftool", {
      args: ["-j", "-n", "-a", "-All", "-validate", "-warning", ...paths],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const list = JSON.parse(new TextDecoder().decode(out.stdout)) as ExifJson[];
    return Object.fromEntries(
      list.map((x) => [String(x.SourceFile).split("/").pop() ?? "", x]),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function readAllSource(format: GeneratedFormat, size: number): Uint8Array {
  const src = generatedSource({ size, seed: 11, format });
  const out = new Uint8Array(src.size);
  let at = 0;
  for (const c of src.read(0, src.size)) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

Deno.test({
  name: "encodeJpeg() output validates in ExifTool and carries camera EXIF",
  ignore: !hasExiftool,
  fn: async () => {
    const exif = cameraExif(rng(3), "2023-07-14 10:11:12", {
      latitude: 48.8584,
      longitude: -2.2945,
      accuracy: 16,
    });
    const files = {
      "exif.jpg": encodeJpeg({ width: 640, height: 480, seed: 1, exif }),
      "plain.jpg": encodeJpeg({ width: 33, height: 17, seed: 2 }),
      "progressive.jpg": encodeJpeg({
        width: 320,
        height: 240,
        seed: 3,
        exif,
        progressive: true,
      }),
      "trailer.jpg": encodeJpeg({
        width: 64,
        height: 64,
        seed: 4,
        trailer: new Uint8Array(100).fill(7),
      }),
      "padded.jpg": encodeJpeg({
        width: 100,
        height: 80,
        seed: 5,
        padTo: 2_000_000,
      }),
      "generated.jpg": readAllSource("jpg", 3_000_001),
    };
    const info = await exiftool(files);
    for (const name of Object.keys(files)) {
      const x = info[name];
      assert(x, name);
      assertEquals(
        x.Validate,
        "0 0 0",
        `${name}: ${x.Validate} ${x.Warning ?? ""}`,
      );
      assertEquals(x.FileType, "JPEG", name);
    }
    const e = info["exif.jpg"] ?? {};
    assertEquals([e.Make, e.Model, e.DateTimeOriginal], [
      exif.make,
      exif.model,
      "2023:07:14 10:11:12",
    ]);
    assertEquals([e.ImageWidth, e.ImageHeight], [640, 480]);
    assertEquals(e.ISO, exif.iso);
    assert(Math.abs(Number(e.GPSLatitude) - 48.8584) < 1e-3);
    assertEquals(info["progressive.jpg"]?.EncodingProcess, 2);
    assertEquals(files["padded.jpg"].length, 2_000_000);
    assertEquals(files["generated.jpg"].length, 3_000_001);
  },
});

Deno.test({
  name: "PNG, GIF, MP4 and MOV bytes validate in ExifTool",
  ignore: !hasExiftool,
  fn: async () => {
    const files = {
      "a.png": encodePng({ width: 31, height: 7, seed: 1, comment: "x" }),
      "a.gif": encodeGif({ width: 31, height: 7, seed: 1, comment: "x" }),
      "a.mp4": readAllSource("mp4", 50_000),
      "a.mov": readAllSource("mov", 50_000),
    };
    const info = await exiftool(files);
    assertEquals(info["a.png"]?.FileType, "PNG");
    assertEquals(info["a.gif"]?.FileType, "GIF");
    assertEquals(info["a.mp4"]?.FileType, "MP4");
    assertEquals(info["a.mov"]?.FileType, "MOV");
    for (const [name, x] of Object.entries(info)) {
      assertEquals(x.Validate, "0 0 0", `${name}: ${x.Warning ?? ""}`);
    }
    assertEquals([info["a.png"]?.ImageWidth, info["a.gif"]?.ImageHeight], [
      31,
      7,
    ]);
  },
});

Deno.test({
  name: "every original of the demo and awkward accounts validates and differs",
  ignore: !hasExiftool,
  fn: async () => {
    for (const account of [demoAccount(), awkwardAccount()]) {
      await using flickr = await startFakeFlickr({ account });
      const files: Record<string, Uint8Array> = {};
      for (const p of account.photos.values()) {
        files[`${p.id}.${p.originalFormat}`] = await flickr.fileBytes(p.id);
      }
      const hashes = new Set<string>();
      for (const bytes of Object.values(files)) {
        hashes.add(createHash("sha1").update(bytes).digest("hex"));
      }
      assertEquals(hashes.size, account.photos.size);
      const info = await exiftool(files);
      for (const p of account.photos.values()) {
        const x = info[`${p.id}.${p.originalFormat}`] ?? {};
        assertEquals(x.Validate, "0 0 0", `${p.title}: ${x.Warning ?? ""}`);
        if (p.media === "photo" && p.content.kind === "jpeg") {
          assertEquals(
            [x.ImageWidth, x.ImageHeight],
            [p.width, p.height],
            p.title,
          );
          if (p.content.exif) assertEquals(x.Make, p.content.exif.make);
        }
      }
    }
  },
});

Deno.test("generatedSource() gives any range without generating the prefix", () => {
  for (const format of ["jpg", "mp4", "mov", "bin"] as const) {
    const size = 300_000 + 3;
    const all = readAllSource(format, size);
    assertEquals(all.length, size);
    const src = generatedSource({ size, seed: 11, format });
    const ranges: [number, number][] = [
      [0, 10],
      [65530, 65600],
      [131_070, 200_000],
      [size - 7, size],
    ];
    for (const [a, b] of ranges) {
      const parts = [...src.read(a, b)];
      const got = new Uint8Array(b - a);
      let at = 0;
      for (const p of parts) {
        got.set(p, at);
        at += p.length;
      }
      assertBytes(got, all.slice(a, b), `${format} ${a}-${b}`);
    }
  }
  const jpg = readAllSource("jpg", 500_000);
  assertEquals([jpg[0], jpg[1], jpg.at(-2), jpg.at(-1)], [
    0xff,
    0xd8,
    0xff,
    0xd9,
  ]);
  const mp4 = readAllSource("mp4", 100_000);
  assertEquals(new TextDecoder().decode(mp4.slice(4, 8)), "ftyp");
});
