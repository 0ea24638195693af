/**
 * Faithful to the real Flickr (issue 13): keywords are the owner's raw tag
 * spellings without machine or automatic tags (read back with ExifTool),
 * the sidecar keeps machine tags apart and names every licence as
 * flickr.photos.licenses.getInfo gives it, missing visibility is "unknown",
 * version-1 sidecars are upgraded in place without downloading, and the
 * two new calls cost nothing on a run where nothing changed.
 */

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../assert.ts";
import {
  addPhoto,
  demoAccount,
  type FakeFlickr,
  LICENSES,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10"];

async function backup(flickr: FakeFlickr, dir: string, args: string[] = []) {
  return await runCliProcess(["backup", "--dir", dir, ...FAST, ...args], {
    env: fakeEnv(flickr),
  });
}

async function findFile(dir: string, id: string, ext: string) {
  for await (const entry of Deno.readDir(join(dir, "Unsorted"))) {
    if (entry.name === `${id}.${ext}`) return join(dir, "Unsorted", entry.name);
  }
  throw new Error(`no Unsorted/${id}.${ext}`);
}

async function exiftool(path: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("exiftool", {
    args: ["-j", "-a", "-G1", "-struct", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout))[0];
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

const hasExiftool = await new Deno.Command("exiftool", { args: ["-ver"] })
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name:
    "keywords are the owner's raw tags, machine and vision tags only in the sidecar; a licence-14 photo carries the name licenses.getInfo gives",
  ignore: !hasExiftool,
  async fn() {
    const account = demoAccount();
    const photo = addPhoto(account, {
      title: "Neon",
      tags: ["Hasselblad 500 C/M", "New York"],
      machineTags: ["sign:type=neon"],
      autoTags: ["vision:outdoor=064"],
      license: "14",
    });
    const licenses = LICENSES.map((l) =>
      l.id === "14" ? { ...l, name: "CC BY-NC 4.0 (as Flickr names it)" } : l
    );
    await using flickr = await startFakeFlickr({ account, licenses });
    await withTempDir(async (dir) => {
      await signIn(flickr, dir);
      const run = await backup(flickr, dir);
      assertEquals(run.code, 0, run.stdout + run.stderr);
      const counts = flickr.callCounts();
      assertEquals(counts["flickr.tags.getListUserRaw"], 1);
      assertEquals(counts["flickr.photos.licenses.getInfo"], 1);

      const file = await findFile(dir, photo.id, "jpg");
      const tags = await exiftool(file);
      const keywords = [
        ...list(tags["IPTC:Keywords"]),
        ...list(tags["XMP-dc:Subject"]),
      ];
      assert(keywords.length > 0, JSON.stringify(tags));
      for (const keyword of keywords) {
        assert(
          !keyword.includes(":"),
          `machine tag among keywords: ${keyword}`,
        );
      }
      assertEquals(list(tags["IPTC:Keywords"]), [
        "Hasselblad 500 C/M",
        "New York",
      ]);
      const rights = String(tags["XMP-dc:Rights"] ?? "");
      assert(rights.includes("CC BY-NC 4.0 (as Flickr names it)"), rights);

      const sidecar = JSON.parse(await Deno.readTextFile(`${file}.json`));
      assertEquals(sidecar.schema_version, 2);
      assertEquals(sidecar.tags, ["Hasselblad 500 C/M", "New York"]);
      assertEquals(sidecar.machine_tags, [
        "sign:type=neon",
        "vision:outdoor=064",
      ]);
      assertEquals(sidecar.license, {
        id: "14",
        name: "CC BY-NC 4.0 (as Flickr names it)",
        url: "https://creativecommons.org/licenses/by-nc/4.0/",
      });

      // Nothing changed: neither new call is made again.
      flickr.clearRequests();
      const rerun = await backup(flickr, dir, ["-q"]);
      assertEquals(rerun.code, 0, rerun.stdout + rerun.stderr);
      assert(flickr.apiCallCount() <= 5, `${flickr.apiCallCount()} calls`);
      assertEquals(
        flickr.callCounts()["flickr.tags.getListUserRaw"],
        undefined,
      );
      assertEquals(
        flickr.callCounts()["flickr.photos.licenses.getInfo"],
        undefined,
      );
    });
  },
});

Deno.test("sidecars of schema 1 are upgraded in place on the next run, without downloading", async () => {
  await using flickr = await startFakeFlickr({
    account: demoAccount(),
    quirks: { omitVisibility: true },
  });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    // Make the backup look like one written by a schema-1 build.
    const sidecars: string[] = [];
    for await (const folder of Deno.readDir(dir)) {
      if (!folder.isDirectory || folder.name.startsWith(".")) continue;
      for await (const entry of Deno.readDir(join(dir, folder.name))) {
        if (entry.name.endsWith(".json")) {
          sidecars.push(join(dir, folder.name, entry.name));
        }
      }
    }
    assert(sidecars.length > 0);
    for (const path of sidecars) {
      const old = JSON.parse(await Deno.readTextFile(path));
      old.schema_version = 1;
      old.privacy = { public: false, friends: false, family: false };
      await Deno.writeTextFile(path, JSON.stringify(old, null, 2) + "\n");
    }
    const db = new DatabaseSync(join(dir, ".flickr_backup.sqlite"));
    db.exec("DELETE FROM meta WHERE key = 'sidecar_schema'");
    db.close();

    const files = flickr.fileRequests().length;
    const upgrade = await backup(flickr, dir);
    assertEquals(upgrade.code, 0, upgrade.stdout + upgrade.stderr);
    assertEquals(flickr.fileRequests().length, files, "nothing downloaded");
    let unknown = 0;
    for (const path of sidecars) {
      const sidecar = JSON.parse(await Deno.readTextFile(path));
      assertEquals(sidecar.schema_version, 2, path);
      // photosets.getPhotos left the flags out: unknown, not private.
      if (sidecar.albums.length > 0) {
        assertEquals(sidecar.privacy.public, "unknown", path);
        unknown++;
      }
    }
    assert(unknown > 0, "album photos have unknown visibility");
  });
});
