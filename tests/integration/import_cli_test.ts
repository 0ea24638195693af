/**
 * End-to-end: `flickr-backup import` (the real CLI, release permission set)
 * on a faithful export fixture (tests/export_fixture.ts), read back with
 * ExifTool, rerun, killed, damaged, and merged with an API backup made from
 * the fake Flickr.
 */

import { join } from "node:path";
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from "@zip.js/zip.js";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { startFakeFlickr } from "../fake_flickr/mod.ts";
import { runCliProcess, testFlags } from "../helpers/cli.ts";
import {
  comparableTree,
  fakeEnv,
  isBookkeeping,
  sha256,
  signIn,
  snapshot,
  withTempDir,
} from "../helpers/backup_fixture.ts";
import {
  FIXTURE_ALBUMS,
  FIXTURE_ITEMS,
  FIXTURE_ORPHAN,
  fixtureAccount,
  mediaBytes,
  writeExportFixture,
} from "../export_fixture.ts";

/** Extracts a zip into `target` (flat, as Flickr's zips are). */
async function unzipTo(zip: string, target: string): Promise<void> {
  const reader = new ZipReader(new Uint8ArrayReader(await Deno.readFile(zip)));
  for (const entry of await reader.getEntries()) {
    if (entry.directory) continue;
    const bytes = await entry.getData(new Uint8ArrayWriter());
    await Deno.writeFile(join(target, entry.filename), bytes);
  }
  await reader.close();
}

async function importCli(dir: string, inputs: string[], args: string[] = []) {
  return await runCliProcess(["import", "--dir", dir, ...args, ...inputs]);
}

async function exiftool(args: string[]): Promise<Record<string, unknown>[]> {
  const out = await new Deno.Command("exiftool", {
    args: ["-j", "-n", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const FOLDERS: Record<string, string> = {
  "72157654596017442": "Bay & Beach",
  "72157654596017443": "Walks",
  "72157654596017444": "Norway",
};

/** Media files the import must produce: relative path → item id. */
function expectedMedia(): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of FIXTURE_ITEMS) {
    if (!item.file || item.bytes === 0) continue;
    const folders = item.albums.length
      ? item.albums.map((id) => FOLDERS[id]!)
      : ["Unsorted"];
    for (const folder of folders) {
      out.set(`${folder}/${item.id}.${item.ext}`, item.id);
    }
  }
  out.set(`Unsorted/${FIXTURE_ORPHAN.id}.${FIXTURE_ORPHAN.ext}`, "orphan");
  return out;
}

const isMedia = (rel: string) =>
  !isBookkeeping(rel) && !rel.endsWith(".json") && !rel.endsWith(".xmp") &&
  !rel.startsWith(".trash");

Deno.test("import of the fixture export: layout, sidecars, metadata ExifTool reads back, what is missing; a rerun changes nothing", async () => {
  await withTempDir(async (root) => {
    const exportDir = join(root, "export");
    const dir = join(root, "backup");
    const fixture = await writeExportFixture(exportDir);
    const first = await importCli(dir, fixture.zips);
    // Exit 3: the export holds a zero-byte entry.
    assertEquals(first.code, 3, first.stderr + first.stdout);
    assertStringIncludes(
      first.stdout,
      "empty (zero-byte) files in the export: 1",
    );
    assertStringIncludes(first.stdout, "53444444444"); // metadata, no media
    assertStringIncludes(first.stdout, "never processed");
    assertStringIncludes(
      first.stdout,
      "files without metadata (kept in Unsorted/): 1",
    );
    assertStringIncludes(
      first.stdout,
      "images of 1024 px or less (may not be originals): 1",
    );
    assertStringIncludes(first.stdout, "16343358551");
    assertStringIncludes(first.stdout, "request your data again");
    assertEquals(first.stderr.includes("error"), false, first.stderr);

    const media = [
      ...(await snapshot(dir, { skip: (r) => !isMedia(r) })).keys(),
    ]
      .filter((rel) => !rel.endsWith("/"));
    assertEquals(media.sort(), [...expectedMedia().keys()].sort());

    // A photo in two albums: one file, hard-linked.
    const a = await Deno.stat(join(dir, "Bay & Beach/53001234567.jpg"));
    const b = await Deno.stat(join(dir, "Walks/53001234567.jpg"));
    assertEquals(a.ino, b.ino);
    assertEquals(a.nlink, 2);

    // Videos are copied byte for byte (metadata in an XMP sidecar).
    const video = FIXTURE_ITEMS.find((i) => i.id === "7943051628")!;
    assertEquals(
      sha256(await Deno.readFile(join(dir, "Norway/7943051628.mp4"))),
      sha256(mediaBytes(video)),
    );

    // Sidecars: source, export-only facts, privacy as exported.
    const sidecar = JSON.parse(
      await Deno.readTextFile(join(dir, "Walks/53001234567.jpg.json")),
    );
    assertEquals(sidecar.source, "export");
    assertEquals(sidecar.saved.source, "export");
    assertEquals(sidecar.saved.is_original, true);
    assertEquals(
      sidecar.saved.sha256_downloaded,
      sha256(mediaBytes(FIXTURE_ITEMS[1]!)),
    );
    assertEquals(sidecar.title, "Sunset over the bay");
    assertEquals(sidecar.description, 'Gold & red over the bay\n"wow"');
    assertEquals(sidecar.albums.map((x: { id: string }) => x.id), [
      FIXTURE_ALBUMS[0].id,
      FIXTURE_ALBUMS[1].id,
    ]);
    assertEquals(sidecar.export.count_faves, 2);
    assertEquals(sidecar.export.comments[0].comment, "Lovely & warm");
    assertEquals(sidecar.export.groups[0].name, "Sunsets");
    const privateOne = JSON.parse(
      await Deno.readTextFile(join(dir, "Unsorted/53222222222.jpg.json")),
    );
    assertEquals(privateOne.privacy, {
      public: false,
      friends: "unknown",
      family: "unknown",
      as_exported: "friend & family",
    });
    const orphan = JSON.parse(
      await Deno.readTextFile(join(dir, "Unsorted/53999999999.jpg.json")),
    );
    assertEquals(orphan.export.metadata_missing, true);

    // Metadata in the files, read back by ExifTool.
    const tags = await exiftool([
      join(dir, "Unsorted/53222222222.jpg"),
      join(dir, "Bay & Beach/53001234567.jpg"),
      join(dir, "Unsorted/2634391576.jpg"),
      join(dir, "Bay & Beach/52759384619.jpg"),
    ]);
    const [priv, sunset, lake, untitled] = tags as Record<string, unknown>[];
    assertEquals(priv!.Title, "Private one");
    assertEquals(Number(priv!.GPSLongitude), -74.044502);
    assertEquals(Number(priv!.GPSLatitude), 40.689247);
    assertEquals(sunset!.Title, "Sunset over the bay");
    assertEquals(sunset!.Description, 'Gold & red over the bay\n"wow"');
    assertEquals(sunset!.Subject, "sunset");
    assertEquals(sunset!.DateTimeOriginal, "2023:07:01 13:04:18");
    assertEquals(sunset!.Orientation, 6); // the camera's EXIF is kept
    assertEquals(sunset!.Copyright, "© Ada Example. All Rights Reserved");
    assertEquals(lake!.DateTimeOriginal, "2008:06:15 09:12:00");
    assertEquals(Number(lake!.GPSLongitude), -9.5233);
    // "13: 04: 18" in the JSON is still a date.
    assertEquals(untitled!.DateTimeOriginal, "2023:07:01 13:04:18");
    const mtime = (await Deno.stat(join(dir, "Unsorted/2634391576.jpg")))
      .mtime!;
    assertEquals(mtime.getFullYear(), 2008);

    // Rerun: nothing changes, not even inodes.
    const before = await snapshot(dir, { skip: isBookkeeping });
    const inode = (await Deno.stat(join(dir, "Walks/53001234567.jpg"))).ino;
    const again = await importCli(dir, fixture.zips);
    assertEquals(again.code, 3, again.stderr);
    assertStringIncludes(again.stdout, "0 copied from the export");
    const after = await snapshot(dir, {
      skip: (rel) => isBookkeeping(rel),
    });
    assertEquals([...after.keys()].sort(), [...before.keys()].sort());
    for (const [rel, file] of before) {
      if (rel.endsWith(".json")) continue; // backed_up_at aside, below
      assertEquals(after.get(rel), file, rel);
    }
    assertEquals(await comparableTree(dir), await comparableTree(dir));
    assertEquals(
      (await Deno.stat(join(dir, "Walks/53001234567.jpg"))).ino,
      inode,
    );
    const last = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(last.command, "import");
    assertEquals(last.totals.imported, 0);

    // `status` reads the state the import wrote.
    const status = await runCliProcess(["status", "--dir", dir, "--json"]);
    assertEquals(status.code, 0, status.stderr);
  });
});

Deno.test("a folder of unzipped files imports to the same tree as the zips", async () => {
  await withTempDir(async (root) => {
    const fixture = await writeExportFixture(join(root, "export"));
    const unzipped = join(root, "unzipped");
    for (const [index, zip] of fixture.zips.entries()) {
      const target = join(unzipped, `zip${index}`);
      await Deno.mkdir(target, { recursive: true });
      await unzipTo(zip, target);
    }
    const fromZips = join(root, "a");
    const fromFolder = join(root, "b");
    assertEquals((await importCli(fromZips, fixture.zips)).code, 3);
    const result = await importCli(fromFolder, [unzipped]);
    assertEquals(result.code, 3, result.stderr);
    assertEquals(
      await comparableTree(fromFolder),
      await comparableTree(fromZips),
    );
  });
});

Deno.test("a damaged media zip: the rest is imported, the damage reported, exit 3", async () => {
  await withTempDir(async (root) => {
    const fixture = await writeExportFixture(join(root, "export"));
    // Flip bytes inside the first stored JPEG of data-download-1.zip.
    const zip = fixture.mediaZips[0]!;
    const bytes = await Deno.readFile(zip);
    for (let i = 20_000; i < 20_016; i++) bytes[i] = bytes[i]! ^ 0xff;
    await Deno.writeFile(zip, bytes);
    // And a zip cut in half.
    const cut = join(root, "export", "data-download-3.zip");
    const whole = await Deno.readFile(fixture.mediaZips[1]!);
    await Deno.writeFile(cut, whole.subarray(0, whole.length >> 1));
    const dir = join(root, "backup");
    const result = await importCli(dir, [...fixture.zips, cut]);
    assertEquals(result.code, 3, result.stderr + result.stdout);
    assertStringIncludes(result.stdout, "DAMAGED");
    assertStringIncludes(result.stdout, "data-download-1.zip");
    assertStringIncludes(result.stdout, "data-download-3.zip");
    const media = await snapshot(dir, { skip: (r) => !isMedia(r) });
    // The damaged entry is not in the backup; everything else is.
    assertEquals(media.has("Bay & Beach/52759384619.jpg"), false);
    assert(media.has("Walks/16343358551.jpg"));
    assert(media.has("Unsorted/144332211.jpg"));
    const leftovers = [...(await snapshot(dir)).keys()].filter((rel) =>
      rel.endsWith(".fbtmp")
    );
    assertEquals(leftovers, []);
  });
});

Deno.test("kill -9 in mid-import, then a rerun, gives the same tree as an uninterrupted import", async () => {
  await withTempDir(async (root) => {
    const fixture = await writeExportFixture(join(root, "export"));
    const reference = join(root, "reference");
    const killed = join(root, "killed");
    assertEquals((await importCli(reference, fixture.zips)).code, 3);

    // The child stops where the 5th file's temp copy is complete and not
    // yet renamed (the test hook of src/cli/test_pause.ts), and is killed
    // there: no timing involved.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--cached-only",
        ...testFlags().map((flag) =>
          flag.startsWith("--allow-env=")
            ? `${flag},FLICKR_BACKUP_TEST_PAUSE`
            : flag
        ),
        new URL("../../main.ts", import.meta.url).pathname,
        "import",
        "--dir",
        killed,
        ...fixture.zips,
      ],
      env: { FLICKR_BACKUP_TEST_PAUSE: "5", NO_COLOR: "1" },
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    while (!/test pause: \w+ \d+\n/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assertStringIncludes(seen, "test pause: copied ");
    child.kill("SIGKILL");
    assertEquals((await child.status).signal, "SIGKILL");
    await reader.cancel();
    await child.stdin.close();
    const temps = () =>
      snapshot(killed).then((files) =>
        [...files.keys()].filter((rel) => /\.fbtmp|\.fbpart/.test(rel))
      );
    assertEquals((await temps()).length, 1, "killed with a temp copy");

    const rerun = await importCli(killed, fixture.zips);
    assertEquals(rerun.code, 3, rerun.stderr);
    assertEquals(await comparableTree(killed), await comparableTree(reference));
    assertEquals(await temps(), []);
  });
});

Deno.test("import into an API backup replaces exactly its 1024 px copies (old files to .trash/), and a later backup downloads nothing", async () => {
  // Saved by the API as "large", or as an "original" of 1024 px while the
  // export's file has 2048 (16343358551 is a real 1024 px original: kept).
  const capped = ["5189977344"];
  const reduced = ["53001234567", "144332211", ...capped];
  await using flickr = await startFakeFlickr({
    account: fixtureAccount(reduced.filter((id) => !capped.includes(id)), {
      capped,
    }),
  });
  await withTempDir(async (root) => {
    const dir = join(root, "backup");
    await Deno.mkdir(dir);
    await signIn(flickr, dir);
    const api = await runCliProcess(
      ["backup", "--dir", dir, "--retry-delay", "10"],
      { env: fakeEnv(flickr) },
    );
    assertEquals(api.code, 0, api.stderr + api.stdout);
    const apiFiles = await snapshot(dir, { skip: (r) => !isMedia(r) });
    const reducedSidecar = JSON.parse(
      await Deno.readTextFile(join(dir, "Walks/53001234567.jpg.json")),
    );
    assertEquals(reducedSidecar.saved.is_original, false);

    const fixture = await writeExportFixture(join(root, "export"));
    const result = await importCli(dir, fixture.zips);
    assertEquals(result.code, 3, result.stderr + result.stdout);
    const last = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(last.totals.replaced, reduced.length);
    assertEquals(last.totals.alreadyPresent, 8 - reduced.length);

    const now = await snapshot(dir, { skip: (r) => !isMedia(r) });
    for (const [rel, file] of apiFiles) {
      const id = rel.split("/").pop()!.split(".")[0]!;
      if (reduced.includes(id)) {
        assert(now.get(rel)?.sha256 !== file.sha256, `${rel} replaced`);
      } else {
        assertEquals(now.get(rel), file, `${rel} kept as the API saved it`);
      }
    }
    const trash = [
      ...(await snapshot(dir, {
        skip: (r) => !r.startsWith(".trash") && r !== ".trash",
      })).keys(),
    ].filter((rel) => !rel.endsWith(".json") && !rel.endsWith(".xmp"));
    assertEquals(
      trash.map((rel) => rel.split("/").slice(2).join("/")).sort(),
      [
        "Bay & Beach/53001234567.jpg",
        "Norway/5189977344.jpg",
        "Unsorted/144332211.jpg",
        "Walks/53001234567.jpg",
      ],
    );
    const replaced = JSON.parse(
      await Deno.readTextFile(join(dir, "Walks/53001234567.jpg.json")),
    );
    assertEquals(replaced.saved.source, "export");
    assertEquals(replaced.saved.is_original, true);
    const [uncapped] = await exiftool([
      "-ImageWidth",
      join(dir, "Norway/5189977344.jpg"),
    ]);
    assertEquals(uncapped?.ImageWidth, 2048, "the export's 2048 px original");
    const kept = JSON.parse(
      await Deno.readTextFile(join(dir, "Bay & Beach/52759384619.jpg.json")),
    );
    assertEquals(kept.saved.source, "api");
    assertEquals(kept.export.count_views, 53);

    // A photo changed on Flickr since: the refresh rewrites its sidecar
    // with the API's facts and keeps what only the export had.
    const changed = flickr.account.photos.get("52759384619")!;
    changed.title = "Retitled on Flickr";
    changed.lastUpdate += 3600;
    flickr.clearRequests();
    const later = await runCliProcess(
      ["backup", "--dir", dir, "--retry-delay", "10"],
      { env: fakeEnv(flickr) },
    );
    assert(later.code === 0, later.stderr + later.stdout);
    assertEquals(flickr.fileRequests().length, 0, "no file downloaded again");
    const refreshed = JSON.parse(
      await Deno.readTextFile(join(dir, "Bay & Beach/52759384619.jpg.json")),
    );
    assertEquals(refreshed.title, "Retitled on Flickr");
    assertEquals(refreshed.export, kept.export);
    assertEquals(refreshed.export.count_views, 53);
    assertEquals(refreshed.privacy.as_exported, kept.privacy.as_exported);
    assertEquals(refreshed.source, "api");
    const [inFile] = await exiftool([
      "-XMP-dc:Title",
      join(dir, "Bay & Beach/52759384619.jpg"),
    ]);
    assertEquals(inFile?.Title, "Retitled on Flickr");
    const final = await snapshot(dir, { skip: (r) => !isMedia(r) });
    for (
      const rel of [
        "Unsorted/144332211.jpg",
        "Walks/53001234567.jpg",
        "Norway/5189977344.jpg",
      ]
    ) assertEquals(final.get(rel)?.sha256, now.get(rel)?.sha256);
  });
});

Deno.test("login and backup without an API key point free accounts to import; import without an export is a usage error", async () => {
  await withTempDir(async (dir) => {
    const env = { FLICKR_ENDPOINT: "http://127.0.0.1:9" };
    const login = await runCliProcess(["login", "--dir", dir], { env });
    assertEquals(login.code, 4, login.stderr);
    assertStringIncludes(login.stderr, "flickr-backup import");
    const backup = await runCliProcess(["backup", "--dir", dir], { env });
    assertEquals(backup.code, 4, backup.stderr);
    assertStringIncludes(backup.stderr, "Request my Flickr data");
    const missing = await runCliProcess([
      "import",
      "--dir",
      dir,
      join(dir, "no-such.zip"),
    ]);
    assertEquals(missing.code, 2, missing.stderr);
    assertStringIncludes(missing.stderr, "no such zip or folder");
    const none = await runCliProcess(["import", "--dir", dir]);
    assertEquals(none.code, 2, none.stderr);
  });
});

Deno.test("the newer source decides titles and albums: an older export keeps the API's, a newer one renames the album folders", async () => {
  await using flickr = await startFakeFlickr({
    account: fixtureAccount([], { titlePrefix: "API " }),
  });
  await withTempDir(async (root) => {
    const cases = [
      { name: "older", date: new Date("2020-01-01T00:00:00Z") },
      { name: "newer", date: new Date(Date.now() + 86_400_000) },
    ];
    for (const { name, date } of cases) {
      const dir = join(root, name);
      await Deno.mkdir(dir);
      await signIn(flickr, dir);
      const api = await runCliProcess(
        ["backup", "--dir", dir, "--retry-delay", "10"],
        { env: fakeEnv(flickr) },
      );
      assertEquals(api.code, 0, api.stderr + api.stdout);
      const fixture = await writeExportFixture(join(root, `export-${name}`), {
        date,
      });
      const result = await importCli(dir, fixture.zips);
      assertEquals(result.code, 3, result.stderr + result.stdout);
      const sidecarIn = async (folder: string) =>
        JSON.parse(
          await Deno.readTextFile(join(dir, folder, "53001234567.jpg.json")),
        );
      const [title] = await exiftool([
        join(dir, name === "older" ? "API Walks" : "Walks", "53001234567.jpg"),
      ]);
      if (name === "older") {
        const sidecar = await sidecarIn("API Walks");
        assertEquals(sidecar.title, "API Sunset over the bay");
        assertEquals(sidecar.export.count_faves, 2);
        assertEquals(title!.Title, "API Sunset over the bay");
      } else {
        const sidecar = await sidecarIn("Walks");
        assertEquals(sidecar.title, "Sunset over the bay");
        assertEquals(sidecar.albums[1].title, "Walks");
        assertEquals(title!.Title, "Sunset over the bay");
        // Still one file in both album folders.
        const a = await Deno.stat(join(dir, "Bay & Beach/53001234567.jpg"));
        const b = await Deno.stat(join(dir, "Walks/53001234567.jpg"));
        assertEquals(a.ino, b.ino);
        const folders = [];
        for await (const entry of Deno.readDir(dir)) {
          if (entry.isDirectory && !entry.name.startsWith(".")) {
            folders.push(entry.name);
          }
        }
        assertEquals(folders.sort(), [
          "Bay & Beach",
          "Norway",
          "Unsorted",
          "Walks",
        ]);
      }
    }
  });
});
