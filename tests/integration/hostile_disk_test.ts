/**
 * Issue 14, full disk: exit 7 everywhere (state file, downloads, metadata)
 * with the path and the room needed, the state consistent, and a photo whose
 * metadata could not be written stays pending until a later run writes it.
 * Needs a real small file system, so it runs as root on Linux (CI).
 */

import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import {
  addPhoto,
  createAccount,
  demoAccount,
  type FakeFlickr,
  startFakeFlickr,
} from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";

async function isRoot(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const out = await new Deno.Command("id", { args: ["-u"] }).output();
  return new TextDecoder().decode(out.stdout).trim() === "0";
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  return (await new Deno.Command(cmd, { args, stderr: "null" }).output())
    .success;
}

/** Mounts a `size` tmpfs at `dir`, signs in, leaves `free` bytes free. */
async function smallDisk(
  flickr: FakeFlickr,
  dir: string,
  size: string,
  free: number,
): Promise<boolean> {
  await Deno.mkdir(dir, { recursive: true });
  if (
    !(await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]))
  ) {
    return false;
  }
  await signIn(flickr, dir);
  const df = await new Deno.Command("df", {
    args: ["-B1", "--output=avail", dir],
  }).output();
  const avail = Number(new TextDecoder().decode(df.stdout).split("\n")[1]);
  await Deno.writeFile(
    join(dir, "filler"),
    new Uint8Array(Math.max(0, avail - free)),
  );
  return true;
}

const ARGS = ["--retry-delay", "10", "--concurrency", "1"];

Deno.test({
  name:
    "a full disk under the state file is exit 7 naming it, never a crash, and the next run completes (issue 14 case 4)",
  ignore: !(await isRoot()),
  fn: async () => {
    await using flickr = await startFakeFlickr({ account: demoAccount() });
    for (const free of [40_000, 250_000, 600_000]) {
      await withTempDir(async (root) => {
        const dir = join(root, "small");
        if (!(await smallDisk(flickr, dir, "2m", free))) return;
        try {
          const result = await runCliProcess(
            ["backup", "--dir", dir, "--no-embed", ...ARGS],
            { env: fakeEnv(flickr) },
          );
          assertEquals(result.code, 7, `${free}: ${result.stderr}`);
          assert(/Disk full|I\/O error/.test(result.stderr), result.stderr);
          assert(!result.stderr.includes("a bug"), result.stderr);
          assert(!result.stderr.includes("    at "), result.stderr);
          await Deno.remove(join(dir, "filler"));
          const again = await runCliProcess(
            ["backup", "--dir", dir, "--no-embed", ...ARGS],
            { env: fakeEnv(flickr) },
          );
          assertEquals(again.code, 0, `${free}: ${again.stderr}`);
        } finally {
          await run("umount", [dir]);
        }
      });
    }
  },
});

Deno.test({
  name:
    "metadata that cannot be written for a full disk leaves the photo pending; the next run writes it (issue 14 case 4)",
  ignore: !(await isRoot()),
  fn: async () => {
    const account = createAccount();
    const photo = addPhoto(account, {
      title: "Needs room",
      content: { kind: "generated", size: 600_000, seed: 9, format: "jpg" },
    });
    await using flickr = await startFakeFlickr({ account });
    await withTempDir(async (root) => {
      const dir = join(root, "small");
      // Room for the download, not for the rewritten copy embedding makes.
      if (!(await smallDisk(flickr, dir, "4m", 900_000))) return;
      try {
        const result = await runCliProcess(["backup", "--dir", dir, ...ARGS], {
          env: fakeEnv(flickr),
        });
        assertEquals(result.code, 7, result.stderr + result.stdout);
        assert(/Disk full/.test(result.stderr), result.stderr);
        await Deno.remove(join(dir, "filler"));
        const again = await runCliProcess(["backup", "--dir", dir, ...ARGS], {
          env: fakeEnv(flickr),
        });
        assertEquals(again.code, 0, again.stderr);
        const sidecar = JSON.parse(
          await Deno.readTextFile(
            join(dir, "Unsorted", `${photo.id}.jpg.json`),
          ),
        );
        assertEquals(
          sidecar.metadata_in_file.status,
          "written",
        );
        const exif = await new Deno.Command("exiftool", {
          args: [
            "-s3",
            "-XMP-dc:Title",
            join(dir, "Unsorted", `${photo.id}.jpg`),
          ],
        }).output();
        assertEquals(
          new TextDecoder().decode(exif.stdout).trim(),
          "Needs room",
        );
      } finally {
        await run("umount", [dir]);
      }
    });
  },
});
