import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import { createFlickrClient } from "../flickr/client.ts";
import { flickrEndpoints } from "../flickr/endpoints.ts";
import { FakeClock } from "../platform/clock.ts";
import { fetchClient } from "./http_client.ts";
import { capBody, withDeadline } from "./deadline.ts";
import { TransientError } from "./errors.ts";

Deno.test("withDeadline aborts on the injected clock and reports a transient failure", async () => {
  const clock = new FakeClock();
  const pending = withDeadline(
    clock,
    60_000,
    undefined,
    (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      ),
  );
  clock.advance(59_999);
  assertEquals(clock.pendingTimers, 1);
  clock.advance(1);
  const error = await assertRejects(() => pending, TransientError);
  assertStringIncludes(error.message, "no complete answer within 60 s");
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("capBody stops reading an oversized answer with a clean error (exit 5)", async () => {
  const chunk = new Uint8Array(1024 * 1024);
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      sent++;
      c.enqueue(chunk);
    },
  });
  const capped = capBody(
    new Response(endless),
    "flickr.test",
    8 * chunk.length,
  );
  const error = await assertRejects(() => capped.text(), AppError);
  assertEquals(error.exitCode, 5);
  assertStringIncludes(error.message, "larger than 8 MB");
  assertEquals(sent < 12, true, `${sent} MB read`);
  await assertRejects(
    async () =>
      await capBody(
        new Response("{}", { headers: { "content-length": "629145600" } }),
        "flickr.test",
      ),
    AppError,
  );
});

Deno.test("an API call that is never answered is retried after its deadline (issue 14 case 2)", async () => {
  const clock = new FakeClock();
  let requests = 0;
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      requests++;
      if (requests === 1) {
        clock.advance(60_000); // a minute of (virtual) silence
        await released;
        return new Response("late");
      }
      return Response.json({ stat: "ok", user: { id: "1@N01" } });
    },
  );
  try {
    const client = createFlickrClient({
      http: fetchClient,
      clock,
      endpoints: flickrEndpoints(`http://127.0.0.1:${server.addr.port}`),
      credentials: { consumerKey: "k", consumerSecret: "s" },
      retry: { baseMs: 1 },
    });
    const user = await client.testLogin();
    assertEquals(user.nsid, "1@N01");
    assertEquals(requests, 2);
  } finally {
    release();
    await server.shutdown();
  }
});
