import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { FakeClock } from "../platform/clock.ts";
import { StateBatch } from "./state_batch.ts";

/** A batch whose store and folder fsyncs write to one event log. */
function logged(options: { maxItems?: number; failSync?: boolean } = {}) {
  const events: string[] = [];
  const store = {
    transaction<T>(fn: () => T): T {
      events.push("begin");
      const result = fn();
      events.push("commit");
      return result;
    },
  };
  const batch = new StateBatch(store, new FakeClock(), {
    ...(options.maxItems ? { maxItems: options.maxItems } : {}),
    syncDir: (dir) => {
      if (options.failSync) return Promise.reject(new Error("EIO"));
      events.push(`fsync ${dir}`);
      return Promise.resolve();
    },
  });
  return { batch, events };
}

Deno.test("StateBatch fsyncs each marked folder once, before the commit that records its files", async () => {
  const { batch, events } = logged({ maxItems: 3 });
  batch.needsSync("/b/A");
  await batch.add(() => events.push("write 1"));
  batch.needsSync("/b/A");
  batch.needsSync("/b/B");
  await batch.add(() => events.push("write 2"));
  assertEquals(events, [], "nothing happens before the batch is due");
  batch.needsSync("/b/A");
  await batch.add(() => events.push("write 3"));
  assertEquals(events, [
    "fsync /b/A",
    "fsync /b/B",
    "begin",
    "write 1",
    "write 2",
    "write 3",
    "commit",
  ]);
  // The next batch fsyncs only what was marked since.
  events.length = 0;
  batch.needsSync("/b/B");
  await batch.add(() => events.push("write 4"), true);
  assertEquals(events, ["fsync /b/B", "begin", "write 4", "commit"]);
  events.length = 0;
  await batch.flush();
  assertEquals(events, [], "an empty batch does nothing");
});

Deno.test("StateBatch commits nothing when a folder fsync fails", async () => {
  const { batch, events } = logged({ failSync: true });
  batch.needsSync("/b/A");
  await assertRejects(
    () => batch.add(() => events.push("write 1"), true),
    Error,
    "EIO",
  );
  assertEquals(events, [], "the state never gets ahead of the disk");
});
