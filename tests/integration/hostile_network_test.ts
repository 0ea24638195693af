/**
 * Issue 14, waits: an API call that is never answered is retried after the
 * deadline; one SIGTERM/SIGINT stops the run at any stage with 143/130.
 */

import { assert, assertEquals } from "../assert.ts";
import { demoAccount, startFakeFlickr } from "../fake_flickr/mod.ts";
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
    // A guard so that a regression fails instead of hanging the suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
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
