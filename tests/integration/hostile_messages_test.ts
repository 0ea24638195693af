/**
 * Issue 14, messages: clean errors for what a user or Flickr can cause, no
 * escape codes printed or logged, usage errors for bad commands and folders,
 * important warnings under -q, status/verify on a read-only copy, and
 * adopting files after a lost state keeps what Flickr served.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  addAlbum,
  addPhoto,
  createAccount,
  demoAccount,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";

const FAST = ["--retry-delay", "10"];

function noStack(text: string) {
  assert(!text.includes("    at "), text);
  assert(!text.includes("a bug"), text);
}

async function logText(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".log")) {
      text += await Deno.readTextFile(join(dir, entry.name));
    }
  }
  return text;
}

Deno.test("escape codes in album titles and Flickr messages are never printed or logged (issue 14 case 10)", async () => {
  const account = createAccount();
  const album = addAlbum(account, {
    title: "Evil\x1b[2J\x1b]0;pwned\x07 album",
  });
  addPhoto(account, { albums: [album.id] });
  await using flickr = await startFakeFlickr({ account });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    flickr.faults.add({
      method: "flickr.photosets.getPhotos",
      kind: "statFail",
      code: 1,
      message: "Photoset \x1b[31mnot\x1b[0m found\x9b",
      times: 1,
    });
    const result = await runCliProcess(
      ["backup", "--dir", dir, ...FAST, "--full"],
      { env: fakeEnv(flickr) },
    );
    const all = result.stdout + result.stderr + await logText(dir);
    assert(all.includes("Evil"), all);
    for (const control of ["\x1b", "\x07", "\x9b"]) {
      assert(!all.includes(control), JSON.stringify(all));
    }
    noStack(result.stderr);
  });
});

Deno.test('--dir "" and an unknown command are usage errors (exit 2) (issue 14)', async () => {
  const empty = await runCliProcess(["backup", "--dir", ""]);
  assertEquals(empty.code, 2, empty.stderr);
  assertStringIncludes(empty.stderr, "empty");
  const typo = await runCliProcess(["bakup", "--dir", "/tmp/x"]);
  assertEquals(typo.code, 2, typo.stderr);
  assertStringIncludes(typo.stderr, 'unknown command "bakup"');
});

Deno.test("verify and status on a missing folder or a file are clean usage errors (issue 14 case 9)", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "x");
    for (const command of ["verify", "status"]) {
      for (const target of [join(dir, "missing"), file]) {
        const result = await runCliProcess([command, "--dir", target]);
        assertEquals(result.code, 2, `${command} ${target}: ${result.stderr}`);
        assertStringIncludes(result.stderr, target);
        noStack(result.stderr);
      }
    }
  });
});

Deno.test("a world-readable sign-in is warned about even with -q (issue 14)", async () => {
  if (Deno.build.os === "windows") return;
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    await Deno.chmod(join(dir, ".flickr_tokens.json"), 0o644);
    const result = await runCliProcess(
      ["backup", "--dir", dir, "-q", ...FAST],
      { env: fakeEnv(flickr) },
    );
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stderr, "can be read by other users");
  });
});

Deno.test("adopting files after the state is lost keeps the served hash and size in the sidecars (issue 14)", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  await withTempDir(async (dir) => {
    await signIn(flickr, dir);
    assertEquals(
      (await runCliProcess(["backup", "--dir", dir, ...FAST], {
        env: fakeEnv(flickr),
      })).code,
      0,
    );
    const photo = [...flickr.account.photos.values()].find((p) =>
      p.media === "photo" && p.originalAvailable
    )!;
    const sidecarPath = async () => {
      for await (const entry of Deno.readDir(join(dir, "Unsorted"))) {
        if (entry.name === `${photo.id}.${photo.originalFormat}.json`) {
          return join(dir, "Unsorted", entry.name);
        }
      }
      for await (const folder of Deno.readDir(dir)) {
        if (!folder.isDirectory || folder.name.startsWith(".")) continue;
        const path = join(
          dir,
          folder.name,
          `${photo.id}.${photo.originalFormat}.json`,
        );
        try {
          await Deno.lstat(path);
          return path;
        } catch {
          // not in this folder
        }
      }
      throw new Error("no sidecar");
    };
    const path = await sidecarPath();
    const before = JSON.parse(await Deno.readTextFile(path)).saved;
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(join(dir, `.flickr_backup.sqlite${suffix}`)).catch(
        () => undefined,
      );
    }
    const again = await runCliProcess(["backup", "--dir", dir, ...FAST], {
      env: fakeEnv(flickr),
    });
    assertEquals(again.code, 0, again.stderr);
    const after = JSON.parse(await Deno.readTextFile(path)).saved;
    assertEquals(after.sha256_downloaded, before.sha256_downloaded);
    assertEquals(after.bytes, before.bytes);
    assertEquals([after.width, after.height], [before.width, before.height]);
  });
});

async function isRoot(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const out = await new Deno.Command("id", { args: ["-u"] }).output();
  return new TextDecoder().decode(out.stdout).trim() === "0";
}

Deno.test({
  name: "status and verify work on a read-only copy of a backup (issue 14)",
  ignore: !(await isRoot()),
  fn: async () => {
    await using flickr = await startFakeFlickr({ account: demoAccount() });
    await withTempDir(async (root) => {
      const source = join(root, "source");
      await signIn(flickr, source);
      const made = await runCliProcess(
        ["backup", "--dir", source, "--no-embed", ...FAST],
        { env: fakeEnv(flickr) },
      );
      assertEquals(made.code, 0, made.stderr);
      const copy = join(root, "copy");
      await Deno.mkdir(copy);
      const mount = (args: string[]) =>
        new Deno.Command("mount", { args, stderr: "null" }).output();
      if (
        !(await mount(["-t", "tmpfs", "-o", "size=16m", "tmpfs", copy])).success
      ) {
        return;
      }
      try {
        await new Deno.Command("cp", { args: ["-a", `${source}/.`, copy] })
          .output();
        await mount(["-o", "remount,ro", copy]);
        const status = await runCliProcess(["status", "--dir", copy]);
        assertEquals(status.code, 0, status.stderr);
        const verify = await runCliProcess(["verify", "--dir", copy]);
        assertEquals(verify.code, 0, verify.stderr + verify.stdout);
        noStack(verify.stderr);
      } finally {
        await new Deno.Command("umount", { args: [copy] }).output();
      }
    });
  },
});
