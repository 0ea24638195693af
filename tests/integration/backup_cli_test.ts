/**
 * End-to-end: the real CLI (release permission set + loopback) against the
 * fake Flickr over real HTTP, into real temp folders.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  awkwardAccount,
  demoAccount,
  type FakeFlickr,
  type FaultRule,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess, spawnCli } from "../helpers/cli.ts";
import {
  expectedFiles,
  fakeEnv,
  isBookkeeping,
  mediaOnly,
  sha256,
  signIn,
  snapshot,
  withTempDir,
} from "../helpers/backup_fixture.ts";

// Short retry waits. No short --timeout: on a busy machine a slow but
// healthy answer would time out and be asked again, which breaks the exact
// request counts below; only the stall cases, which need it, pass one.
const FAST = ["--retry-delay", "10"];
/** A download idle timeout that a 10 s stall of the fake outlasts. */
const STALL_TIMEOUT = ["--timeout", "2"];

async function backup(
  flickr: FakeFlickr,
  dir: string,
  args: string[] = [],
) {
  return await runCliProcess(["backup", "--dir", dir, ...FAST, ...args], {
    env: fakeEnv(flickr),
  });
}

/** Files whose names look like our temporaries: never allowed to remain. */
async function leftovers(dir: string): Promise<string[]> {
  const files = await snapshot(dir);
  return [...files.keys()].filter((rel) => /\.fbpart|\.fbtmp/.test(rel));
}

Deno.test("backup saves every photo of an awkward account in every album folder, byte for byte", async () => {
  await using flickr = await startFakeFlickr({ account: awkwardAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const result = await backup(flickr, dir, ["--no-embed"]);
    assertEquals(result.code, 0, result.stderr + result.stdout);
    // Every listing call asks for the sizes a photo without an original
    // falls back to, by their real extras names.
    const listings = flickr.requests.filter((r) =>
      ["flickr.photosets.getPhotos", "flickr.photos.getNotInSet"].includes(
        r.flickrMethod ?? "",
      )
    );
    assert(listings.length > 0, "no listing call");
    for (const r of listings) {
      const extras =
        (r.query.extras ?? new URLSearchParams(r.requestBody).get("extras") ??
          "").split(",");
      for (
        const wanted of ["url_o", "url_k", "url_h", "url_l", "machine_tags"]
      ) {
        assert(
          extras.includes(wanted),
          `${r.flickrMethod} extras lack ${wanted}: ${extras}`,
        );
      }
    }

    const expected = expectedFiles(flickr.account);
    const disk = await snapshot(dir, { skip: mediaOnly });
    assertEquals(
      [...disk.keys()].sort(),
      [...expected.keys()].sort(),
      "media files on disk",
    );
    for (const [rel, id] of expected) {
      const photo = flickr.account.photos.get(id)!;
      const file = disk.get(rel)!;
      if (photo.originalAvailable) {
        assertEquals(
          file.sha256,
          sha256(await flickr.fileBytes(id)),
          `bytes of ${rel}`,
        );
      }
      const sidecar = JSON.parse(
        await Deno.readTextFile(join(dir, `${rel}.json`)),
      );
      assertEquals(sidecar.id, id);
      assertEquals(sidecar.schema_version, 2);
      assertEquals(sidecar.title, photo.title);
      assertEquals(sidecar.saved.is_original, photo.originalAvailable);
      const albumIds = flickr.account.albums.filter((a) =>
        a.photoIds.includes(id)
      ).map((a) => a.id);
      assertEquals(
        sidecar.albums.map((a: { id: string }) => a.id).sort(),
        albumIds.sort(),
      );
    }
    // Every path stays inside the backup folder and nothing temporary remains.
    assertEquals(await leftovers(dir), []);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(summary.result, "complete");
    assertEquals(summary.totals.failed, 0);
    const notOriginal = [...flickr.account.photos.values()].filter((p) =>
      !p.originalAvailable
    ).length;
    assertEquals(summary.nonOriginal.length, notOriginal);
  });
});

Deno.test("backup hardlinks a photo that is in several albums instead of downloading it twice", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const result = await backup(flickr, dir);
    assertEquals(result.code, 0, result.stderr);
    const counts = new Map<string, number>();
    for (const album of flickr.account.albums) {
      for (const id of album.photoIds) {
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    const shared = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    assert(shared.length > 0, "the demo account has a photo in two albums");
    const fileGets = flickr.fileRequests().filter((r) => r.status < 300);
    for (const id of shared) {
      const gets = fileGets.filter((r) => r.path.includes(`/${id}_`));
      assertEquals(gets.length, 1, `downloads of ${id}`);
    }
    if (Deno.build.os !== "windows") {
      const expected = expectedFiles(flickr.account);
      const paths = [...expected].filter(([, id]) => id === shared[0]).map((
        [rel],
      ) => join(dir, rel));
      const inodes = new Set(
        await Promise.all(paths.map(async (p) => (await Deno.stat(p)).ino)),
      );
      assertEquals(inodes.size, 1, "one inode for all album copies");
      // The sidecars hold the same JSON: linked like the file.
      const sidecars = new Set(
        await Promise.all(
          paths.map(async (p) => (await Deno.stat(`${p}.json`)).ino),
        ),
      );
      assertEquals(sidecars.size, 1, "one inode for all album sidecars");
      const texts = await Promise.all(
        paths.map((p) => Deno.readTextFile(`${p}.json`)),
      );
      assertEquals(JSON.parse(texts[0]!).id, shared[0]);
      // Retitled on Flickr: every folder's sidecar says so after a rerun.
      const photo = flickr.account.photos.get(shared[0]!)!;
      photo.title = "Retitled for every album";
      photo.lastUpdate = Math.floor(Date.now() / 1000) + 60;
      const rerun = await backup(flickr, dir);
      assertEquals(rerun.code, 0, rerun.stderr);
      for (const p of paths) {
        const json = JSON.parse(await Deno.readTextFile(`${p}.json`));
        assertEquals(json.title, "Retitled for every album", p);
      }
    }
  });
});

Deno.test("a rerun downloads nothing and makes only listing calls", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await snapshot(dir, { skip: isBookkeeping });
    const filesBefore = flickr.fileRequests().length;
    const callsBefore = flickr.callCounts();

    const second = await backup(flickr, dir);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(flickr.fileRequests().length, filesBefore, "file requests");
    const callsAfter = flickr.callCounts();
    const perPhoto = ["flickr.photos.getSizes", "flickr.photos.getInfo"];
    for (const method of perPhoto) {
      assertEquals(
        callsAfter[method] ?? 0,
        callsBefore[method] ?? 0,
        `${method} calls on the rerun`,
      );
    }
    assertEquals(await snapshot(dir, { skip: isBookkeeping }), before);
  });
});

Deno.test("kill -9 in mid-download, then a rerun, gives the same tree as an uninterrupted run", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  await withTempDir(async (root) => {
    const reference = join(root, "reference");
    const killed = join(root, "killed");
    await signIn(flickr, reference);
    assertEquals((await backup(flickr, reference)).code, 0);

    await signIn(flickr, killed);
    // Hold every original download after 100 bytes until the process dies.
    flickr.faults.add({
      path: /_o\./,
      kind: "stall",
      afterBytes: 100,
      ms: Infinity,
      times: Infinity,
    });
    const stalled = flickr.faults.nextStall();
    const child = spawnCli(["backup", "--dir", killed, ...FAST], {
      env: fakeEnv(flickr),
    });
    // The fake says when an original has sent its 100 bytes and holds.
    await stalled;
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    flickr.faults.clear();

    const rerun = await backup(flickr, killed);
    assertEquals(rerun.code, 0, rerun.stderr);
    const skip = (rel: string) => isBookkeeping(rel) || rel.endsWith(".json");
    assertEquals(
      await snapshot(killed, { skip }),
      await snapshot(reference, { skip }),
    );
    assertEquals(await leftovers(killed), []);
  });
});

Deno.test("transient faults end with nothing lost and exit 0", async (t) => {
  const cases: {
    name: string;
    rules: FaultRule[];
    large?: boolean;
    args?: string[];
  }[] = [
    {
      name: "5xx burst on a file",
      rules: [{ path: /_o\./, kind: "status", status: 503, times: 3 }],
    },
    {
      name: "429 with Retry-After on the API",
      rules: [{
        method: "flickr.photosets.getList",
        kind: "status",
        status: 429,
        retryAfter: "1",
        times: 1,
      }],
    },
    {
      name: "429 without Retry-After on a file",
      rules: [{ path: /_o\./, kind: "status", status: 429, times: 2 }],
    },
    {
      name: "stat=fail 105 while listing",
      rules: [{
        method: "flickr.photosets.getPhotos",
        kind: "statFail",
        code: 105,
        times: 2,
      }],
    },
    {
      name: "connection reset mid-body",
      rules: [{ path: /_o\./, kind: "reset", afterBytes: 200, times: 2 }],
    },
    {
      name: "short body (Content-Length larger than the body)",
      rules: [{ path: /_o\./, kind: "shortBody", sendBytes: 150, times: 2 }],
    },
    {
      name: "HTML page with status 200 instead of a photo",
      rules: [{ path: /_o\./, kind: "html200", times: 2 }],
    },
    {
      name: "stalled download",
      rules: [{ path: /_o\./, kind: "stall", afterBytes: 64, ms: 10_000 }],
      args: STALL_TIMEOUT,
    },
    {
      name: "stall, then the server ignores Range on the resume",
      // Only files of 1 MB or more are resumed; smaller ones start again.
      large: true,
      rules: [
        { path: /_o\./, kind: "stall", afterBytes: 2000, ms: 10_000 },
        { path: /_o\./, kind: "ignoreRange", times: Infinity },
      ],
      args: STALL_TIMEOUT,
    },
  ];
  for (const testCase of cases) {
    await t.step(testCase.name, async () => {
      const account = demoAccount();
      for (const photo of account.photos.values()) {
        if (testCase.large && photo.content.kind === "jpeg") {
          photo.content = { ...photo.content, padTo: 1_200_000 };
        }
      }
      await using flickr = await startFakeFlickr({ account });
      await withTempDir(async (dir) => {
        await signIn(flickr, dir);
        for (const rule of testCase.rules) {
          flickr.faults.add(rule);
        }
        const result = await backup(flickr, dir, [
          "--no-embed",
          ...testCase.args ?? [],
        ]);
        assertEquals(result.code, 0, result.stderr + result.stdout);
        for (const state of flickr.faults.list()) {
          assert(state.fired > 0, `fault ${state.rule.kind} never fired`);
          if (Number.isFinite(state.rule.times ?? 1)) {
            assertEquals(state.remaining, 0, `${state.rule.kind} left over`);
          }
        }
        const expected = expectedFiles(flickr.account);
        const disk = await snapshot(dir, { skip: mediaOnly });
        assertEquals([...disk.keys()].sort(), [...expected.keys()].sort());
        for (const [rel, id] of expected) {
          if (!flickr.account.photos.get(id)!.originalAvailable) continue;
          assertEquals(
            disk.get(rel)!.sha256,
            sha256(await flickr.fileBytes(id)),
            rel,
          );
        }
        assertEquals(await leftovers(dir), []);
      });
    });
  }
});

Deno.test("a file that keeps failing is reported, the rest is saved, exit 3, and the rerun fetches it", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const victim = [...flickr.account.photos.values()].find((p) =>
      p.media === "photo" && p.originalAvailable
    )!;
    flickr.faults.add({
      path: new RegExp(`/${victim.id}_`),
      kind: "status",
      status: 500,
      times: Infinity,
    });
    const first = await backup(flickr, dir);
    assertEquals(first.code, 3, first.stderr);
    assertStringIncludes(first.stdout, victim.id);
    const disk = await snapshot(dir, { skip: mediaOnly });
    assertEquals(
      [...disk.keys()].filter((rel) => rel.includes(victim.id)),
      [],
      "no file under a final name for the failed photo",
    );
    assertEquals(
      disk.size,
      [...expectedFiles(flickr.account).values()].filter((id) =>
        id !== victim.id
      ).length,
    );
    flickr.faults.clear();
    const second = await backup(flickr, dir);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(
      (await snapshot(dir, { skip: mediaOnly })).size,
      expectedFiles(flickr.account).size,
    );
  });
});

Deno.test("Flickr down while listing exits 5 and marks nothing done", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    flickr.faults.add({
      method: "flickr.photosets.getList",
      kind: "statFail",
      code: 105,
      times: Infinity,
    });
    const result = await backup(flickr, dir);
    assertEquals(result.code, 5, result.stderr);
    assertEquals(flickr.fileRequests().length, 0);
  });
});

Deno.test("a second run on the same folder exits 6 at once", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    flickr.faults.add({
      path: /_o\./,
      kind: "stall",
      afterBytes: 10,
      ms: Infinity,
      times: Infinity,
    });
    const stalled = flickr.faults.nextStall();
    const first = spawnCli(
      ["backup", "--dir", dir, ...FAST],
      {
        env: fakeEnv(flickr),
      },
    );
    // The first run holds the lock while a download of it is held.
    await stalled;
    const second = await backup(flickr, dir);
    assertEquals(second.code, 6, second.stderr);
    assertStringIncludes(second.stderr, "Another flickr-backup run");
    first.kill("SIGTERM");
    const status = await first.status;
    await first.stdout.cancel();
    await first.stderr.cancel();
    assertEquals(status.code, 143);
    assertEquals(
      await leftovers(dir).then((l) => l.filter((f) => f.includes(".fbtmp"))),
      [],
    );
  });
});

Deno.test("without a sign-in and without a terminal, backup names the fix and exits 4", async () => {
  await withTempDir(async (dir) => {
    const result = await runCliProcess(["backup", "--dir", dir], {
      env: { FLICKR_ENDPOINT: "http://127.0.0.1:9" },
    });
    assertEquals(result.code, 4, result.stderr);
    assertStringIncludes(result.stderr, "flickr-backup login");
    assertStringIncludes(result.stderr, "FLICKR_API_KEY");
  });
});

Deno.test("a revoked token exits 4 and tells the user to sign in again", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const { token } = await signIn(flickr, dir);
    flickr.revokeToken(token);
    const result = await backup(flickr, dir);
    assertEquals(result.code, 4, result.stderr);
    assertStringIncludes(result.stderr, "flickr-backup login");
    assertEquals(
      flickr.requests.filter((r) => r.flickrMethod === "flickr.test.login")
        .length,
      1,
      "auth errors are not retried",
    );
  });
});

Deno.test("no secret appears in any output, log, sidecar or state", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    const { token, tokenSecret } = await signIn(flickr, dir);
    flickr.faults.add({
      path: /_o\./,
      kind: "reset",
      afterBytes: 10,
      times: 2,
    });
    const result = await backup(flickr, dir);
    assertEquals(result.code, 0, result.stderr);
    const env = fakeEnv(flickr);
    const secrets = [token, tokenSecret, env.FLICKR_API_SECRET!];
    const texts = [result.stdout, result.stderr];
    for (const [rel] of await snapshot(dir)) {
      if (rel === ".flickr_tokens.json") continue;
      if (
        rel.endsWith(".json") || rel.endsWith(".log") ||
        rel.endsWith(".sqlite") || rel.endsWith(".xmp")
      ) {
        texts.push(
          new TextDecoder().decode(await Deno.readFile(join(dir, rel))),
        );
      }
    }
    for (const text of texts) {
      for (const secret of secrets) {
        assert(!text.includes(secret), "a secret leaked");
      }
    }
    // Only signatures travel: the secrets never reach the server either.
    for (const request of flickr.requests) {
      const wire = JSON.stringify(request);
      assert(!wire.includes(tokenSecret), "token secret sent");
      assert(!wire.includes(env.FLICKR_API_SECRET!), "api secret sent");
    }
    const mode = (await Deno.stat(join(dir, ".flickr_tokens.json"))).mode!;
    if (Deno.build.os !== "windows") assertEquals(mode & 0o777, 0o600);
  });
});

async function isRoot(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const out = await new Deno.Command("id", { args: ["-u"] }).output();
  return new TextDecoder().decode(out.stdout).trim() === "0";
}

async function mountTmpfs(path: string, options: string): Promise<boolean> {
  await Deno.mkdir(path, { recursive: true });
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", path],
    stderr: "null",
  }).output();
  return out.success;
}

async function unmount(path: string): Promise<void> {
  await new Deno.Command("umount", { args: [path], stderr: "null" }).output();
}

// Root ignores file modes, so a read-only or full disk needs a real mount;
// these run where the test may mount (as root on Linux, e.g. CI) and say so
// otherwise.
Deno.test({
  name:
    "a read-only backup folder stops the run before any download with exit 7",
  ignore: !(await isRoot()),
  fn: async () => {
    await using flickr = await startFakeFlickr({ account: demoAccount() });
    await withTempDir(async (root) => {
      const dir = join(root, "ro");
      await signIn(flickr, join(root, "seed"));
      if (!(await mountTmpfs(dir, "size=4m"))) return;
      try {
        await Deno.copyFile(
          join(root, "seed", ".flickr_tokens.json"),
          join(dir, ".flickr_tokens.json"),
        );
        await new Deno.Command("mount", {
          args: ["-o", "remount,ro", dir],
        }).output();
        const result = await backup(flickr, dir);
        assertEquals(result.code, 7, result.stderr);
        assertStringIncludes(result.stderr, dir);
        assertEquals(flickr.fileRequests().length, 0);
        assertEquals(flickr.apiCallCount(), 0);
      } finally {
        await unmount(dir);
      }
    });
  },
});

// Deno keeps every program short of --allow-all out of /dev (the release
// flags grant --allow-write, which is not enough there): a folder in
// /dev/shm must fail at once with the reason and the fix. This test's own
// permissions do not reach /dev either, so the folder is made, filled and
// removed by mktemp, cp and rm.
Deno.test({
  name:
    "a backup folder under /dev (/dev/shm) stops the run with exit 7 and says to choose another folder",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const made = await new Deno.Command("mktemp", {
      args: ["-d", "-p", "/dev/shm"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!made.success) {
      console.log("skipped: no /dev/shm to make a folder in");
      return;
    }
    const dir = new TextDecoder().decode(made.stdout).trim();
    await using flickr = await startFakeFlickr({ account: demoAccount() });
    try {
      await withTempDir(async (root) => {
        await signIn(flickr, root);
        const copied = await new Deno.Command("cp", {
          args: [join(root, ".flickr_tokens.json"), dir],
        }).output();
        assert(copied.success, "cp of the tokens into /dev/shm");
      });
      const result = await backup(flickr, dir);
      assertEquals(result.code, 7, result.stderr);
      assertStringIncludes(result.stderr, dir);
      assertStringIncludes(
        result.stderr,
        "a system location (under /dev, /proc or /sys) where flickr-backup may not write; choose a backup folder elsewhere",
      );
      assertEquals(flickr.fileRequests().length, 0);
    } finally {
      await new Deno.Command("rm", { args: ["-rf", dir] }).output();
    }
  },
});

Deno.test({
  name:
    "a full disk stops the run with exit 7, keeps no partial file under a final name, and the next run completes",
  ignore: !(await isRoot()),
  fn: async () => {
    const account = demoAccount();
    await using flickr = await startFakeFlickr({ account });
    const { addPhoto } = await import("../fake_flickr/mod.ts");
    addPhoto(flickr.account, {
      content: { kind: "generated", size: 3_000_000, seed: 7, format: "jpg" },
    });
    await withTempDir(async (root) => {
      const dir = join(root, "small");
      if (!(await mountTmpfs(dir, "size=1m"))) return;
      try {
        await signIn(flickr, dir);
        const result = await backup(flickr, dir, [
          "--concurrency",
          "1",
          "--no-embed",
        ]);
        assertEquals(result.code, 7, result.stderr);
        assertStringIncludes(result.stderr.toLowerCase(), "disk full");
        // Whatever is under a final name is whole: equal to what was served.
        const disk = await snapshot(dir, { skip: mediaOnly });
        for (const [rel, file] of disk) {
          if (/\.fbpart|\.fbtmp/.test(rel)) continue;
          const id = rel.split("/").pop()!.split(".")[0]!;
          assertEquals(file.sha256, sha256(await flickr.fileBytes(id)), rel);
        }
        // More room: the same folder completes.
        await new Deno.Command("mount", {
          args: ["-o", "remount,size=16m", dir],
        }).output();
        const second = await backup(flickr, dir);
        assertEquals(second.code, 0, second.stderr);
        assertEquals(
          (await snapshot(dir, { skip: mediaOnly })).size,
          expectedFiles(flickr.account).size,
        );
      } finally {
        await unmount(dir);
      }
    });
  },
});

Deno.test("with the state file lost, files already on disk are recognised, not downloaded again", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals((await backup(flickr, dir)).code, 0);
    const before = await snapshot(dir, { skip: mediaOnly });
    const downloads = flickr.fileRequests().length;
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(join(dir, `.flickr_backup.sqlite${suffix}`)).catch(
        () => undefined,
      );
    }
    const result = await backup(flickr, dir);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(flickr.fileRequests().length, downloads, "file downloads");
    assertEquals(await snapshot(dir, { skip: mediaOnly }), before);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(summary.totals.downloaded, 0);
    assertEquals(summary.totals.adopted, flickr.account.photos.size);
  });
});

Deno.test("a damaged state file is reported with exit 7 and left untouched", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const garbage = new TextEncoder().encode("this is not sqlite\n".repeat(64));
    await Deno.writeFile(join(dir, ".flickr_backup.sqlite"), garbage);
    const result = await backup(flickr, dir);
    assertEquals(result.code, 7, result.stderr);
    assertStringIncludes(result.stderr, ".flickr_backup.sqlite");
    assertStringIncludes(result.stderr, "untouched");
    assertEquals(
      await Deno.readFile(join(dir, ".flickr_backup.sqlite")),
      garbage,
    );
    assertEquals(flickr.fileRequests().length, 0);
  });
});

Deno.test({
  name:
    "Ctrl-C stops at a safe point with exit 130; a second Ctrl-C stops at once; the rerun completes",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using flickr = await startFakeFlickr({ account: demoAccount() });
    await withTempDir(async (dir) => {
      await signIn(flickr, dir);
      flickr.faults.add({
        path: /_o\./,
        kind: "stall",
        afterBytes: 50,
        ms: Infinity,
        times: Infinity,
      });
      for (const presses of [1, 2]) {
        const stalled = flickr.faults.nextStall();
        const child = spawnCli(
          ["backup", "--dir", dir, ...FAST],
          { env: fakeEnv(flickr) },
        );
        // A download of this run is held by the fake: the run is past its
        // start-up (signal handlers installed) and in the middle of its work.
        await stalled;
        // The second press follows at once, while the first is handled.
        for (let i = 0; i < presses; i++) {
          try {
            child.kill("SIGINT");
          } catch {
            // Already gone after the first press: that is allowed too.
          }
        }
        const status = await child.status;
        const stderr = await new Response(child.stderr).text();
        await child.stdout.cancel();
        // Handled by the program, not the default action of the signal.
        assertEquals(status.signal, null, stderr);
        assertEquals(status.code, 130, stderr);
        assertStringIncludes(stderr, "SIGINT");
        const disk = await snapshot(dir, { skip: mediaOnly });
        for (const [rel] of disk) {
          if (/\.fbpart|\.fbtmp/.test(rel)) continue;
          const id = rel.split("/").pop()!.split(".")[0]!;
          assert(flickr.account.photos.has(id), rel);
        }
      }
      flickr.faults.clear();
      const rerun = await backup(flickr, dir);
      assertEquals(rerun.code, 0, rerun.stderr);
      assertEquals(await leftovers(dir), []);
    });
  },
});

Deno.test("the release permission set refuses a redirect to a host that is not Flickr's, naming it, without retrying", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const victim = [...flickr.account.photos.values()].find((p) =>
      p.media === "photo" && p.originalAvailable
    )!;
    // Same server, but reached as "localhost": not in --allow-net.
    const port = new URL(flickr.url).port;
    flickr.faults.add({
      path: new RegExp(`/${victim.id}_`),
      kind: "redirect",
      location: `http://localhost:${port}{path}`,
      times: Infinity,
    });
    const result = await backup(flickr, dir);
    assertEquals(result.code, 3, result.stderr);
    assertStringIncludes(result.stdout + result.stderr, "localhost");
    assertStringIncludes(
      result.stdout + result.stderr,
      "not a Flickr host this program may contact",
    );
    const hits = flickr.requests.filter((r) =>
      r.path.includes(`/${victim.id}_`)
    );
    assertEquals(hits.length, 1, "a refused host is not retried");
    assertEquals(
      flickr.requests.filter((r) => r.headers["host"]?.startsWith("localhost"))
        .length,
      0,
      "nothing reached the other host",
    );
  });
});

Deno.test("--originals-only skips what has no original and says so with counts", async () => {
  await using flickr = await startFakeFlickr({ account: awkwardAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const result = await backup(flickr, dir, [
      "--originals-only",
      "--no-embed",
    ]);
    assertEquals(result.code, 0, result.stderr);
    const noOriginal = [...flickr.account.photos.values()].filter((p) =>
      !p.originalAvailable
    );
    assert(noOriginal.length > 0, "the awkward account has such photos");
    const disk = await snapshot(dir, { skip: mediaOnly });
    for (const photo of noOriginal) {
      assert(
        ![...disk.keys()].some((rel) => rel.includes(photo.id)),
        `${photo.id} was skipped`,
      );
    }
    assertStringIncludes(result.stdout, `${noOriginal.length} skipped`);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "last_run.json")),
    );
    assertEquals(summary.totals.skipped, noOriginal.length);
    assertEquals(summary.nonOriginal.length, 0);
  });
});

Deno.test("--concurrency auto (the default) raises the downloads at once for small files and logs it; a number outside 1-32 is refused", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    const result = await backup(flickr, dir, ["--concurrency", "auto"]);
    assertEquals(result.code, 0, result.stderr + result.stdout);
    const logPath = /log: (.+)$/m.exec(result.stdout)?.[1];
    assert(logPath, result.stdout);
    assertStringIncludes(
      await Deno.readTextFile(logPath.trim()),
      "Downloads at once: up to 32 (automatic, 4 to 32 by file size;",
    );
    for (const bad of ["0", "33", "many"]) {
      const refused = await backup(flickr, dir, ["--concurrency", bad]);
      assertEquals(refused.code, 2, bad);
      assertStringIncludes(refused.stderr, "1 to 32", bad);
    }
  });
});
