/**
 * Video originals tried every way, cheapest first (issues 13 and 16): the
 * getSizes "Video Original" URL unsigned, then signed, then getStreamInfo's
 * `orig`, then the best stream (flagged). The route that worked is logged
 * per video, counted in the summary and remembered, so the next video costs
 * one API call.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  addPhoto,
  createAccount,
  type FakeFlickr,
  type PlayMode,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10", "--concurrency", "1"];

async function backup(flickr: FakeFlickr, dir: string, args: string[] = []) {
  return await runCliProcess(["backup", "--dir", dir, ...FAST, ...args], {
    env: fakeEnv(flickr),
  });
}

/** Two videos with originals (and, optionally, one without). */
function videoAccount(withoutOriginal = false) {
  const account = createAccount();
  const a = addPhoto(account, {
    title: "First video",
    media: "video",
    originalFormat: "mov",
    width: 1280,
    height: 720,
  });
  const b = addPhoto(account, {
    title: "Second video",
    media: "video",
    originalFormat: "mp4",
    width: 1920,
    height: 1080,
  });
  const c = withoutOriginal
    ? addPhoto(account, {
      title: "No original",
      media: "video",
      originalFormat: "mov",
      originalAvailable: false,
      width: 1280,
      height: 720,
    })
    : undefined;
  return { account, videos: [a, b], noOriginal: c };
}

async function lastRun(dir: string) {
  return JSON.parse(await Deno.readTextFile(join(dir, "last_run.json")));
}

async function logText(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("flickr_backup_")) {
      text += await Deno.readTextFile(join(dir, entry.name));
    }
  }
  return text;
}

async function savedBytes(dir: string, id: string): Promise<Uint8Array> {
  for await (const entry of Deno.readDir(join(dir, "Unsorted"))) {
    if (entry.name.startsWith(`${id}.`) && !entry.name.includes(".json")) {
      if (entry.name.endsWith(".xmp")) continue;
      return await Deno.readFile(join(dir, "Unsorted", entry.name));
    }
  }
  throw new Error(`no file for ${id}`);
}

const cases: {
  play: PlayMode;
  route: string;
  getSizes: number;
  getStreamInfo: number;
}[] = [
  // Recorded behaviour: play URLs answer unsigned GETs.
  { play: "unsigned", route: "orig-unsigned", getSizes: 2, getStreamInfo: 0 },
  // Only a signed request by the owner works.
  { play: "signed", route: "orig-signed", getSizes: 2, getStreamInfo: 0 },
  // play/orig is 404 to scripts: getStreamInfo's orig. The second video
  // goes straight there (remembered): 1 call.
  { play: "origNotFound", route: "stream-orig", getSizes: 1, getStreamInfo: 2 },
];

for (const c of cases) {
  Deno.test(`video route ${c.route} (play URLs: ${c.play}): originals byte for byte, one API call per video once the route is known`, async () => {
    const { account, videos } = videoAccount();
    await using flickr = await startFakeFlickr({
      account,
      quirks: { play: c.play },
    });
    await withTempDir(async (dir) => {
      await signIn(flickr, dir);
      const run = await backup(flickr, dir);
      assertEquals(run.code, 0, run.stdout + run.stderr);
      const counts = flickr.callCounts();
      assertEquals(counts["flickr.photos.getSizes"] ?? 0, c.getSizes);
      assertEquals(counts["flickr.video.getStreamInfo"] ?? 0, c.getStreamInfo);
      for (const video of videos) {
        assertEquals(
          await savedBytes(dir, video.id),
          await flickr.fileBytes(video.id),
          `${video.id} is the original`,
        );
      }
      assertEquals((await lastRun(dir)).videoRoutes, { [c.route]: 2 });
      assertStringIncludes(run.stdout, `videos: 2 via ${c.route}`);
      const log = await logText(dir);
      for (const video of videos) {
        assertStringIncludes(log, `video ${video.id}: original via ${c.route}`);
      }

      // A new video on a later run: the remembered route, one call.
      const added = addPhoto(account, {
        title: "Third video",
        media: "video",
        originalFormat: "mov",
      });
      flickr.clearRequests();
      const next = await backup(flickr, dir);
      assertEquals(next.code, 0, next.stdout + next.stderr);
      const perVideo = (flickr.callCounts()["flickr.photos.getSizes"] ?? 0) +
        (flickr.callCounts()["flickr.video.getStreamInfo"] ?? 0);
      assertEquals(perVideo, 1, JSON.stringify(flickr.callCounts()));
      assertEquals(
        await savedBytes(dir, added.id),
        await flickr.fileBytes(added.id),
      );
    });
  });
}

Deno.test("video route best-stream: no original offered, the best stream is saved and flagged", async () => {
  const { account, noOriginal } = videoAccount(true);
  await using flickr = await startFakeFlickr({ account });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const run = await backup(flickr, dir);
    assertEquals(run.code, 0, run.stdout + run.stderr);
    const summary = await lastRun(dir);
    assertEquals(summary.videoRoutes["best-stream"], 1);
    assertEquals(summary.videoRoutes["orig-signed"], 2);
    const sidecar = JSON.parse(
      await Deno.readTextFile(
        join(dir, "Unsorted", `${noOriginal!.id}.mp4.json`),
      ),
    );
    assertEquals(sidecar.saved.variant, "stream");
    assertEquals(sidecar.saved.is_original, false);
    assertEquals(sidecar.saved.label, "720p");
  });
});

Deno.test("2024 video labels: with play/orig refused and getStreamInfo failing, the best getSizes label is chosen", async () => {
  const { account } = videoAccount();
  await using flickr = await startFakeFlickr({
    account,
    quirks: { play: "origNotFound", videoLabels2024: true },
  });
  flickr.faults.add({
    method: "flickr.video.getStreamInfo",
    kind: "statFail",
    code: 1,
    times: Infinity,
  });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const run = await backup(flickr, dir);
    assertEquals(run.code, 0, run.stdout + run.stderr);
    assertEquals((await lastRun(dir)).videoRoutes, { "best-stream": 2 });
    const labels: string[] = [];
    for await (const entry of Deno.readDir(join(dir, "Unsorted"))) {
      if (!entry.name.endsWith(".json")) continue;
      const sidecar = JSON.parse(
        await Deno.readTextFile(join(dir, "Unsorted", entry.name)),
      );
      labels.push(sidecar.saved.label);
      assertEquals(sidecar.saved.is_original, false);
    }
    assertEquals(labels.sort(), ["1080p", "720p"]);
    assert(run.stdout.includes("not original"), run.stdout);
  });
});
