import { assertEquals } from "../../tests/assert.ts";
import { FAST_MS, FsyncPace, HAND_OFF_RUN } from "./fsync_pace.ts";

/** A file whose in-place fsync takes the next duration of `durations`. */
function fakeFile(clock: { t: number }, durations: number[]) {
  const calls: ("in place" | "handed off")[] = [];
  return {
    calls,
    file: {
      syncSync() {
        calls.push("in place");
        clock.t += durations.shift() ?? 0;
      },
      sync() {
        calls.push("handed off");
        return Promise.resolve();
      },
    },
  };
}

Deno.test("FsyncPace waits in place while fsyncs are fast", async () => {
  const clock = { t: 0 };
  const pace = new FsyncPace(() => clock.t);
  const { calls, file } = fakeFile(clock, Array(200).fill(FAST_MS / 2));
  for (let i = 0; i < 200; i++) await pace.sync(file);
  assertEquals(calls.filter((c) => c === "in place").length, 200);
  assertEquals(pace.handingOff, false);
});

Deno.test("FsyncPace hands off after a slow fsync, then measures again", async () => {
  const clock = { t: 0 };
  const pace = new FsyncPace(() => clock.t);
  // Slow, then (after the hand-offs) a slow probe, then a fast probe.
  const { calls, file } = fakeFile(clock, [FAST_MS, 3, 0.01, 0.01]);
  const total = 1 + HAND_OFF_RUN + 1 + HAND_OFF_RUN + 2;
  for (let i = 0; i < total; i++) await pace.sync(file);
  const expected = [
    "in place",
    ...Array(HAND_OFF_RUN).fill("handed off"),
    "in place",
    ...Array(HAND_OFF_RUN).fill("handed off"),
    "in place",
    "in place",
  ];
  assertEquals(calls, expected);
  assertEquals(pace.handingOff, false);
});
