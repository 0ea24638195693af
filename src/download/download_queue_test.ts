import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../tests/assert.ts";
import {
  AuthError,
  InterruptedError,
  LocalFatalError,
  UnavailableError,
} from "../errors.ts";
import { Gate, isFatalError, runQueue } from "./download_queue.ts";

/** A promise with its resolve function, for stepping workers by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

Deno.test("runQueue() runs every item with at most `concurrency` at once", async () => {
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await runQueue([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], async (n) => {
    running++;
    peak = Math.max(peak, running);
    await tick();
    done.push(n);
    running--;
  }, { concurrency: 3 });
  assertEquals(done.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assertEquals(peak, 3);
});

Deno.test("runQueue() lets a timer fire during a long run of items that finish at once", async () => {
  // Skipped or already-done photos resolve without I/O: without a turn of
  // the event loop now and then, no timer (nor Ctrl-C) would be seen until
  // the whole queue had run.
  let fired = false;
  let doneWhenFired: number | undefined;
  let done = 0;
  const timer = setTimeout(() => {
    fired = true;
    doneWhenFired = done;
  }, 0);
  try {
    await runQueue(
      Array.from({ length: 2_000 }, (_, i) => i),
      async () => {
        await Promise.resolve();
        done++;
      },
      { concurrency: 4 },
    );
  } finally {
    clearTimeout(timer);
  }
  assert(fired, "the timer never fired while the queue ran");
  assert(
    doneWhenFired !== undefined && doneWhenFired < 2_000,
    `the timer fired only after all items (${doneWhenFired})`,
  );
});

Deno.test("runQueue() pulls items lazily from an async iterable", async () => {
  let produced = 0;
  let maxAhead = 0;
  let finished = 0;
  async function* items() {
    for (let i = 0; i < 100_000; i++) {
      produced++;
      maxAhead = Math.max(maxAhead, produced - finished);
      yield i;
    }
  }
  await runQueue(items(), async () => {
    await Promise.resolve();
    finished++;
  }, { concurrency: 4 });
  assertEquals(finished, 100_000);
  assert(maxAhead <= 5, `pulled ${maxAhead} items ahead of the workers`);
});

Deno.test("runQueue() never calls next() concurrently", async () => {
  let inNext = false;
  let overlap = false;
  let i = 0;
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]() {
      return {
        async next() {
          if (inNext) overlap = true;
          inNext = true;
          await tick();
          inNext = false;
          return i < 20
            ? { value: i++, done: false }
            : { value: undefined, done: true };
        },
      };
    },
  };
  await runQueue(iterable, () => Promise.resolve(), { concurrency: 5 });
  assert(!overlap);
  assertEquals(i, 20);
});

Deno.test("runQueue() stops taking items on abort, waits for in-flight work, and rejects with the reason", async () => {
  const controller = new AbortController();
  const gates = [deferred(), deferred()];
  const started: number[] = [];
  const finished: number[] = [];
  let returned = false;
  function* items() {
    try {
      for (let i = 0; i < 1000; i++) yield i;
    } finally {
      returned = true;
    }
  }
  const run = runQueue(items(), async (n, signal) => {
    started.push(n);
    await gates[n]?.promise;
    finished.push(n);
    assert(signal.aborted, "in-flight worker sees the abort");
  }, { concurrency: 2, signal: controller.signal });
  await tick();
  assertEquals(started, [0, 1]);
  const reason = new Error("SIGINT");
  controller.abort(reason);
  gates[0]?.resolve();
  gates[1]?.resolve();
  const err = await assertRejects(() => run);
  assertStrictEquals(err, reason);
  assertEquals(started, [0, 1], "no new item after the abort");
  assertEquals(finished.sort(), [0, 1], "in-flight workers finished");
  assert(returned, "the generator was closed");
});

Deno.test("runQueue() rejects at once when the signal is already aborted", async () => {
  const controller = new AbortController();
  controller.abort(new Error("early"));
  let calls = 0;
  await assertRejects(
    () =>
      runQueue([1, 2], () => {
        calls++;
        return Promise.resolve();
      }, { concurrency: 1, signal: controller.signal }),
    Error,
    "early",
  );
  assertEquals(calls, 0);
});

Deno.test("runQueue() aborts the others and rejects on a fatal worker error", async () => {
  for (
    const fatal of [
      new LocalFatalError("Disk full"),
      new AuthError("Token revoked"),
      new InterruptedError("SIGTERM"),
      Object.assign(new Error("custom"), { fatal: true }),
    ]
  ) {
    const started: number[] = [];
    let sawAbortReason: unknown;
    const slow = deferred();
    const run = runQueue([0, 1, 2, 3, 4, 5], async (n, signal) => {
      started.push(n);
      if (n === 0) {
        signal.addEventListener("abort", () => {
          sawAbortReason = signal.reason;
          slow.resolve();
        });
        await slow.promise;
        return;
      }
      await tick();
      throw fatal;
    }, { concurrency: 2 });
    const err = await assertRejects(() => run);
    assertStrictEquals(err, fatal);
    assertStrictEquals(sawAbortReason, fatal);
    assertEquals(started, [0, 1], "nothing started after the fatal error");
    assert(isFatalError(fatal));
  }
});

Deno.test("runQueue() lets in-flight work finish and rethrows an escaped ordinary error", async () => {
  const started: number[] = [];
  let otherAborted = false;
  const bug = new TypeError("worker bug");
  const run = runQueue([0, 1, 2, 3], async (n, signal) => {
    started.push(n);
    if (n === 1) throw bug;
    await tick();
    await tick();
    otherAborted = signal.aborted;
  }, { concurrency: 2 });
  const err = await assertRejects(() => run);
  assertStrictEquals(err, bug);
  assertEquals(started, [0, 1]);
  assert(!otherAborted, "ordinary errors do not abort other workers");
  assert(!isFatalError(bug));
  assert(!isFatalError(new UnavailableError("later")));
});

Deno.test("runQueue() rethrows an error from the item source after in-flight work", async () => {
  const listing = new Error("listing failed");
  let finished = 0;
  async function* items() {
    yield 1;
    yield 2;
    throw listing;
  }
  const err = await assertRejects(() =>
    runQueue(items(), async () => {
      await tick();
      finished++;
    }, { concurrency: 1 })
  );
  assertStrictEquals(err, listing);
  assertEquals(finished, 2);
});

Deno.test("runQueue() rejects a bad concurrency", async () => {
  await assertRejects(
    () => runQueue([], () => Promise.resolve(), { concurrency: 0 }),
    RangeError,
  );
});

Deno.test("Gate lets `limit` callers in at once, the others in arrival order", async () => {
  const gate = new Gate(2);
  const steps = [deferred(), deferred(), deferred(), deferred()];
  const entered: number[] = [];
  const runs = steps.map((step, i) =>
    gate.run(async () => {
      entered.push(i);
      await step.promise;
      return i * 10;
    })
  );
  await tick();
  assertEquals(entered, [0, 1]);
  steps[1]!.resolve();
  await tick();
  assertEquals(entered, [0, 1, 2]);
  steps[0]!.resolve();
  await tick();
  assertEquals(entered, [0, 1, 2, 3]);
  steps[2]!.resolve();
  steps[3]!.resolve();
  assertEquals(await Promise.all(runs), [0, 10, 20, 30]);
});

Deno.test("Gate frees its place when the call throws, and stops waiting on abort", async () => {
  const gate = new Gate(1);
  await assertRejects(() => gate.run(() => Promise.reject(new Error("boom"))));
  const hold = deferred();
  const first = gate.run(() => hold.promise);
  const controller = new AbortController();
  const waiting = gate.run(() => Promise.resolve("never"), controller.signal);
  controller.abort(new InterruptedError("SIGINT"));
  await assertRejects(() => waiting, InterruptedError);
  hold.resolve();
  await first;
  // The aborted caller left no ghost in the queue: the gate is free.
  assertEquals(await gate.run(() => Promise.resolve("next")), "next");
  assertThrows(() => new Gate(0), RangeError);
});

Deno.test("Gate.setLimit() lets waiting callers in when raised, and none new in until under a lowered limit", async () => {
  const gate = new Gate(1);
  const steps = [deferred(), deferred(), deferred(), deferred(), deferred()];
  const entered: number[] = [];
  const runs = steps.map((step, i) =>
    gate.run(async () => {
      entered.push(i);
      await step.promise;
    })
  );
  await tick();
  assertEquals(entered, [0]);
  gate.setLimit(3);
  await tick();
  assertEquals(entered, [0, 1, 2]);
  assertEquals(gate.active, 3);
  // Lowered below the calls inside: none is stopped, none new comes in
  // until fewer than 1 are inside.
  gate.setLimit(1);
  steps[0]!.resolve();
  steps[1]!.resolve();
  await tick();
  assertEquals(entered, [0, 1, 2]);
  assertEquals(gate.active, 1);
  steps[2]!.resolve();
  await tick();
  assertEquals(entered, [0, 1, 2, 3]);
  assertEquals(gate.active, 1);
  steps[3]!.resolve();
  steps[4]!.resolve();
  await Promise.all(runs);
  assertEquals(entered, [0, 1, 2, 3, 4]);
  assertEquals(gate.active, 0);
  assertThrows(() => gate.setLimit(0), RangeError);
  assertEquals(gate.limit, 1);
});

Deno.test("Gate calls `settled` with each result before letting the next caller in", async () => {
  const seen: string[] = [];
  const gate: Gate<number> = new Gate<number>(1, {
    settled: (result) => {
      seen.push(`settled ${result}`);
      // Raised by what came back: the two waiting callers go in together.
      gate.setLimit(result);
    },
  });
  const hold = deferred();
  const first = gate.run(async () => {
    await hold.promise;
    return 2;
  });
  const others = [1, 2].map((i) =>
    gate.run(() => {
      seen.push(`entered ${i}`);
      return Promise.resolve(2);
    })
  );
  await tick();
  assertEquals(seen, []);
  hold.resolve();
  await first;
  await Promise.all(others);
  assertEquals(seen.slice(0, 3), ["settled 2", "entered 1", "entered 2"]);
  // A failed call settles nothing and frees its place.
  await assertRejects(() => gate.run(() => Promise.reject(new Error("x"))));
  assertEquals(seen.length, 5);
  assertEquals(gate.active, 0);
});
