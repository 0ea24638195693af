/**
 * Micro-benchmark (issue 16): CPU of `embedJpegBytes`, the in-memory core of
 * writing metadata into a small JPEG during a backup, per photo.
 *
 * Inputs are the fake Flickr's 20 KB JPEGs (`generatedSource`, as served to a
 * backup): without EXIF (JFIF, what `bigAccount` serves) and with camera
 * EXIF (make, model, date, exposure, GPS, ...), with the fields a backup
 * writes (title, description, tags, date taken, GPS, creator, rights, URL),
 * varied per photo. Prints CPU ms (user + system) per photo for each set and a SHA-256 over all
 * outputs, so two checkouts can be compared for identical bytes.
 *
 * Usage:
 *   deno run -A bench/embed_bench.ts [--repo DIR] [--n 5000] [--rounds 5]
 *                                  [--only plain|camera]
 *
 * `--only plain|camera` runs one set. `--repo DIR` measures the `embedJpegBytes` of another checkout (e.g.
 * /work/main) with the same inputs, for an A/B.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { resolve } from "node:path";
import process from "node:process";
import { generatedSource } from "../tests/fake_flickr/media.ts";
import type { CameraExif } from "../tests/helpers/jpeg.ts";
import type { PhotoMetadata } from "../src/metadata/fields.ts";
import type { embedJpegBytes as EmbedFn } from "../src/metadata/embed_small.ts";

const args = Deno.args;
const value = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const repo = resolve(
  value("--repo") ?? new URL("..", import.meta.url).pathname,
);
const n = Number(value("--n") ?? 5000);
const rounds = Number(value("--rounds") ?? 5);
/** "plain" or "camera": only that set of inputs. */
const only = value("--only");

const { embedJpegBytes } = await import(
  `file://${repo}/src/metadata/embed_small.ts`
) as { embedJpegBytes: typeof EmbedFn };

function jpeg(seed: number, exif?: CameraExif): Uint8Array {
  const source = generatedSource({
    size: 20_000,
    seed,
    format: "jpg",
    ...(exif ? { exif } : {}),
  });
  const out = new Uint8Array(source.size);
  let at = 0;
  for (const chunk of source.read(0, source.size)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function meta(i: number): PhotoMetadata {
  return {
    title: i % 5 === 0 ? `Sunset over Kyoto — 夕焼け ${i}` : `IMG_${i}`,
    ...(i % 3 === 0 ? { description: `Photo number ${i}. `.repeat(4) } : {}),
    tags: i % 4 === 0 ? ["big", `t${i % 10}`, "京都", "night & day"] : [],
    dateTaken: `2019-07-${String(1 + i % 28).padStart(2, "0")} 18:22:01`,
    dateTakenGranularity: 0,
    dateTakenUnknown: false,
    ...(i % 2 === 0
      ? { latitude: 35.011636 + i / 1e4, longitude: 135.76 }
      : {}),
    creator: "Big Account",
    ...(i % 7 === 0 ? {} : { rights: "© Big Account, CC BY-SA 2.0" }),
    flickrUrl: `https://www.flickr.com/photos/55667788@N02/${1e9 + i}/`,
  };
}

const camera = (i: number): CameraExif => ({
  make: "Canon",
  model: "Canon EOS 5D Mark IV",
  dateTimeOriginal: `2019:07:${String(1 + i % 28).padStart(2, "0")} 18:22:01`,
  exposureTime: [1, 250],
  fNumber: [28, 10],
  iso: 400,
  focalLength: [50, 1],
  lensModel: "EF50mm f/1.8 STM",
  software: "Firmware 1.2.3",
  ...(i % 2 === 0 ? { gps: { latitude: 35.01, longitude: 135.76 } } : {}),
});

const VARIANTS = 64;
const sets = [
  {
    key: "plain",
    name: "fake Flickr 20 KB, no EXIF",
    inputs: Array.from({ length: VARIANTS }, (_, i) => jpeg(21 + i)),
  },
  {
    key: "camera",
    name: "fake Flickr 20 KB, camera EXIF",
    inputs: Array.from({ length: VARIANTS }, (_, i) => jpeg(21 + i, camera(i))),
  },
].filter((set) => only === undefined || set.key === only);
const metas = Array.from({ length: VARIANTS }, (_, i) => meta(i));

console.log(`embedJpegBytes of ${repo}, ${n} photos x ${rounds} rounds`);
for (const set of sets) {
  const hash = createHash("sha256");
  for (let i = 0; i < VARIANTS; i++) {
    const done = embedJpegBytes(set.inputs[i]!, metas[i]!);
    if (!done?.next) throw new Error(`${set.name}: photo ${i} not written`);
    hash.update(done.next);
  }
  // Warm-up, then the best and median of `rounds`.
  for (let i = 0; i < n; i++) {
    embedJpegBytes(set.inputs[i % VARIANTS]!, metas[i % VARIANTS]!);
  }
  // CPU time (user + system) of the process: wall time is noisy when
  // other work shares the cores.
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      embedJpegBytes(set.inputs[i % VARIANTS]!, metas[i % VARIANTS]!);
    }
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000 / n);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${set.name}: CPU best ${times[0]!.toFixed(4)} ms, median ${
      times[times.length >> 1]!.toFixed(4)
    } ms per photo; outputs sha256 ${hash.digest("hex").slice(0, 16)}`,
  );
}
