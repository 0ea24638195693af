/**
 * The backup use case in process (no subprocess): `backupAccount` with the
 * real parts composed, against the fake Flickr over real HTTP, on the
 * injected clock. A full run, a run stopped halfway then resumed, and a
 * photo that keeps failing in the middle of a run.
 */

import { assert, assertEquals } from "../assert.ts";
import {
  demoAccount,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  type FakeFlickr,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import {
  expectedFiles,
  mediaOnly,
  snapshot,
  withTempDir,
} from "../helpers/backup_fixture.ts";
import { backupAccount } from "../../src/app/backup_account.ts";
import type { BackupSummary } from "../../src/app/backup_ports.ts";
import { RecordingReporter } from "../../src/app/reporter.ts";
import { fetchClient } from "../../src/http/http_client.ts";
import { FakeClock } from "../../src/platform/clock.ts";
import { ExitCode } from "../../src/errors.ts";

/** One run of the use case into `dir`, as the CLI would call it. */
async function backup(
  flickr: FakeFlickr,
  dir: string,
  signal = new AbortController().signal,
  reporter = new RecordingReporter(),
  concurrency: number | "auto" = 2,
): Promise<BackupSummary> {
  const issued = flickr.issueAccessToken("read");
  return await backupAccount({
    http: fetchClient,
    clock: new FakeClock(),
    endpoint: flickr.url,
    reporter,
    keys: { apiKey: FAKE_API_KEY, apiSecret: FAKE_API_SECRET },
    tokens: {
      oauthToken: issued.token,
      oauthTokenSecret: issued.tokenSecret,
    },
    retryDelayMs: 10,
    // Virtual time jumps on the fake clock: no idle timeout in these tests.
    timeoutMs: 3_600_000,
    signal,
    root: dir,
    concurrency: concurrency === "auto" ? undefined : concurrency,
    albumLinks: "hardlink",
    originalsOnly: false,
    embed: true,
    retryForMs: 0,
  });
}

/** Media files on disk (relative paths), sorted. */
async function media(dir: string): Promise<string[]> {
  return [...(await snapshot(dir, { skip: mediaOnly })).keys()].sort();
}

Deno.test("backupAccount: a full run saves every photo and video of the account", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const summary = await backup(flickr, dir);
    assertEquals(summary.result, "complete");
    assertEquals(summary.exitCode, ExitCode.Ok);
    const expected = expectedFiles(flickr.account);
    assertEquals(await media(dir), [...expected.keys()].sort());
    const photos = new Set(expected.values()).size;
    assertEquals(summary.totals.listed, photos);
    assertEquals(summary.totals.present, photos);
    assertEquals(summary.totals.downloaded, photos);
    assertEquals(flickr.fileRequests().length, photos);
  });
});

Deno.test("backupAccount: with no concurrency given, small files raise the downloads at once to 16; a given number is kept", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const pace = (reporter: RecordingReporter) =>
    reporter.messages("detail").filter((m) => m.startsWith("Downloads at"));
  await withTempDir(async (dir) => {
    const reporter = new RecordingReporter();
    const summary = await backup(flickr, dir, undefined, reporter, "auto");
    assertEquals(summary.result, "complete");
    const files = flickr.fileRequests();
    const mean = files.reduce((sum, r) => sum + r.bodyBytes, 0) / files.length;
    assert(mean < 1_000_000, `the demo's files are small (${mean} bytes)`);
    assertEquals(pace(reporter).length, 1);
    assert(
      pace(reporter)[0]!.startsWith(
        "Downloads at once: up to 32 (automatic, 4 to 32 by file size;",
      ),
      pace(reporter)[0],
    );
  });
  await withTempDir(async (dir) => {
    const reporter = new RecordingReporter();
    await backup(flickr, dir, undefined, reporter, 2);
    assertEquals(pace(reporter), []);
  });
});

Deno.test("backupAccount: a run stopped halfway resumes without downloading a finished file again", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const controller = new AbortController();
    // Stopped (as by Ctrl-C) once two items are recorded done.
    const reporter = new RecordingReporter();
    reporter.progress = (progress) => {
      if (progress.done >= 2) controller.abort();
    };
    const first = await backup(flickr, dir, controller.signal, reporter);
    assertEquals(first.result, "interrupted");
    const photos = new Set(expectedFiles(flickr.account).values()).size;
    assert(
      first.totals.present >= 2 && first.totals.present < photos,
      `stopped before the end (${first.totals.present} of ${photos})`,
    );
    const savedFirst = await media(dir);

    flickr.clearRequests();
    const second = await backup(flickr, dir);
    assertEquals(second.result, "complete");
    assertEquals(second.totals.alreadyDone, first.totals.present);
    assertEquals(second.totals.downloaded, photos - first.totals.present);
    const refetched = flickr.fileRequests().filter((request) =>
      savedFirst.some((rel) =>
        request.path.includes(`/${rel.split("/").pop()!.split(".")[0]}_`)
      )
    );
    assertEquals(refetched, [], "files saved by the first run");
    assertEquals(
      await media(dir),
      [...expectedFiles(flickr.account).keys()].sort(),
    );
  });
});

Deno.test("backupAccount: a photo failing in the middle is reported, the rest saved, and a rerun fetches it", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const photos = [...flickr.account.photos.values()].filter((p) =>
      p.media === "photo" && p.originalAvailable
    );
    const victim = photos[Math.floor(photos.length / 2)]!;
    flickr.faults.add({
      path: new RegExp(`/${victim.id}_`),
      kind: "status",
      status: 500,
      times: Infinity,
    });
    const first = await backup(flickr, dir);
    assertEquals(first.result, "partial");
    assertEquals(first.exitCode, ExitCode.Partial);
    assertEquals(first.failedIds.map((failed) => failed.id), [victim.id]);
    const expected = expectedFiles(flickr.account);
    assertEquals(
      await media(dir),
      [...expected].filter(([, id]) => id !== victim.id).map(([rel]) => rel)
        .sort(),
    );

    flickr.faults.clear();
    const second = await backup(flickr, dir);
    assertEquals(second.result, "complete");
    assertEquals(second.totals.downloaded, 1);
    assertEquals(await media(dir), [...expected.keys()].sort());
  });
});

Deno.test("backupAccount: a large photo's part left by a failed run is resumed with Range; small photos leave no part file", async () => {
  const account = demoAccount();
  const photos = [...account.photos.values()].filter((p) =>
    p.media === "photo" && p.originalAvailable && p.content.kind === "jpeg"
  );
  const large = photos[0]!;
  if (large.content.kind === "jpeg") {
    large.content = { ...large.content, padTo: 1_200_000 };
  }
  await using flickr = await startFakeFlickr({ account });
  await withTempDir(async (dir) => {
    flickr.faults.add({
      path: new RegExp(`/${large.id}_`),
      kind: "reset",
      // 100 kB per try: resumed within the run, but not to the end.
      afterBytes: 100_000,
      times: Infinity,
    });
    const first = await backup(flickr, dir);
    assertEquals(first.failedIds.map((failed) => failed.id), [large.id]);
    const parts = (await snapshot(dir)).keys().filter((rel) =>
      rel.endsWith(".fbpart")
    ).toArray();
    assertEquals(parts.length, 1, `one part file kept: ${parts}`);
    assert(parts[0]!.includes(large.id), parts[0]);

    flickr.faults.clear();
    flickr.clearRequests();
    const second = await backup(flickr, dir);
    assertEquals(second.result, "complete");
    const requests = flickr.fileRequests();
    assertEquals(requests.length, 1, "only the failed photo is fetched");
    assert(
      /^bytes=[1-9]\d*-$/.test(requests[0]!.headers["range"] ?? ""),
      `resumed with Range: ${requests[0]!.headers["range"]}`,
    );
    assertEquals(
      await media(dir),
      [...expectedFiles(flickr.account).keys()].sort(),
    );
    assertEquals(
      (await snapshot(dir)).keys().filter((rel) => rel.includes(".fb"))
        .toArray(),
      [],
      "no part or temp file left",
    );
  });
});
