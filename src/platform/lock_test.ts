import * as path from "node:path";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { LockedError } from "../errors.ts";
import { FakeClock } from "./clock.ts";
import { acquireLock, LOCK_FILE_NAME } from "./lock.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb_lock_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Spawns `deno eval` that takes the lock, prints "locked", then waits. */
async function spawnHolder(dir: string): Promise<Deno.ChildProcess> {
  const lockModule = new URL("./lock.ts", import.meta.url).href;
  const code = `
    import { acquireLock } from ${JSON.stringify(lockModule)};
    await acquireLock(${JSON.stringify(dir)});
    console.log("locked");
    await new Promise(() => setInterval(() => {}, 1000));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`holder exited early: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  await child.stdout.cancel();
  return child;
}

Deno.test("acquireLock() writes pid and start time, and can be taken again after release", async () => {
  await withTempDir(async (dir) => {
    const clock = new FakeClock(Date.UTC(2024, 0, 2, 3, 4, 5));
    const lock = await acquireLock(dir, { clock });
    assertEquals(lock.path, path.join(dir, LOCK_FILE_NAME));
    const info = JSON.parse(await Deno.readTextFile(lock.path));
    assertEquals(info.pid, Deno.pid);
    assertEquals(info.startedAt, "2024-01-02T03:04:05.000Z");
    await lock.release();
    await lock.release(); // idempotent
    {
      await using again = await acquireLock(dir);
      assert(again.path.endsWith(LOCK_FILE_NAME));
    }
    // Released by `await using`: a third acquire works.
    const third = await acquireLock(dir);
    await third.release();
  });
});

Deno.test("acquireLock() fails with LockedError in the same process while held", async () => {
  await withTempDir(async (dir) => {
    await using _held = await acquireLock(dir);
    const err = await assertRejects(() => acquireLock(dir), LockedError);
    assertEquals(err.exitCode, 6);
    assertStringIncludes(err.message, `pid ${Deno.pid}`);
  });
});

Deno.test(
  "acquireLock() is refused while another process holds it and freed by SIGKILL",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    await withTempDir(async (dir) => {
      const child = await spawnHolder(dir);
      try {
        const err = await assertRejects(() => acquireLock(dir), LockedError);
        assertStringIncludes(
          err.message,
          `Another flickr-backup run (pid ${child.pid}`,
        );
        assertStringIncludes(err.message, ", started ");
        assertStringIncludes(
          err.message,
          `is using "${dir}"; wait for it to finish or stop it`,
        );
      } finally {
        child.kill("SIGKILL");
        await child.status;
      }
      // The kernel dropped the dead process's lock: no stale-lock cleanup.
      const lock = await acquireLock(dir);
      const info = JSON.parse(await Deno.readTextFile(lock.path));
      assertEquals(info.pid, Deno.pid);
      await lock.release();
    });
  },
);
