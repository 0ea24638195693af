/**
 * Issue 14, paths: a hostile Flickr (ids and formats that are paths) and a
 * hostile folder (symlinks, FIFOs where the tool's files go) never make the
 * tool write outside the backup folder or hang.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  addAlbum,
  addPhoto,
  createAccount,
  type FakeFlickr,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, snapshot } from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10"];

async function backup(flickr: FakeFlickr, dir: string, args: string[] = []) {
  return await runCliProcess(["backup", "--dir", dir, ...FAST, ...args], {
    env: fakeEnv(flickr),
  });
}

/** A parent folder holding the backup folder and an "outside" folder. */
async function withParent(
  fn: (parent: string, dir: string, outside: string) => Promise<void>,
) {
  const parent = await Deno.makeTempDir({ prefix: "fb_hostile_" });
  const dir = join(parent, "backup");
  const outside = join(parent, "outside");
  await Deno.mkdir(dir);
  await Deno.mkdir(outside);
  try {
    await fn(parent, dir, outside);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

function twoPhotoAccount() {
  const account = createAccount();
  const a = addPhoto(account, { title: "a" });
  const b = addPhoto(account, { title: "b", originalFormat: "png" });
  return { account, a, b };
}

type Json = Record<string, unknown>;
function photosOf(body: Json): Json[] {
  return ((body.photos as Json).photo as Json[]);
}

Deno.test("hostile ids and original formats never become paths outside the folder (issue 14 case 1)", async () => {
  const { account, a, b } = twoPhotoAccount();
  await using flickr = await startFakeFlickr({ account });
  await withParent(async (parent, dir, outside) => {
    await signIn(flickr, dir);
    flickr.faults.add({
      method: "flickr.photos.getNotInSet",
      kind: "rewriteJson",
      times: Infinity,
      edit(body) {
        const list = photosOf(body);
        const first = list.find((p) => p.id === a.id)!;
        const second = list.find((p) => p.id === b.id)!;
        first.originalformat = "jpg/../../outside/y";
        second.originalformat = "PNG/..";
        list.push(
          { ...first, id: "../../outside/x" },
          { ...first, id: "" },
          { ...first, id: "123", lastupdate: "1e308" },
        );
        list.push(null as unknown as Json);
        (body.photos as Json).total = list.length;
        return body;
      },
    });
    const result = await backup(flickr, dir, ["--no-embed"]);
    assertEquals(result.code, 3, result.stderr + result.stdout);
    assert(!result.stderr.includes("    at "), result.stderr);
    // Nothing outside, nothing stray inside.
    assertEquals([...(await snapshot(outside)).keys()], []);
    const names = (await Array.fromAsync(Deno.readDir(parent))).map((e) =>
      e.name
    ).sort();
    assertEquals(names, ["backup", "outside"]);
    const files = [...(await snapshot(dir)).keys()].filter((rel) =>
      !rel.startsWith(".flickr") && !rel.startsWith("flickr_backup_") &&
      rel !== "last_run.json" && rel !== "index.html"
    ).sort();
    // The extension follows the bytes, not the hostile format.
    assertEquals(files, [
      "Unsorted/123.jpg",
      "Unsorted/123.jpg.json",
      `Unsorted/${a.id}.jpg`,
      `Unsorted/${a.id}.jpg.json`,
      `Unsorted/${b.id}.png`,
      `Unsorted/${b.id}.png.json`,
    ]);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(
      summary.failedIds.map((f: { id: string }) => f.id).sort(),
      ["", "../../outside/x"].sort(),
    );
    assertStringIncludes(result.stdout + result.stderr, "invalid id");
    // A second (--full) run is not stuck on a folder-shaped target.
    const again = await backup(flickr, dir, ["--no-embed", "--full"]);
    assertEquals(again.code, 3, again.stderr);
    assertEquals(
      (await snapshot(dir)).has(".Unsorted.fbpart"),
      false,
    );
  });
});

Deno.test("a symlinked lock file is refused and the file it points to is untouched (issue 14 case 7)", async () => {
  if (Deno.build.os === "windows") return;
  const { account } = twoPhotoAccount();
  await using flickr = await startFakeFlickr({ account });
  await withParent(async (_parent, dir, outside) => {
    await signIn(flickr, dir);
    const victim = join(outside, "precious.txt");
    await Deno.writeTextFile(victim, "keep me\n");
    await Deno.symlink(victim, join(dir, ".flickr_backup.lock"));
    const result = await backup(flickr, dir);
    assertEquals(result.code, 7, result.stderr);
    assertStringIncludes(result.stderr, ".flickr_backup.lock");
    assertStringIncludes(result.stderr, "symbolic link");
    assertEquals(await Deno.readTextFile(victim), "keep me\n");
  });
});

Deno.test("a FIFO where the lock or the sign-in goes is refused, not waited on (issue 14 case 9)", async () => {
  if (Deno.build.os === "windows") return;
  const { account } = twoPhotoAccount();
  await using flickr = await startFakeFlickr({ account });
  for (const name of [".flickr_backup.lock", ".flickr_tokens.json"]) {
    await withParent(async (_parent, dir) => {
      if (name !== ".flickr_tokens.json") await signIn(flickr, dir);
      const mk = await new Deno.Command("mkfifo", { args: [join(dir, name)] })
        .output();
      assert(mk.success);
      const result = await backup(flickr, dir);
      assertEquals(result.code, 7, result.stderr);
      assertStringIncludes(result.stderr, name);
      assertStringIncludes(result.stderr, "not a regular file");
      assert(!result.stderr.includes("    at "), result.stderr);
    });
  }
});

Deno.test("symlinked album folders, Unsorted/, .trash and state are refused, never written through (issue 14)", async () => {
  if (Deno.build.os === "windows") return;
  const account = createAccount();
  const album = addAlbum(account, { title: "Trip" });
  addPhoto(account, { title: "in album", albums: [album.id] });
  addPhoto(account, { title: "unsorted" });
  await using flickr = await startFakeFlickr({ account });
  for (const name of ["Trip", "Unsorted", ".trash", ".flickr_backup.sqlite"]) {
    await withParent(async (_parent, dir, outside) => {
      await signIn(flickr, dir);
      const target = join(outside, "target");
      if (name.startsWith(".flickr")) {
        await Deno.writeTextFile(target, "not a database\n");
      } else await Deno.mkdir(target);
      await Deno.symlink(target, join(dir, name));
      const result = await backup(flickr, dir, ["--no-embed"]);
      assertEquals(result.code, 7, `${name}: ${result.stderr}`);
      assertStringIncludes(result.stderr, join(dir, name));
      assertStringIncludes(result.stderr, "symbolic link");
      if (name.startsWith(".flickr")) {
        assertEquals(await Deno.readTextFile(target), "not a database\n");
      } else {
        assertEquals(await Array.fromAsync(Deno.readDir(target)), [], name);
      }
    });
  }
});

Deno.test("an album listed with an invalid id is skipped, the run says so and exits 3, and no album copy is lost", async () => {
  const account = createAccount();
  const a = addPhoto(account, { title: "a" });
  const b = addPhoto(account, { title: "b" });
  addAlbum(account, { title: "Kept", photoIds: [a.id] });
  await using flickr = await startFakeFlickr({ account });
  await withParent(async (_parent, dir) => {
    await signIn(flickr, dir);
    const first = await backup(flickr, dir, ["--no-embed"]);
    assertEquals(first.code, 0, first.stderr);
    flickr.faults.add({
      method: "flickr.photosets.getList",
      kind: "rewriteJson",
      times: Infinity,
      edit(body) {
        const sets = (body.photosets as Json).photoset as Json[];
        sets.push({ ...sets[0]!, id: "../../outside", title: "Evil" });
        return body;
      },
    });
    const result = await backup(flickr, dir, ["--no-embed", "--full"]);
    assertEquals(result.code, 3, result.stderr + result.stdout);
    assertStringIncludes(result.stderr, 'invalid id "../../outside"');
    const files = [...(await snapshot(dir)).keys()].filter((rel) =>
      /\.jpg$/.test(rel) && !rel.startsWith(".")
    ).sort();
    assertEquals(files, [`Kept/${a.id}.jpg`, `Unsorted/${b.id}.jpg`]);
  });
});
