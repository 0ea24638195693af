import * as path from "node:path";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { LocalFatalError } from "../errors.ts";
import {
  atomicWriteFile,
  classifyFsError,
  fsyncDir,
  isInside,
  linkOrCopy,
  tempPathFor,
  truncateUtf8,
} from "./fs.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb_fs_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

function osError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("atomicWriteFile() writes, replaces and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "state.json");
    await atomicWriteFile(file, "one");
    assertEquals(await Deno.readTextFile(file), "one");
    await atomicWriteFile(file, new TextEncoder().encode("two"));
    assertEquals(await Deno.readTextFile(file), "two");
    assertEquals(await listNames(dir), ["state.json"]);
  });
});

Deno.test("atomicWriteFile() applies mode on POSIX", {
  ignore: Deno.build.os === "windows",
}, async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "token.json");
    await atomicWriteFile(file, "secret", { mode: 0o600 });
    const info = await Deno.stat(file);
    assertEquals((info.mode ?? 0) & 0o777, 0o600);
  });
});

Deno.test("atomicWriteFile() rethrows NotFound and leaves nothing when the dir is missing", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "missing", "x.json");
    // ENOENT is not a local-fatal class: it is rethrown as is.
    await assertRejects(() => atomicWriteFile(file, "x"), Deno.errors.NotFound);
    assertEquals(await listNames(dir), []);
  });
});

Deno.test("tempPathFor() keeps temp names under NAME_MAX and in the same dir", () => {
  const long = "é".repeat(200) + ".jpg";
  const tmp = tempPathFor(path.join("/a/b", long));
  assertEquals(path.dirname(tmp), "/a/b");
  const base = path.basename(tmp);
  assert(new TextEncoder().encode(base).length < 255, base);
  assert(base.startsWith(".") && base.endsWith(".fbtmp"));
  assertEquals(truncateUtf8("aé", 2), "a");
});

Deno.test("fsyncDir() succeeds on a directory", async () => {
  await withTempDir(async (dir) => {
    await fsyncDir(dir);
  });
});

Deno.test("isInside() resolves before comparing", () => {
  assert(isInside("/root", "/root/a"));
  assert(isInside("/root", "/root/a/../b"));
  assert(isInside("/root", "/root/..foo"));
  assert(!isInside("/root", "/root"));
  assert(!isInside("/root", "/root/.."));
  assert(!isInside("/root", "/root/../etc"));
  assert(!isInside("/root", "/rootx/a"));
  assert(!isInside("/root", "/etc/passwd"));
  assert(isInside("/root", path.join("/root", "a\\..\\..\\b")));
});

Deno.test("linkOrCopy() hardlinks, copies and symlinks, and is a no-op when done", async () => {
  await withTempDir(async (dir) => {
    const src = path.join(dir, "src.jpg");
    await Deno.writeFile(src, new Uint8Array([1, 2, 3]));

    const hard = path.join(dir, "hard.jpg");
    assertEquals(await linkOrCopy(src, hard, "hardlink"), "hardlink");
    assertEquals((await Deno.stat(hard)).ino, (await Deno.stat(src)).ino);
    assertEquals(await linkOrCopy(src, hard, "hardlink"), "unchanged");

    const copy = path.join(dir, "copy.jpg");
    assertEquals(await linkOrCopy(src, copy, "copy"), "copy");
    assert((await Deno.stat(copy)).ino !== (await Deno.stat(src)).ino);
    assertEquals(await Deno.readFile(copy), new Uint8Array([1, 2, 3]));
    assertEquals(await linkOrCopy(src, copy, "copy"), "unchanged");
    // Same content counts as done whatever the mode.
    assertEquals(await linkOrCopy(src, copy, "hardlink"), "unchanged");

    await Deno.mkdir(path.join(dir, "album"));
    const sym = path.join(dir, "album", "sym.jpg");
    assertEquals(await linkOrCopy(src, sym, "symlink"), "symlink");
    assertEquals(await Deno.readLink(sym), path.join("..", "src.jpg"));
    assertEquals(await linkOrCopy(src, sym, "symlink"), "unchanged");

    assertEquals(
      (await listNames(dir)).filter((n) => n.endsWith(".fbtmp")),
      [],
    );
  });
});

Deno.test("linkOrCopy() replaces a different existing file atomically", async () => {
  await withTempDir(async (dir) => {
    const src = path.join(dir, "src.jpg");
    const dest = path.join(dir, "dest.jpg");
    await Deno.writeFile(src, new Uint8Array([1, 2, 3]));
    await Deno.writeFile(dest, new Uint8Array([9, 9, 9]));
    assertEquals(await linkOrCopy(src, dest, "copy"), "copy");
    assertEquals(await Deno.readFile(dest), new Uint8Array([1, 2, 3]));
    await Deno.writeFile(dest, new Uint8Array([9, 9]));
    assertEquals(await linkOrCopy(src, dest, "hardlink"), "hardlink");
    assertEquals(await Deno.readFile(dest), new Uint8Array([1, 2, 3]));
    assertEquals(await listNames(dir), ["dest.jpg", "src.jpg"]);
  });
});

Deno.test("linkOrCopy() falls back to a copy across devices", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  // /dev/shm is a tmpfs on Linux; a hard link from there to the temp dir
  // fails with EXDEV when they are different file systems.
  let shm: string;
  try {
    shm = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "fb_fs_test_" });
  } catch {
    return;
  }
  try {
    await withTempDir(async (dir) => {
      if ((await Deno.stat(shm)).dev === (await Deno.stat(dir)).dev) return;
      const src = path.join(shm, "src.jpg");
      await Deno.writeFile(src, new Uint8Array([4, 5]));
      const dest = path.join(dir, "dest.jpg");
      assertEquals(await linkOrCopy(src, dest, "hardlink"), "copy");
      assertEquals(await Deno.readFile(dest), new Uint8Array([4, 5]));
    });
  } finally {
    await Deno.remove(shm, { recursive: true });
  }
});

Deno.test("classifyFsError() turns disk-full and permission errors into LocalFatalError", () => {
  const cases: [unknown, string][] = [
    [
      osError("ENOSPC", "No space left on device (os error 28)"),
      'Disk full: cannot write "/b/x.jpg"; free space on "/b"',
    ],
    [new Error("No space left on device (os error 28)"), "Disk full"],
    [osError("EDQUOT", "Disk quota exceeded (os error 122)"), "Disk full"],
    [
      osError("EROFS", "Read-only file system (os error 30)"),
      'Cannot write to "/b/x.jpg": the file system is read-only',
    ],
    [
      Object.assign(new Deno.errors.PermissionDenied("Permission denied"), {
        code: "EACCES",
      }),
      'Cannot write to "/b/x.jpg": check permissions',
    ],
    [osError("EPERM", "Operation not permitted"), "check permissions"],
    [
      new Deno.errors.NotCapable('Requires write access to "/b/x.jpg"'),
      "not granted access there (--allow-write); check permissions",
    ],
    [
      // Deno's words for /dev/shm/... under the release flags.
      new Deno.errors.NotCapable(
        'Requires all access to "/b/x.jpg", run again with the --allow-all flag',
      ),
      "a system location (under /dev, /proc or /sys) where flickr-backup may not write; choose a backup folder elsewhere",
    ],
  ];
  for (const [err, text] of cases) {
    const out = classifyFsError(err, "/b/x.jpg");
    assert(out instanceof LocalFatalError, String(err));
    assertEquals(out.exitCode, 7);
    assertStringIncludes(out.message, text);
    assertEquals(out.cause, err);
  }
  const notFound = new Deno.errors.NotFound("nope");
  assertEquals(classifyFsError(notFound, "/x"), notFound);
  const other = new TypeError("bug");
  assertEquals(classifyFsError(other, "/x"), other);
});
