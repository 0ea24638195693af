import { assertEquals } from "../../tests/assert.ts";
import { FakeClock } from "../platform/clock.ts";
import { IdleTimer } from "./_idle_timer.ts";

function timer(clock: FakeClock) {
  const fired: string[] = [];
  const idle = new IdleTimer(
    clock,
    1_000,
    { bytes: 100, windowMs: 10_000 },
    () => fired.push(`idle at ${clock.now()}`),
    (bytes) => fired.push(`slow (${bytes} bytes) at ${clock.now()}`),
  );
  return { idle, fired };
}

Deno.test("IdleTimer fires ms after the last kick, with one timer armed however often it is kicked", () => {
  const clock = new FakeClock(0);
  const { idle, fired } = timer(clock);
  idle.start();
  for (let i = 0; i < 5; i++) {
    clock.advance(300);
    idle.kick(10);
  }
  assertEquals(clock.pendingTimers, 1);
  clock.advance(999); // 999 ms after the last kick (at 1,500)
  assertEquals(fired, []);
  assertEquals(clock.pendingTimers, 1);
  clock.advance(1);
  assertEquals(fired, ["idle at 2500"]);
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("IdleTimer fires at once when a long jump passes the moved deadline, and never after stop", () => {
  const clock = new FakeClock(0);
  const { idle, fired } = timer(clock);
  idle.start();
  clock.advance(400);
  idle.kick();
  clock.advance(50_000);
  assertEquals(fired, ["idle at 50400"]);

  const other = timer(clock);
  other.idle.start();
  other.idle.startBody();
  clock.advance(600);
  other.idle.kick(500);
  other.idle.stop();
  assertEquals(clock.pendingTimers, 0);
  clock.advance(60_000);
  assertEquals(other.fired, []);
});

Deno.test("IdleTimer still requires minimum progress while kicked often", () => {
  const clock = new FakeClock(0);
  const { idle, fired } = timer(clock);
  idle.start();
  idle.startBody();
  for (let t = 0; t < 10_000; t += 500) {
    clock.advance(500);
    idle.kick(1);
  }
  assertEquals(fired, ["slow (19 bytes) at 10000"]);
});
