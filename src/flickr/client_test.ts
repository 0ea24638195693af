/**
 * The real client against the fake Flickr over real HTTP: paging costs,
 * retries, error mapping, the OAuth dance and video originals.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import {
  awkwardAccount,
  bigAccount,
  demoAccount,
  FAKE_API_KEY,
  FAKE_API_SECRET,
  type FakeFlickr,
  startFakeFlickr,
} from "../../tests/fake_flickr/mod.ts";
import { AuthError, UnavailableError } from "../errors.ts";
import { fetchClient } from "../http/http_client.ts";
import type { RetryEvent } from "../http/retry.ts";
import { Pacer } from "../http/pacer.ts";
import {
  authorizeUrl,
  getAccessToken,
  getRequestToken,
} from "../oauth/authorize.ts";
import { FakeClock, systemClock } from "../platform/clock.ts";
import type { FlickrPhoto } from "./api_types.ts";
import {
  createFlickrClient,
  type CreateFlickrClientOptions,
} from "./client.ts";
import { flickrEndpoints } from "./endpoints.ts";
import { FlickrNotFoundError, FlickrProtocolError } from "./errors.ts";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A signed-in client on the fake, with a FakeClock and no jitter. */
function clientFor(
  flickr: FakeFlickr,
  overrides: Partial<CreateFlickrClientOptions> = {},
) {
  const { token, tokenSecret } = flickr.issueAccessToken();
  const clock = new FakeClock();
  const client = createFlickrClient({
    http: fetchClient,
    clock,
    endpoints: flickrEndpoints(flickr.url),
    credentials: {
      consumerKey: FAKE_API_KEY,
      consumerSecret: FAKE_API_SECRET,
      token,
      tokenSecret,
    },
    random: () => 0.5,
    ...overrides,
  });
  return { client, clock, token, tokenSecret };
}

Deno.test("testLogin() and getPersonInfo() read the signed-in account", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr);
  const account = flickr.account;
  assertEquals(await client.testLogin(), {
    nsid: account.nsid,
    username: account.username,
  });
  const person = await client.getPersonInfo(account.nsid);
  assertStrictEquals(person.nsid, account.nsid);
  assertStrictEquals(person.username, account.username);
  assertStrictEquals(person.realname, account.realname || undefined);
  assertStrictEquals(person.pathAlias, account.pathAlias ?? undefined);
  assertStrictEquals(person.isPro, account.isPro);
  assertStrictEquals(person.photosCount, account.photos.size);
  assertEquals(flickr.secretLeaks(), []);
});

Deno.test("listing a 1,200-photo account costs exactly ceil(n/500) calls per list", async () => {
  await using flickr = await startFakeFlickr({
    account: bigAccount({ photos: 1200, albums: 2 }),
  });
  const { client } = clientFor(flickr);
  const account = flickr.account;
  const pages = (n: number) => Math.max(1, Math.ceil(n / 500));

  const stream = await collect(client.listPhotos());
  assertStrictEquals(stream.length, 1200);
  assertEquals(
    new Set(stream.map((p) => p.id)),
    new Set(account.photos.keys()),
  );

  const sets = await collect(client.listPhotosets());
  assertEquals(sets.map((s) => s.id), account.albums.map((a) => a.id));

  let setCalls = 0;
  for (const album of account.albums) {
    const photos = await collect(client.listPhotosetPhotos(album.id));
    assertEquals(photos.map((p) => p.id), album.photoIds, "album order");
    assert(photos.every((p) => p.owner === account.nsid), "owner filled in");
    setCalls += pages(album.photoIds.length);
  }
  assert(
    account.albums.some((a) => a.photoIds.length > 500),
    "an album spans pages",
  );

  const inSets = new Set(account.albums.flatMap((a) => a.photoIds));
  const notInSet = await collect(client.listNotInSet());
  const expectedNotInSet = [...account.photos.keys()].filter((id) =>
    !inSets.has(id)
  );
  assertEquals(new Set(notInSet.map((p) => p.id)), new Set(expectedNotInSet));

  const expected = {
    "flickr.people.getPhotos": 3,
    "flickr.photosets.getList": 1,
    "flickr.photosets.getPhotos": setCalls,
    "flickr.photos.getNotInSet": pages(expectedNotInSet.length),
  };
  assertEquals(flickr.callCounts(), expected);
  assertEquals(client.stats(), expected);
  // Every listing asked for the extras and the largest page.
  for (const request of flickr.requests) {
    if (request.flickrMethod === "flickr.photosets.getList") continue;
    assertStrictEquals(request.query.per_page, "500");
    assertStringIncludes(request.query.extras ?? "", "url_o,url_6k");
  }
});

Deno.test("listing normalises photos the same whether numbers come as strings or ints", async () => {
  const results: FlickrPhoto[][] = [];
  for (const mode of ["strings", "ints", "mixed"] as const) {
    await using flickr = await startFakeFlickr({
      account: awkwardAccount(),
      stringNumbers: mode,
    });
    const { client } = clientFor(flickr);
    const photos = await collect(client.listPhotos());
    assertStrictEquals(photos.length, flickr.account.photos.size);
    // Each fake has its own port: compare URLs without the origin.
    results.push(
      JSON.parse(JSON.stringify(photos).replaceAll(flickr.url, "ORIGIN")),
    );
  }
  assertEquals(results[0], results[1]);
  assertEquals(results[1], results[2]);
  // Spot checks on the normalised shape.
  for (const photo of results[0] ?? []) {
    assert(typeof photo.id === "string" && photo.id !== "");
    assert(photo.media === "photo" || photo.media === "video");
    assert(Array.isArray(photo.tags));
    for (const size of photo.sizes) {
      if (size.width !== undefined) assert(Number.isInteger(size.width));
    }
  }
});

Deno.test("stat=fail 105 then success is retried with backoff", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const events: RetryEvent[] = [];
  const { client, clock } = clientFor(flickr, {
    onRetry: (event) => events.push(event),
  });
  flickr.faults.add({
    method: "flickr.photosets.getList",
    kind: "statFail",
    code: 105,
    codeAsString: true,
    times: 2,
  });
  const sets = await collect(client.listPhotosets());
  assertStrictEquals(sets.length, flickr.account.albums.length);
  assertEquals(flickr.callCounts(), { "flickr.photosets.getList": 3 });
  assertEquals(clock.sleeps, [500, 1000]);
  assertEquals(events.map((e) => e.message), [
    'flickr.photosets.getList: Flickr error 105 "Service currently unavailable"; trying again in 500 ms (try 2 of 6)',
    'flickr.photosets.getList: Flickr error 105 "Service currently unavailable"; trying again in 1 s (try 3 of 6)',
  ]);
});

Deno.test("a revoked token (98) is not retried and asks for login", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client, clock, token } = clientFor(flickr);
  flickr.revokeToken(token);
  const error = await assertRejects(() => client.testLogin(), AuthError);
  assertStrictEquals(
    error.message,
    'Flickr no longer accepts the saved sign-in (the token was revoked or expired): run "flickr-backup login"',
  );
  assertStrictEquals(error.exitCode, 4);
  assertEquals(flickr.callCounts(), { "flickr.test.login": 1 });
  assertEquals(clock.sleeps, []);
});

Deno.test("auth failures from faults are never retried (table)", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  for (const code of [96, 97, 98, 99, 100]) {
    flickr.clearRequests();
    const { client, clock } = clientFor(flickr);
    flickr.faults.add({ method: "flickr.test.login", kind: "statFail", code });
    await assertRejects(() => client.testLogin(), AuthError);
    assertEquals(
      flickr.callCounts(),
      { "flickr.test.login": 1 },
      `code ${code}`,
    );
    assertEquals(clock.sleeps, [], `code ${code}`);
  }
});

Deno.test("a wrong API secret fails at once as a signature problem", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr, {
    credentials: {
      consumerKey: FAKE_API_KEY,
      consumerSecret: "0000000000000000",
      ...flickr.issueAccessToken(),
    },
  });
  await assertRejects(
    () => client.testLogin(),
    AuthError,
    "the API secret or the saved token secret is wrong",
  );
  assertStrictEquals(flickr.apiCallCount(), 1);
});

Deno.test("an unknown API key (100) names the key", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr, {
    credentials: {
      consumerKey: "ffffffffffffffffffffffffffffffff",
      consumerSecret: FAKE_API_SECRET,
    },
  });
  await assertRejects(
    () => client.getSizes("1"),
    AuthError,
    'Flickr rejected the API key "ffffffffffffffffffffffffffffffff"',
  );
  assertStrictEquals(flickr.apiCallCount(), 1);
});

Deno.test("429 with Retry-After is honoured and pauses the shared pacer", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const clock = new FakeClock();
  const pacer = new Pacer({ clock });
  const { client } = clientFor(flickr, { clock, pacer });
  flickr.faults.add({
    method: "flickr.test.login",
    kind: "status",
    status: 429,
    retryAfter: "1",
  });
  const start = clock.now();
  await client.testLogin();
  assertEquals(clock.sleeps, [1000]);
  assertStrictEquals(pacer.state.blockedUntil, start + 1000);
  assertEquals(flickr.callCounts(), { "flickr.test.login": 2 });
});

Deno.test("a Retry-After over the cap stops the call with exit 5", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client, clock } = clientFor(flickr);
  flickr.faults.add({
    method: "flickr.test.login",
    kind: "status",
    status: 429,
    retryAfter: "3600",
  });
  const error = await assertRejects(() => client.testLogin(), UnavailableError);
  assertStringIncludes(error.message, "Flickr asked to wait 1 h");
  assertEquals(clock.sleeps, []);
  assertStrictEquals(flickr.apiCallCount(), 1);
});

Deno.test("5xx bursts, HTML pages and dropped connections are retried", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr);
  flickr.faults.add({
    method: "flickr.test.login",
    kind: "status",
    status: 502,
  });
  flickr.faults.add({
    method: "flickr.test.login",
    kind: "status",
    status: 503,
    after: 1,
  });
  flickr.faults.add({ method: "flickr.test.login", kind: "html200", after: 2 });
  flickr.faults.add({
    method: "flickr.test.login",
    kind: "reset",
    afterBytes: 5,
    after: 3,
  });
  flickr.faults.add({
    method: "flickr.test.login",
    kind: "statFail",
    code: 201,
    after: 4,
  });
  await client.testLogin();
  assertEquals(flickr.callCounts(), { "flickr.test.login": 6 });
});

Deno.test("a persistent outage ends in UnavailableError after the budget", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client, clock } = clientFor(flickr, { retry: { attempts: 4 } });
  flickr.faults.add({
    method: "flickr.photosets.getList",
    kind: "status",
    status: 503,
    times: Infinity,
  });
  const error = await assertRejects(
    () => collect(client.listPhotosets()),
    UnavailableError,
  );
  assertStrictEquals(
    error.message,
    "Flickr is not answering (HTTP 503 Service Unavailable): try again later",
  );
  assertStrictEquals(flickr.apiCallCount(), 4);
  assertStrictEquals(clock.sleeps.length, 3);
});

Deno.test("JSONP is retried once, truncated JSON every try, then a FlickrProtocolError", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr);
  flickr.faults.add({ method: "flickr.test.login", kind: "jsonp" });
  await client.testLogin();
  assertStrictEquals(flickr.apiCallCount(), 2);

  flickr.clearRequests();
  flickr.faults.add({
    method: "flickr.photosets.getList",
    kind: "truncatedJson",
    times: Infinity,
  });
  await assertRejects(
    () => collect(client.listPhotosets()),
    FlickrProtocolError,
    "Flickr sent unreadable JSON for flickr.photosets.getList",
  );
  // Cut short on the way is as transient as a 503 (issue 14's harsh net).
  assertStrictEquals(flickr.apiCallCount(), 6);
});

Deno.test("a missing photo maps to FlickrNotFoundError (code 1)", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr);
  const error = await assertRejects(
    () => client.getSizes("99999999999999999"),
    FlickrNotFoundError,
  );
  assertStrictEquals(error.exitCode, 3);
  assertStrictEquals(flickr.apiCallCount(), 1);
});

Deno.test("getSizes() lists photo sizes ascending with the original last", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr);
  const photo = [...flickr.account.photos.values()].find((p) =>
    p.media === "photo"
  );
  assert(photo);
  const sizes = await client.getSizes(photo.id);
  assert(sizes.length > 1);
  assertStrictEquals(sizes.at(-1)?.label, "Original");
  for (const size of sizes) {
    assertStrictEquals(size.media, "photo");
    assert(size.source.startsWith(flickr.url));
  }
  const original = await fetch(sizes.at(-1)?.source ?? "");
  const bytes = new Uint8Array(await original.arrayBuffer());
  assertEquals(bytes, await flickr.fileBytes(photo.id));
});

Deno.test("a video original comes through getSizes + signedGet + an unsigned CDN fetch", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const { client } = clientFor(flickr);
  const video = [...flickr.account.photos.values()].find((p) =>
    p.media === "video"
  );
  assert(video, "the demo account has a video");

  const streams = await client.getVideoStreams(video.id, video.secret);
  assert(streams.length > 0);
  for (const stream of streams) assert(stream.url.startsWith(flickr.url));

  const sizes = await client.getSizes(video.id);
  const original = sizes.find((s) => s.label === "Video Original");
  assert(original, JSON.stringify(sizes.map((s) => s.label)));
  assertStrictEquals(original.media, "video");

  const redirect = await client.signedGet(original.source);
  assertStrictEquals(redirect.status, 302);
  const location = redirect.headers.get("location");
  assert(location);
  // The CDN is fetched unsigned.
  const file = await fetch(new URL(location, original.source));
  assertStrictEquals(file.status, 200);
  const bytes = new Uint8Array(await file.arrayBuffer());
  assertEquals(bytes, await flickr.fileBytes(video.id, "orig"));
  const cdnRequest = flickr.requests.at(-1);
  assertStrictEquals(cdnRequest?.headers.authorization, undefined);

  // Unsigned, the same play URL is a 404: the signature is what opens it.
  const unsigned = await fetch(original.source, { redirect: "manual" });
  assertStrictEquals(unsigned.status, 404);
  await unsigned.body?.cancel();
  assertEquals(flickr.secretLeaks(), []);
});

Deno.test("aborting a listing stops at once with the signal's reason", async () => {
  await using flickr = await startFakeFlickr({
    account: bigAccount({ photos: 1200, albums: 1 }),
  });
  const controller = new AbortController();
  const { client } = clientFor(flickr, { signal: controller.signal });
  const reason = new Error("SIGINT");
  let seen = 0;
  const error = await assertRejects(async () => {
    for await (const _photo of client.listPhotos()) {
      if (++seen === 10) controller.abort(reason);
    }
  });
  assertStrictEquals(error, reason);
  assertEquals(flickr.callCounts(), { "flickr.people.getPhotos": 1 });
});

Deno.test("the OAuth dance works end to end with real time and strict nonces", async () => {
  await using flickr = await startFakeFlickr({
    account: demoAccount(),
    strictTimestamps: true,
  });
  const endpoints = flickrEndpoints(flickr.url);
  const consumer = { key: FAKE_API_KEY, secret: FAKE_API_SECRET };
  const requestToken = await getRequestToken({
    http: fetchClient,
    endpoints,
    consumer,
    clock: systemClock,
    callback: "oob",
  });

  // The user opens the link and reads the code off the page.
  const page = await (await fetch(authorizeUrl(endpoints, requestToken.token)))
    .text();
  const verifier = /<code id="verifier">([^<]+)<\/code>/.exec(page)?.[1];
  assert(verifier && /^\d{3}-\d{3}-\d{3}$/.test(verifier), page);

  const access = await getAccessToken({
    http: fetchClient,
    endpoints,
    consumer,
    clock: systemClock,
    requestToken,
    verifier: ` ${verifier}\n`,
  });
  assertStrictEquals(access.userNsid, flickr.account.nsid);
  assertStrictEquals(access.username, flickr.account.username);
  assertStrictEquals(access.fullname, flickr.account.realname);

  const client = createFlickrClient({
    http: fetchClient,
    clock: systemClock,
    endpoints,
    credentials: {
      consumerKey: consumer.key,
      consumerSecret: consumer.secret,
      token: access.token,
      tokenSecret: access.tokenSecret,
    },
  });
  assertEquals(await client.testLogin(), {
    nsid: flickr.account.nsid,
    username: flickr.account.username,
  });
  await client.testLogin(); // a fresh nonce each time

  // The verifier is single-use.
  await assertRejects(
    () =>
      getAccessToken({
        http: fetchClient,
        endpoints,
        consumer,
        clock: systemClock,
        requestToken,
        verifier,
      }),
    AuthError,
    'The verification code was not accepted: run "flickr-backup login" again',
  );
  assertEquals(flickr.secretLeaks(), []);
});

Deno.test("the token dance names a wrong API secret or an unknown key", async () => {
  await using flickr = await startFakeFlickr({ account: demoAccount() });
  const endpoints = flickrEndpoints(flickr.url);
  await assertRejects(
    () =>
      getRequestToken({
        http: fetchClient,
        endpoints,
        consumer: { key: FAKE_API_KEY, secret: "0000000000000000" },
      }),
    AuthError,
    `the API secret does not belong to the API key "${FAKE_API_KEY}"`,
  );
  const error = await assertRejects(
    () =>
      getRequestToken({
        http: fetchClient,
        endpoints,
        consumer: {
          key: "ffffffffffffffffffffffffffffffff",
          secret: FAKE_API_SECRET,
        },
      }),
    AuthError,
    'Flickr does not accept the API key "ffffffffffffffffffffffffffffffff"',
  );
  assert(!error.message.includes(FAKE_API_SECRET));
});

Deno.test("a FakeClock timestamp is refused by a strict server as a clock problem", async () => {
  await using flickr = await startFakeFlickr({
    account: demoAccount(),
    strictTimestamps: true,
  });
  const { client } = clientFor(flickr, { clock: new FakeClock(0) });
  await assertRejects(
    () => client.testLogin(),
    AuthError,
    "check this computer's clock",
  );
  assertStrictEquals(flickr.apiCallCount(), 1);
});
