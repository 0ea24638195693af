/**
 * `status` and `verify` end to end, through the real CLI process with the
 * release permission set: after a backup of the fake account, damage some
 * files, check that `verify` names each problem and changes nothing, and
 * that `verify --repair` restores the exact tree.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { type FakeFlickr, startFakeFlickr } from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import {
  comparableTree,
  fakeEnv,
  isBookkeeping,
  mediaOnly,
  signIn,
  snapshot,
  withTempDir,
} from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10"];

function cli(flickr: FakeFlickr, args: string[]) {
  return runCliProcess(args, { env: fakeEnv(flickr) });
}

/** Photo id of a media path `<folder>/<id>.<ext>`. */
function idOf(rel: string): string {
  return rel.split("/").pop()!.split(".")[0]!;
}

Deno.test("status reports the backup from local state only, and refuses a folder that holds none", async () => {
  await using flickr = await startFakeFlickr();
  await withTempDir(async (dir) => {
    const missing = await cli(flickr, ["status", "--dir", join(dir, "nope")]);
    assertEquals(missing.code, 2, missing.stderr);
    assertStringIncludes(missing.stderr, "does not exist");

    await signIn(flickr, dir);
    const empty = await cli(flickr, ["status", "--dir", dir]);
    assertEquals(empty.code, 2, empty.stderr);
    assertStringIncludes(empty.stderr, `flickr-backup backup --dir ${dir}`);

    const run = await cli(flickr, ["backup", "--dir", dir, "-q", ...FAST]);
    assertEquals(run.code, 0, run.stderr);
    flickr.clearRequests();

    const json = await cli(flickr, ["status", "--dir", dir, "--json"]);
    assertEquals(json.code, 0, json.stderr);
    assertEquals(flickr.requests.length, 0, "status must not call Flickr");
    const status = JSON.parse(json.stdout);
    const total = flickr.account.photos.size;
    assertEquals(status.photos.onFlickr, total);
    assertEquals(
      status.photos.done + status.photos.skipped,
      total,
      JSON.stringify(status.photos),
    );
    assertEquals(status.photos.failed, 0);
    assertEquals(status.nextRun.toFetch, 0);
    assertEquals(status.lastRun.result, "complete");
    assertEquals(status.lastRun.exitCode, 0);
    assertEquals(status.albums.onFlickr, flickr.account.albums.length);
    assertEquals(status.lastVerify, null);
    const media = await snapshot(dir, { skip: mediaOnly });
    const distinct = new Map<string, number>();
    for (const [rel, file] of media) distinct.set(idOf(rel), file.size);
    assertEquals(status.backup.files, distinct.size);
    assertEquals(
      status.backup.bytes,
      [...distinct.values()].reduce((a, b) => a + b, 0),
    );

    const text = await cli(flickr, ["status", "--dir", dir]);
    assertEquals(text.code, 0, text.stderr);
    assertStringIncludes(text.stdout, `Backup in ${dir}`);
    assertStringIncludes(text.stdout, `${total} photos and videos`);
    assertStringIncludes(text.stdout, "last verify:");
  });
});

Deno.test("verify names a flipped byte, a truncated file and a missing sidecar, changes nothing; --repair restores the tree", async () => {
  await using flickr = await startFakeFlickr();
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const run = await cli(flickr, ["backup", "--dir", dir, "-q", ...FAST]);
    assertEquals(run.code, 0, run.stderr);
    const good = await comparableTree(dir);

    const clean = await cli(flickr, ["verify", "--dir", dir]);
    assertEquals(clean.code, 0, clean.stdout + clean.stderr);
    assertStringIncludes(clean.stdout, "no problems");

    // Three different JPEGs: one byte flipped, one cut short, one sidecar gone.
    const jpegs = [...good.keys()].filter((rel) => rel.endsWith(".jpg"));
    const ids = [...new Set(jpegs.map(idOf))].slice(0, 3);
    assertEquals(ids.length, 3, "the demo account needs three JPEGs");
    const pathOf = (id: string) => jpegs.find((rel) => idOf(rel) === id)!;
    const [flipped, truncated, noSidecar] = ids.map(pathOf) as [
      string,
      string,
      string,
    ];
    const bytes = await Deno.readFile(join(dir, flipped));
    const at = Math.floor(bytes.length * 0.7);
    bytes[at] = bytes[at]! ^ 0x01;
    // Write in place (same inode): album copies that are hard links share it.
    await Deno.writeFile(join(dir, flipped), bytes);
    const cut = await Deno.open(join(dir, truncated), { write: true });
    await cut.truncate(Math.floor((await cut.stat()).size / 2));
    cut.close();
    await Deno.remove(join(dir, `${noSidecar}.json`));
    const damaged = await snapshot(dir, { skip: isBookkeeping });

    flickr.clearRequests();
    const found = await cli(flickr, ["verify", "--dir", dir]);
    assertEquals(found.code, 3, found.stdout + found.stderr);
    assertEquals(flickr.requests.length, 0, "verify must not call Flickr");
    assertStringIncludes(found.stdout, `${flipped}: checksum`);
    assertStringIncludes(found.stdout, `${truncated}: size`);
    assertStringIncludes(found.stdout, `${noSidecar}.json: sidecar-missing`);
    assertStringIncludes(found.stdout, "verify --repair");
    assertEquals(
      await snapshot(dir, { skip: isBookkeeping }),
      damaged,
      "a verify without --repair must change nothing",
    );

    const status = JSON.parse(
      (await cli(flickr, ["status", "--dir", dir, "--json"])).stdout,
    );
    assert(status.lastVerify, "verify records its result for status");
    assert(status.lastVerify.problems >= 3, JSON.stringify(status.lastVerify));

    const repair = await cli(flickr, [
      "verify",
      "--dir",
      dir,
      "--repair",
      "-q",
      ...FAST,
    ]);
    assertEquals(repair.code, 0, repair.stdout + repair.stderr);
    assertStringIncludes(repair.stdout, "Repaired:");
    const fetched = new Set(
      flickr.fileRequests().map((request) =>
        ids.find((id) => request.path.includes(id)) ?? request.path
      ),
    );
    for (const id of fetched) {
      assert(ids.includes(id), `repair fetched an intact file: ${id}`);
    }
    assert(fetched.has(ids[0]!) && fetched.has(ids[1]!), [...fetched].join());

    assertEquals(
      await comparableTree(dir),
      good,
      "the repaired tree is the original",
    );
    // The bad files are kept, never deleted.
    const trash = await snapshot(join(dir, ".trash"));
    const kept = [...trash.keys()];
    assert(
      kept.some((rel) => rel.endsWith(flipped)) &&
        kept.some((rel) => rel.endsWith(truncated)),
      kept.join("\n"),
    );
    assert(kept.every((rel) => rel.startsWith("verify-")), kept.join("\n"));

    const after = await cli(flickr, ["verify", "--dir", dir]);
    assertEquals(after.code, 0, after.stdout + after.stderr);
  });
});
