import jpeg from "jpeg-js";
import { assert, assertEquals } from "../../tests/assert.ts";
import { decodeDc } from "./jpeg_dc.ts";

const FIXTURES = new URL("../../tests/site_fixtures/", import.meta.url);

/** Averages of a full decode over 8×8 blocks: what the DC values hold. */
function blockMeans(bytes: Uint8Array, rgb: boolean) {
  const full = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    ...(rgb ? { colorTransform: false } : {}),
  });
  const w = Math.ceil(full.width / 8);
  const h = Math.ceil(full.height / 8);
  const out = new Float64Array(w * h * 3);
  for (let by = 0; by < h; by++) {
    for (let bx = 0; bx < w; bx++) {
      const sums = [0, 0, 0];
      let n = 0;
      for (let y = by * 8; y < Math.min(full.height, by * 8 + 8); y++) {
        for (let x = bx * 8; x < Math.min(full.width, bx * 8 + 8); x++) {
          for (let c = 0; c < 3; c++) {
            sums[c]! += full.data[(y * full.width + x) * 4 + c]!;
          }
          n++;
        }
      }
      for (let c = 0; c < 3; c++) out[(by * w + bx) * 3 + c] = sums[c]! / n;
    }
  }
  return { width: w, height: h, means: out };
}

for (
  const name of [
    "baseline_420_restart.jpg",
    "baseline_422.jpg",
    "baseline_rgb.jpg",
    "progressive_420.jpg",
    "progressive_grey.jpg",
  ]
) {
  Deno.test(`decodeDc() reads ${name} at 1/8 scale as a full decode averages it`, async () => {
    const bytes = await Deno.readFile(new URL(name, FIXTURES));
    const picture = decodeDc(bytes);
    assert(picture, "not decoded");
    const ref = blockMeans(bytes, name.includes("rgb"));
    assertEquals([picture.width, picture.height], [ref.width, ref.height]);
    let sum = 0;
    let worst = 0;
    for (let i = 0; i < ref.width * ref.height; i++) {
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(picture.data[i * 4 + c]! - ref.means[i * 3 + c]!);
        sum += d;
        // Edge blocks of subsampled colour differ by the upsampling only.
        worst = Math.max(worst, d);
      }
      assertEquals(picture.data[i * 4 + 3], 255);
    }
    // jpeg-js upsamples subsampled colour its own way (libjpeg's djpeg
    // -scale 1/8 gave a mean difference of 3.8 on the 4:2:0 files, 0.4 on
    // the others); a wrong table, order or predictor gives tens.
    const mean = sum / (ref.width * ref.height * 3);
    assert(mean < 8, `mean difference ${mean.toFixed(2)}`);
    assert(worst < 128, `largest difference ${worst}`);
  });
}

Deno.test("decodeDc() declines what it does not read, instead of guessing", async () => {
  const arithmetic = await Deno.readFile(
    new URL("arithmetic.jpg", FIXTURES),
  );
  assertEquals(decodeDc(arithmetic), undefined);
  const good = await Deno.readFile(new URL("progressive_420.jpg", FIXTURES));
  const scan = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda);
  assertEquals(decodeDc(good.slice(0, scan)), undefined); // no scan: nothing
  assertEquals(decodeDc(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), undefined);
  // Cut in the scan: what is there is read, the rest comes out grey-ish,
  // and nothing throws.
  const cut = decodeDc(good.slice(0, good.length - 2000));
  assert(cut === undefined || cut.width === 32);
});
