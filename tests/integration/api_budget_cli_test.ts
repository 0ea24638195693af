/**
 * `--api-budget` end to end: every API call of every run is recorded in the
 * backup folder's state (the pacer's shared hour), and a bad budget is a
 * usage error.
 */

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertStringIncludes } from "../assert.ts";
import { demoAccount, startFakeFlickr } from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10"];

function recordedCalls(dir: string): number {
  const db = new DatabaseSync(join(dir, ".flickr_backup.sqlite"));
  try {
    const row = db.prepare("SELECT count(*) AS n FROM api_calls").get() as {
      n: number;
    };
    return Number(row.n);
  } finally {
    db.close();
  }
}

Deno.test("every API call of back-to-back runs is counted in the folder's state", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const args = ["backup", "--dir", dir, ...FAST, "--api-budget", "1000"];
    const env = fakeEnv(flickr);
    assertEquals((await runCliProcess(args, { env })).code, 0);
    const afterFirst = flickr.apiCallCount();
    assertEquals(recordedCalls(dir), afterFirst);
    assertEquals((await runCliProcess(args, { env })).code, 0);
    assertEquals(recordedCalls(dir), flickr.apiCallCount());
    assertEquals(flickr.apiCallCount() > afterFirst, true);
  });
});

Deno.test("--api-budget refuses a budget Flickr would not allow", async () => {
  await withTempDir(async (dir) => {
    for (const bad of ["0", "4000", "lots"]) {
      const result = await runCliProcess([
        "backup",
        "--dir",
        dir,
        "--api-budget",
        bad,
      ]);
      assertEquals(result.code, 2, result.stderr);
      assertStringIncludes(result.stderr, "--api-budget");
    }
  });
});
