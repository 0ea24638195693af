/**
 * Client behaviour the fake Flickr does not stage: signed GETs that redirect
 * or downgrade, where OAuth material travels, and Deno refusing a host. Each
 * test runs a purpose-built server over real HTTP.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { UnavailableError } from "../errors.ts";
import { fetchClient } from "../http/http_client.ts";
import { percentEncode, signBaseString } from "../oauth/signature.ts";
import { FakeClock } from "../platform/clock.ts";
import { createFlickrClient } from "./client.ts";
import { flickrEndpoints } from "./endpoints.ts";
import { FlickrProtocolError } from "./errors.ts";

const CREDENTIALS = {
  consumerKey: "653e7a6ecc1d528c516cc8f92cf98611",
  consumerSecret: "1a3c208e172d3edc",
  token: "72157626318069415-087bfc7b5816092c",
  tokenSecret: "a202d1f853ec69de",
};

interface Seen {
  url: string;
  authorization: string | null;
  valid: boolean;
}

/** Checks an OAuth header the way Flickr does (params from header + query). */
function signatureValid(request: Request): boolean {
  const header = request.headers.get("authorization") ?? "";
  const params: Record<string, string[]> = {};
  const add = (k: string, v: string) => (params[k] ??= []).push(v);
  let signature = "";
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) {
    const [name, value] = [m[1] ?? "", decodeURIComponent(m[2] ?? "")];
    if (name === "oauth_signature") signature = value;
    else add(name, value);
  }
  const url = new URL(request.url);
  for (const [k, v] of url.searchParams) add(k, v);
  const pairs = Object.keys(params).sort().flatMap((k) =>
    (params[k] ?? []).map((v) => `${percentEncode(k)}=${percentEncode(v)}`)
      .sort()
  );
  const base = `${request.method}&${
    percentEncode(`${url.origin}${url.pathname}`)
  }&${percentEncode(pairs.join("&"))}`;
  return signBaseString(
    base,
    CREDENTIALS.consumerSecret,
    CREDENTIALS.tokenSecret,
  ) === signature;
}

function serve(handler: (request: Request) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push({
        url: request.url,
        authorization: request.headers.get("authorization"),
        valid: signatureValid(request),
      });
      return handler(request);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return { server, seen, origin, endpoints: flickrEndpoints(origin) };
}

Deno.test("call() keeps tokens out of the URL and signs every try afresh", async () => {
  let hits = 0;
  const fake = serve(() =>
    ++hits === 1 ? new Response("busy", { status: 503 }) : Response.json({
      user: { id: "1@N01", username: { _content: "me" } },
      stat: "ok",
    })
  );
  await using _server = fake.server;
  const client = createFlickrClient({
    http: fetchClient,
    clock: new FakeClock(),
    endpoints: fake.endpoints,
    credentials: CREDENTIALS,
    random: () => 0,
  });
  assertEquals(await client.testLogin(), { nsid: "1@N01", username: "me" });
  assertStrictEquals(fake.seen.length, 2);
  const [first, second] = fake.seen;
  assert(first && second);
  for (const request of fake.seen) {
    assert(request.valid, "signature verifies");
    const url = new URL(request.url);
    assertEquals([...url.searchParams.keys()].sort(), [
      "format",
      "method",
      "nojsoncallback",
    ]);
    assertStrictEquals(url.searchParams.get("format"), "json");
    assertStrictEquals(url.searchParams.get("nojsoncallback"), "1");
    for (
      const secret of [CREDENTIALS.consumerSecret, CREDENTIALS.tokenSecret]
    ) {
      assert(!request.url.includes(secret));
      assert(!request.authorization?.includes(secret));
    }
    assertStringIncludes(request.authorization ?? "", "oauth_token=");
  }
  const nonce = (h: string | null) =>
    /oauth_nonce="([^"]+)"/.exec(h ?? "")?.[1];
  assert(nonce(first.authorization) !== nonce(second.authorization));
  assertEquals(client.stats(), { "flickr.test.login": 2 });
});

Deno.test("signedGet() returns a redirect unfollowed, signed for the web host", async () => {
  const fake = serve((request) => {
    const path = new URL(request.url).pathname;
    if (path.endsWith("/play/orig/a0f8e31b68/")) {
      return new Response(null, {
        status: 302,
        headers: {
          location:
            "https://live.staticflickr.com/video/1/a0f8e31b68/orig.mp4?s=tok",
        },
      });
    }
    return new Response("nope", { status: 404 });
  });
  await using _server = fake.server;
  const client = createFlickrClient({
    http: fetchClient,
    clock: new FakeClock(),
    endpoints: fake.endpoints,
    credentials: CREDENTIALS,
  });
  const response = await client.signedGet(
    `${fake.origin}/photos/me/1/play/orig/a0f8e31b68/`,
  );
  assertStrictEquals(response.status, 302);
  assertStrictEquals(
    response.headers.get("location"),
    "https://live.staticflickr.com/video/1/a0f8e31b68/orig.mp4?s=tok",
  );
  assertStrictEquals(fake.seen.length, 1, "the CDN was not contacted");
  assert(fake.seen[0]?.valid, "signed");
  // A 404 comes back as it is, not retried.
  const missing = await client.signedGet(
    `${fake.origin}/photos/me/2/play/orig/x/`,
  );
  assertStrictEquals(missing.status, 404);
  await missing.body?.cancel();
  assertStrictEquals(fake.seen.length, 2);
  assertEquals(client.stats(), {});
});

Deno.test("signedGet() refuses an https → http redirect", async () => {
  // The client sees https because the endpoints say so; the fake answers
  // over plain HTTP through an HttpClient that rewrites the scheme.
  const fake = serve(() =>
    new Response(null, {
      status: 301,
      headers: { location: "http://live.staticflickr.com/video/1/s/orig.mp4" },
    })
  );
  await using _server = fake.server;
  const client = createFlickrClient({
    http: (request) =>
      fetchClient(
        new Request(
          request.url.replace(/^https:\/\/www\.flickr\.com/, fake.origin),
          request,
        ),
      ),
    clock: new FakeClock(),
    endpoints: flickrEndpoints(),
    credentials: CREDENTIALS,
  });
  await assertRejects(
    () => client.signedGet("https://www.flickr.com/photos/me/1/play/orig/s/"),
    FlickrProtocolError,
    "Refusing to follow a redirect from https to http (http://live.staticflickr.com/video/1/s/orig.mp4)",
  );
  assertStrictEquals(fake.seen.length, 1);
});

Deno.test("signedGet() signs only for the Flickr web origin, upgrading http", async () => {
  const requested: string[] = [];
  const client = createFlickrClient({
    http: (request) => {
      requested.push(request.url);
      return Promise.resolve(new Response("ok"));
    },
    clock: new FakeClock(),
    endpoints: flickrEndpoints(),
    credentials: CREDENTIALS,
  });
  await assertRejects(
    () => client.signedGet("https://evil.example/photos/x?oauth_token=abc"),
    FlickrProtocolError,
    "Refusing to send a signed request to https://evil.example/photos/x: only https://www.flickr.com gets the sign-in",
  );
  await assertRejects(
    () => client.signedGet("https://live.staticflickr.com/video/1/s/orig.mp4"),
    FlickrProtocolError,
  );
  assertEquals(requested, []);
  await client.signedGet("http://www.flickr.com/photos/me/1/play/orig/s/");
  assertEquals(requested, ["https://www.flickr.com/photos/me/1/play/orig/s/"]);
});

Deno.test("signedGet() retries 503 and ends in UnavailableError", async () => {
  const fake = serve(() => new Response("down", { status: 503 }));
  await using _server = fake.server;
  const clock = new FakeClock();
  const client = createFlickrClient({
    http: fetchClient,
    clock,
    endpoints: fake.endpoints,
    credentials: CREDENTIALS,
    retry: { attempts: 3 },
    random: () => 1,
  });
  await assertRejects(
    () => client.signedGet(`${fake.origin}/photos/me/1/play/orig/s/`),
    UnavailableError,
    "Flickr is not answering (HTTP 503 Service Unavailable): try again later",
  );
  assertStrictEquals(fake.seen.length, 3);
  assertEquals(clock.sleeps, [1000, 2000]);
});

Deno.test("call() gives up on a host Deno refuses after one try, naming it", async () => {
  // A child process allowed to reach only one port talks to another.
  const allowed = serve(() => new Response("unused"));
  await using _allowed = allowed.server;
  const refused = serve(() => new Response("unused"));
  await using _refused = refused.server;
  const script = `
    import { createFlickrClient } from ${
    JSON.stringify(new URL("./client.ts", import.meta.url).href)
  };
    import { flickrEndpoints } from ${
    JSON.stringify(new URL("./endpoints.ts", import.meta.url).href)
  };
    import { FakeClock } from ${
    JSON.stringify(new URL("../platform/clock.ts", import.meta.url).href)
  };
    const client = createFlickrClient({
      http: (r) => fetch(r),
      clock: new FakeClock(),
      endpoints: flickrEndpoints(${JSON.stringify(refused.origin)}),
      credentials: { consumerKey: "k", consumerSecret: "s", token: "t", tokenSecret: "ts" },
    });
    try {
      await client.testLogin();
    } catch (error) {
      await Deno.stdout.write(new TextEncoder().encode(JSON.stringify({ name: error.name, message: error.message, exitCode: error.exitCode, stats: client.stats() })));
    }
  `;
  const scriptPath = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(scriptPath, script);
  const root = new URL("../../", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      new URL("deno.json", root).pathname,
      `--allow-net=${new URL(allowed.origin).host}`,
      scriptPath,
    ],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(scriptPath));
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr);
  assert(stdout !== "", stderr);
  const result = JSON.parse(stdout);
  assertStrictEquals(result.name, "HostNotAllowedError");
  assertStrictEquals(
    result.message,
    `Cannot contact "${
      new URL(refused.origin).host
    }": it is not a Flickr host this binary may contact (Deno refused network access)`,
  );
  assertStrictEquals(result.exitCode, 7);
  assertEquals(result.stats, { "flickr.test.login": 1 });
  assertStrictEquals(refused.seen.length, 0);
});
