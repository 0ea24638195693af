import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { FakeClock } from "../platform/clock.ts";
import { retryPasses } from "./retry_passes.ts";

const options = (clock: FakeClock, signal = new AbortController().signal) => ({
  clock,
  signal,
  budgetMs: 600_000,
  firstDelayMs: 10_000,
  maxPasses: 6,
});

Deno.test("retryPasses retries failed items with doubling waits until none is left", async () => {
  const clock = new FakeClock();
  let failing = ["a", "b", "c"];
  const passes: string[][] = [];
  const made = await retryPasses(
    () => failing,
    async (ids) => {
      passes.push(ids);
      failing = ids.slice(1); // one more succeeds each pass
      await Promise.resolve();
    },
    () => {},
    options(clock),
  );
  assertEquals(made, 3);
  assertEquals(passes, [["a", "b", "c"], ["b", "c"], ["c"]]);
  assertEquals(clock.sleeps, [10_000, 20_000, 40_000]);
});

Deno.test("retryPasses stops at the time budget and at the pass limit", async () => {
  const clock = new FakeClock();
  const made = await retryPasses(
    () => ["x"],
    () => Promise.resolve(),
    () => {},
    {
      ...options(clock),
      budgetMs: 100_000,
    },
  );
  // 10 + 20 + 40 = 70 s; the next 80 s wait would pass the 100 s budget.
  assertEquals(made, 3);
  assertEquals(clock.sleeps, [10_000, 20_000, 40_000]);
  const other = new FakeClock();
  assertEquals(
    await retryPasses(() => ["x"], () => Promise.resolve(), () => {}, {
      ...options(other),
      budgetMs: Infinity,
      maxPasses: 2,
    }),
    2,
  );
});

Deno.test("retryPasses stops at once when aborted", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  controller.abort(new Error("SIGTERM"));
  await assertRejects(
    () =>
      retryPasses(
        () => ["x"],
        () => Promise.resolve(),
        () => {},
        options(
          clock,
          controller.signal,
        ),
      ),
    Error,
    "SIGTERM",
  );
});
