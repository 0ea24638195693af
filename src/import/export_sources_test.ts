import { join } from "node:path";
import { createHash } from "node:crypto";
import { assert, assertEquals } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/helpers/backup_fixture.ts";
import { writeZip } from "../../tests/export_fixture.ts";
import { exists } from "../platform/fs.ts";
import {
  copyEntryTo,
  type ExportEntry,
  ExportSources,
  readEntryText,
} from "./export_sources.ts";

const text = JSON.stringify({
  photos: Array.from({ length: 200 }, (_, i) => ({ id: i, title: `Été ${i}` })),
});

/** Where `name`'s data starts in a zip written by {@link writeZip}. */
function dataStart(zip: Uint8Array, name: string): number {
  const view = new DataView(zip.buffer);
  for (let at = 0; at < zip.length - 30; at++) {
    if (view.getUint32(at, true) !== 0x04034b50) continue;
    const nameLength = view.getUint16(at + 26, true);
    const found = new TextDecoder().decode(
      zip.subarray(at + 30, at + 30 + nameLength),
    );
    if (found === name) {
      return at + 30 + nameLength + view.getUint16(at + 28, true);
    }
  }
  throw new Error(`${name} not in the zip`);
}

async function readAll(path: string): Promise<Map<string, string | Error>> {
  const out = new Map<string, string | Error>();
  await using sources = await ExportSources.open([path]);
  const entries: ExportEntry[] = [...sources.entries()];
  for await (const read of sources.read(entries)) {
    try {
      out.set(read.entry.name, await readEntryText(read.data!));
    } catch (error) {
      out.set(read.entry.name, error as Error);
    }
  }
  return out;
}

for (const level of [0, 6]) {
  Deno.test(`zip entries (level ${level}) are read whole and CRC-checked`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "a.zip");
      const bytes = new TextEncoder().encode(text);
      await writeZip(path, [["a.json", bytes], ["b.json", bytes]], { level });
      assertEquals(
        [...(await readAll(path))].map((
          [name, value],
        ) => [name, value === text]),
        [["a.json", true], ["b.json", true]],
      );

      // One flipped byte inside a.json's data: a.json is damaged, b.json not.
      const zip = await Deno.readFile(path);
      const at = dataStart(zip, "a.json") + 40;
      zip[at] = zip[at]! ^ 0x55;
      await Deno.writeFile(path, zip);
      const read = await readAll(path);
      assertEquals(read.get("b.json"), text);
      const damaged = read.get("a.json");
      assert(damaged instanceof Error, "a damaged entry must be an error");
    });
  });
}

for (const level of [0, 6]) {
  Deno.test(`a big entry (level ${level}) is copied byte for byte with its SHA-256; a damaged one leaves no file`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "media.zip");
      // Over the copy buffer (1 MB): several chunks, the last one short.
      const big = new Uint8Array(2 * 1024 * 1024 + 12_345);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
      await writeZip(path, [["video.mp4", big]], { level });
      const copy = async (dest: string) => {
        await using sources = await ExportSources.open([path]);
        for await (const read of sources.read([...sources.entries()])) {
          return await copyEntryTo(read.data!, dest);
        }
      };
      const dest = join(dir, "copy.mp4");
      const copied = await copy(dest);
      assertEquals(copied?.bytes, big.length);
      assertEquals(
        copied?.sha256,
        createHash("sha256").update(big).digest("hex"),
      );
      assertEquals(await Deno.readFile(dest), big);

      // One flipped byte in the last chunk: the copy fails, nothing stays.
      const zip = await Deno.readFile(path);
      const at = dataStart(zip, "video.mp4") + (level ? 200 : big.length - 5);
      zip[at] = zip[at]! ^ 0x55;
      await Deno.writeFile(path, zip);
      const again = join(dir, "again.mp4");
      const failure = await copy(again).then(() => undefined, (e) => e);
      assert(failure instanceof Error, "a damaged entry must fail");
      assertEquals(await exists(again), false);
    });
  });
}
