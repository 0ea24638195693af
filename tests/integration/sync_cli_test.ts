/**
 * Incremental sync end to end: after a full backup the fake Flickr applies a
 * change set, and a sync must make the tree equal to a fresh full backup of
 * the changed account (deleted items kept), with few API calls.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  addPhoto,
  deleteAlbum,
  deletePhoto,
  demoAccount,
  editPhoto,
  type FakeFlickr,
  movePhoto,
  renameAlbum,
  replaceOriginal,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import {
  comparableTree,
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

function totalCalls(flickr: FakeFlickr): number {
  return flickr.apiCallCount();
}

function detail(actual: unknown, expected: unknown): string {
  if (typeof actual !== "string" || typeof expected !== "string") {
    return `${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
  }
  const a = JSON.parse(actual);
  const e = JSON.parse(expected);
  return Object.keys(e).filter((key) =>
    JSON.stringify(a[key]) !== JSON.stringify(e[key])
  ).map((key) =>
    `${key}: ${JSON.stringify(a[key])} != ${JSON.stringify(e[key])}`
  )
    .join("; ");
}

function diff(
  actual: Map<string, unknown>,
  expected: Map<string, unknown>,
): string[] {
  const problems: string[] = [];
  for (const [rel, value] of expected) {
    if (!actual.has(rel)) problems.push(`missing ${rel}`);
    else if (JSON.stringify(actual.get(rel)) !== JSON.stringify(value)) {
      problems.push(`differs ${rel}: ${detail(actual.get(rel), value)}`);
    }
  }
  for (const rel of actual.keys()) {
    if (!expected.has(rel)) problems.push(`extra ${rel}`);
  }
  return problems;
}

Deno.test("a sync after a change set gives the tree of a fresh full backup, keeping deleted items", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (root) => {
    const synced = join(root, "synced");
    const fresh = join(root, "fresh");
    await signIn(flickr, synced);
    assertEquals((await backup(flickr, synced)).code, 0);

    // The change set.
    const account = flickr.account;
    const [first, second, third] = account.albums;
    assert(first && second && third, "the demo account has three albums");
    const photos = [...account.photos.values()].filter((p) =>
      p.media === "photo"
    );
    const inFirst = first.photoIds.filter((id) =>
      !second.photoIds.includes(id)
    );
    const edited = inFirst[0]!;
    const moved = inFirst[1]!;
    const replaced = photos.find((p) =>
      p.originalAvailable && !first.photoIds.includes(p.id)
    )!.id;
    const deletedPhoto = photos.find((p) =>
      ![edited, moved, replaced].includes(p.id) &&
      !account.albums.some((a) =>
        a.photoIds.includes(p.id)
      )
    )!.id;
    editPhoto(account, edited, {
      title: "A new title",
      description: "Edited on Flickr",
      tags: ["edited", "new-tag"],
      dateTaken: "2001-02-03 04:05:06",
    });
    replaceOriginal(account, replaced);
    movePhoto(account, moved, first.id, second.id);
    renameAlbum(account, first.id, "Renamed album");
    const deletedAlbumFolderIds = [...third.photoIds];
    deleteAlbum(account, third.id);
    deletePhoto(account, deletedPhoto);
    const added = addPhoto(account, { albums: [second.id] });
    const addedLoose = addPhoto(account, {});

    const callsBefore = totalCalls(flickr);
    const sync = await backup(flickr, synced);
    assertEquals(sync.code, 0, sync.stderr + sync.stdout);
    const syncCalls = totalCalls(flickr) - callsBefore;

    await signIn(flickr, fresh);
    const freshRun = await backup(flickr, fresh);
    assertEquals(freshRun.code, 0, freshRun.stderr);
    const freshCalls = totalCalls(flickr) - callsBefore - syncCalls;

    const expected = await comparableTree(fresh);
    const actual = await comparableTree(synced);
    // Kept on purpose: the deleted photo and the deleted album's folder.
    const kept = [...actual.keys()].filter((rel) =>
      rel.includes(deletedPhoto) || rel.startsWith(`${third.title}/`)
    );
    for (const rel of kept) actual.delete(rel);
    assertEquals(diff(actual, expected), []);
    assert(
      kept.some((rel) => rel.includes(deletedPhoto)),
      "deleted photo kept",
    );
    assert(
      kept.some((rel) => rel.startsWith(`${third.title}/`)) ||
        deletedAlbumFolderIds.length === 0,
      "deleted album folder kept",
    );
    assert(
      [...expected.keys()].some((rel) => rel.includes(added.id)) &&
        [...expected.keys()].some((rel) =>
          rel.startsWith(`Unsorted/${addedLoose.id}`)
        ),
    );
    assertStringIncludes(sync.stdout + sync.stderr, "no longer on Flickr");
    assert(
      syncCalls < freshCalls + 5,
      `sync made ${syncCalls} API calls, a fresh backup ${freshCalls}`,
    );
  });
});

Deno.test("a run with nothing changed makes at most 5 API calls and downloads nothing", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const calls = totalCalls(flickr);
    const files = flickr.fileRequests().length;
    const before = await comparableTree(dir);
    const rerun = await backup(flickr, dir, ["--quiet"]);
    assertEquals(rerun.code, 0, rerun.stderr);
    assertEquals(rerun.stdout, "", "quiet prints nothing when all is well");
    assertEquals(rerun.stderr, "");
    const used = totalCalls(flickr) - calls;
    assert(used <= 5, `no-change run made ${used} API calls`);
    assertEquals(flickr.fileRequests().length, files);
    assertEquals(diff(await comparableTree(dir), before), []);
  });
});

Deno.test("a Flickr failure in the middle of a sync changes nothing and prunes nothing", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await snapshot(dir, { skip: isBookkeeping });
    const account = flickr.account;
    const victim = account.albums[0]!.photoIds[0]!;
    deletePhoto(account, victim);
    renameAlbum(account, account.albums[1]!.id, "Something else");
    flickr.faults.add({
      method: "flickr.photosets.getPhotos",
      kind: "statFail",
      code: 105,
      times: Infinity,
    });
    const failed = await backup(flickr, dir, ["--prune", "--full"]);
    assertEquals(failed.code, 5, failed.stderr);
    assertEquals(await snapshot(dir, { skip: isBookkeeping }), before);
    flickr.faults.clear();
    // The next good run finds the deletion and, asked to, moves it aside.
    const good = await backup(flickr, dir, ["--prune"]);
    assertEquals(good.code, 0, good.stderr);
    const after = await snapshot(dir, { skip: isBookkeeping });
    assert(
      ![...after.keys()].some((rel) =>
        rel.includes(victim) && !rel.startsWith(".trash/")
      ),
      "pruned photo left the album folders",
    );
    assert(
      [...after.keys()].some((rel) =>
        rel.startsWith(".trash/") && rel.includes(victim)
      ),
      "pruned photo is in the trash",
    );
  });
});
