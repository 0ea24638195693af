/**
 * A listing is trusted before it is acted on (issues 13 and 14): short pages,
 * albums that list fewer items than Flickr declares, albums that vanish
 * while the run lists them. Nothing is reported deleted, moved or pruned on
 * the strength of a listing that cannot be trusted; a real deletion is
 * confirmed with flickr.photos.getInfo before it counts.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  deleteAlbum,
  deletePhoto,
  demoAccount,
  type FakeFlickr,
  LISTING_QUIRKS,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import {
  expectedFiles,
  fakeEnv,
  isBookkeeping,
  signIn,
  snapshot,
  withTempDir,
} from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10"];

async function backup(flickr: FakeFlickr, dir: string, args: string[] = []) {
  return await runCliProcess(["backup", "--dir", dir, ...FAST, ...args], {
    env: fakeEnv(flickr),
  });
}

async function media(dir: string): Promise<string[]> {
  const files = await snapshot(dir, {
    skip: (rel) =>
      isBookkeeping(rel) || rel.endsWith(".json") || rel.endsWith(".xmp"),
  });
  return [...files.keys()].sort();
}

function calls(flickr: FakeFlickr, method: string): number {
  return flickr.callCounts()[method] ?? 0;
}

Deno.test("short pages on every listing: the backup ends complete, nothing is reported deleted; a real deletion is confirmed by getInfo and --prune moves only it", async () => {
  await using flickr = await startFakeFlickr({
    account: demoAccount(),
    // Two items a page: every list has several pages, each short at first.
    quirks: { ...LISTING_QUIRKS, perPageCap: 2 },
  });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const first = await backup(flickr, dir);
    assertEquals(first.code, 0, first.stdout + first.stderr);
    const expected = [...expectedFiles(flickr.account).keys()].sort();
    assertEquals(await media(dir), expected);

    const again = await backup(flickr, dir, ["--full", "--prune"]);
    assertEquals(again.code, 0, again.stdout + again.stderr);
    assert(!again.stdout.includes("no longer on Flickr"), again.stdout);
    assertEquals(await media(dir), expected, "nothing moved to .trash");
    assertEquals(calls(flickr, "flickr.photos.getInfo"), 0);

    const account = flickr.account;
    const victim = account.albums[0]!.photoIds[1]!;
    deletePhoto(account, victim);
    flickr.clearRequests();
    const pruned = await backup(flickr, dir, ["--full", "--prune"]);
    assertEquals(pruned.code, 0, pruned.stdout + pruned.stderr);
    assertStringIncludes(pruned.stdout + pruned.stderr, "(confirmed)");
    assertEquals(calls(flickr, "flickr.photos.getInfo"), 1);
    const after = await media(dir);
    const trashed = after.filter((rel) => rel.startsWith(".trash/"));
    assert(trashed.length > 0, "the deleted photo went to the trash");
    assert(
      trashed.every((rel) => rel.split("/").pop()!.startsWith(`${victim}.`)),
      `only the deleted photo is in the trash: ${trashed.join(", ")}`,
    );
    assertEquals(
      after.filter((rel) => !rel.startsWith(".trash/")),
      expected.filter((rel) => !rel.includes(victim)),
    );
  });
});

Deno.test("pages that stay short: the listing is reported untrusted even with -q, exit 3, and --prune moves nothing", async () => {
  await using flickr = await startFakeFlickr({
    account: demoAccount(),
    quirks: { perPageCap: 4 },
  });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await snapshot(dir, { skip: isBookkeeping });
    flickr.quirks.shortPages = "always";
    const run = await backup(flickr, dir, ["--full", "--prune", "-q"]);
    assertEquals(run.code, 3, run.stdout + run.stderr);
    assertStringIncludes(run.stdout + run.stderr, "declared");
    assertStringIncludes(run.stdout, "listing not trusted");
    assertEquals(calls(flickr, "flickr.photos.getInfo"), 0);
    const after = await snapshot(dir, {
      skip: (rel) => isBookkeeping(rel) || rel.endsWith(".json"),
    });
    for (const [rel, file] of after) {
      assertEquals(before.get(rel), file, rel);
    }
    assert(![...after.keys()].some((rel) => rel.startsWith(".trash")));
  });
});

Deno.test("an album listing fewer items than Flickr declares is reported under -q with exit 3 and keeps every copy", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await media(dir);
    const album = flickr.account.albums[0]!;
    flickr.quirks.dropFromAlbums = { [album.id]: 2 };
    const run = await backup(flickr, dir, ["--full", "--prune", "-q"]);
    assertEquals(run.code, 3, run.stdout + run.stderr);
    assertStringIncludes(run.stdout + run.stderr, album.title);
    assertStringIncludes(run.stdout + run.stderr, "nothing is moved");
    assertEquals(await media(dir), before);
  });
});

Deno.test("an album that lists none of its declared photos moves nothing to Unsorted and deletes no copy", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await media(dir);
    const album = flickr.account.albums[1]!;
    flickr.quirks.emptyAlbums = [album.id];
    const run = await backup(flickr, dir, ["--full", "--prune", "-q"]);
    assertEquals(run.code, 3, run.stdout + run.stderr);
    assertStringIncludes(run.stdout + run.stderr, "at least");
    assertEquals(await media(dir), before);
  });
});

Deno.test("an album deleted between getList and getPhotos is skipped and reported; the rest is backed up", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const account = flickr.account;
    const doomed = account.albums[2]!;
    let deleted = false;
    flickr.onRequest((request) => {
      if (
        !deleted && request.flickrMethod === "flickr.photosets.getPhotos" &&
        request.query.photoset_id === doomed.id
      ) {
        deleted = true;
        deleteAlbum(account, doomed.id);
      }
    });
    const run = await backup(flickr, dir);
    assert(deleted, "the album was deleted mid-run");
    assertEquals(run.code, 0, run.stdout + run.stderr);
    assertStringIncludes(run.stdout + run.stderr, "vanished");
    const files = await media(dir);
    for (const id of account.photos.keys()) {
      assert(files.some((rel) => rel.includes(id)), `${id} backed up`);
    }
    // The next run confirms the deletion with photosets.getInfo.
    flickr.clearRequests();
    const next = await backup(flickr, dir);
    assertEquals(next.code, 0, next.stdout + next.stderr);
    assertEquals(calls(flickr, "flickr.photosets.getInfo"), 1);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(summary.listing.complete, true);
  });
});

Deno.test("items shifting between pages never become deletions: the union falls short, the run says so and prunes nothing", async () => {
  await using flickr = await startFakeFlickr({
    account: demoAccount(),
    quirks: { perPageCap: 2 },
  });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await media(dir);
    // From page 2 on, the photos in no album slide forward by one.
    flickr.quirks.shiftBy = 1;
    const run = await backup(flickr, dir, ["--full", "--prune", "-q"]);
    assertEquals(run.code, 3, run.stdout + run.stderr);
    assertStringIncludes(run.stdout, "listing not trusted");
    assertEquals(calls(flickr, "flickr.photos.getInfo"), 0);
    assertEquals(await media(dir), before);
  });
});
