/**
 * Issue 14, waits: an API call that is never answered is retried after the
 * deadline; one SIGTERM/SIGINT stops the run at any stage with 143/130.
 */

import { assert, assertEquals } from "../assert.ts";
import { join } from "node:path";
import {
  addAlbum,
  addPhoto,
  createAccount,
  demoAccount,
  type FakeFlickr,
  type FaultRule,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess, spawnCli } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10", "--timeout", "2"];

Deno.test("an API call accepted but never answered is retried after --timeout (issue 14 case 2)", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    for (const method of ["flickr.photosets.getList", "flickr.test.login"]) {
      flickr.faults.add({ method, kind: "latency", ms: 3_600_000 });
    }
    flickr.faults.add({
      method: "flickr.photos.getNotInSet",
      kind: "stall",
      afterBytes: 10,
      ms: Infinity,
    });
    const result = await runCliProcess(
      ["backup", "--dir", dir, "--no-embed", ...FAST],
      { env: fakeEnv(flickr) },
    );
    assertEquals(result.code, 0, result.stderr + result.stdout);
    assertEquals(flickr.callCounts()["flickr.photosets.getList"], 2);
    assertEquals(flickr.callCounts()["flickr.photos.getNotInSet"], 2);
  });
});

/** Starts a backup, waits for `method` to hang, sends `signal`. */
async function stopWhileHanging(
  signal: "SIGTERM" | "SIGINT",
  fault: Parameters<
    Awaited<ReturnType<typeof startFakeFlickr>>["faults"]["add"]
  >[0],
) {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    flickr.faults.add(fault);
    let seen: () => void = () => {};
    const hanging = new Promise<void>((resolve) => seen = resolve);
    const target = fault.method ?? "";
    const stop = flickr.onRequest((request) => {
      if (
        (target && request.flickrMethod === target) ||
        (!target && request.kind === "file")
      ) seen();
    });
    const child = spawnCli(
      ["backup", "--dir", dir, "--no-embed", "--retry-delay", "10"],
      { env: fakeEnv(flickr) },
    );
    await hanging;
    stop();
    child.kill(signal);
    // A guard so that a regression fails instead of hanging the suite; far
    // beyond any busy machine's delay, as the stop itself takes milliseconds.
    const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const output = await child.output();
    clearTimeout(guard);
    const stderr = new TextDecoder().decode(output.stderr);
    const stdout = new TextDecoder().decode(output.stdout);
    assertEquals(output.code, signal === "SIGTERM" ? 143 : 130, stderr);
    assert(/Stopped|interrupted/.test(stderr + stdout), stderr + stdout);
    assert(!stderr.includes("    at "), stderr);
  });
}

Deno.test("SIGTERM while a listing call hangs stops the run with 143 (issue 14 cases 2, 3)", async () => {
  await stopWhileHanging("SIGTERM", {
    method: "flickr.photos.getNotInSet",
    kind: "latency",
    ms: 3_600_000,
    times: Infinity,
  });
});

Deno.test("SIGINT while a download drips stops the run with 130 (issue 14)", async () => {
  await stopWhileHanging("SIGINT", {
    path: /\.(jpg|png|gif|mp4|mov)$/,
    kind: "drip",
    bytesPerSecond: 1,
    times: Infinity,
  });
});

/** Issue 14's harsh but survivable network, on every request. */
function harshNetwork(flickr: FakeFlickr, seed: number): void {
  const faults: FaultRule[] = [
    { path: "/services/rest", kind: "rateLimit", calls: 100, windowMs: 10_000 },
    { kind: "status", status: 503, chance: 0.1, burst: 3, seed },
    { kind: "reset", afterBytes: 200, chance: 0.15, seed: seed + 1 },
    {
      path: "/65535/",
      kind: "shortBody",
      sendBytes: 700,
      chance: 0.1,
      seed: seed + 2,
    },
    {
      path: "/services/rest",
      kind: "truncatedJson",
      chance: 0.1,
      seed: seed + 3,
    },
    {
      path: "/services/rest",
      kind: "statFail",
      code: 105,
      message: "Service currently unavailable",
      chance: 0.05,
      seed: seed + 4,
    },
  ];
  for (const fault of faults) {
    flickr.faults.add({ ...fault, times: Infinity } as FaultRule);
  }
}

Deno.test("a harsh network (5xx bursts, resets, truncation, API errors, rate limit) still ends complete in one run (issue 14)", async () => {
  const account = createAccount();
  const albums = ["One", "Two", "Three"].map((title) =>
    addAlbum(account, { title })
  );
  for (let i = 0; i < 30; i++) {
    addPhoto(account, {
      title: `photo ${i}`,
      albums: i % 4 === 3 ? [] : [albums[i % 3]!.id],
      ...(i % 10 === 9 ? { media: "video" as const } : {}),
    });
  }
  await using flickr = await startFakeFlickr({ account });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    harshNetwork(flickr, 14);
    const result = await runCliProcess(
      ["backup", "--dir", dir, "--retry-delay", "10", "-q"],
      { env: fakeEnv(flickr) },
    );
    assertEquals(result.code, 0, result.stderr + result.stdout);
    const faulted = flickr.requests.filter((r) => r.faults.length > 0);
    assert(faulted.length > 20, `${faulted.length} faulted requests`);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(summary.totals.present, 30);
    assertEquals(summary.totals.failed, 0);
  });
});
