import {
  assert,
  assertBytes,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "./_assert.ts";
import { drain, j, ownerCreds, recordingSleep, rest } from "./_test_client.ts";
import { addPhoto, createAccount, demoAccount } from "./scenario.ts";
import { type FakeFlickr, startFakeFlickr } from "./server.ts";
import { Faults } from "./faults.ts";

/** A fake with one 64 KiB generated JPEG; returns its id and URL too. */
async function withFile(size = 64 * 1024): Promise<
  {
    flickr: FakeFlickr;
    id: string;
    url: string;
    bytes: Uint8Array;
    waits: number[];
  }
> {
  const account = createAccount();
  const photo = addPhoto(account, {
    content: { kind: "generated", size, seed: 5, format: "jpg" },
  });
  const { sleep, waits } = recordingSleep();
  const flickr = await startFakeFlickr({ account, sleep });
  return {
    flickr,
    waits,
    id: photo.id,
    url: flickr.photoUrl(photo.id),
    bytes: await flickr.fileBytes(photo.id),
  };
}

Deno.test("fault latency delays the answer once", async () => {
  const { sleep, waits } = recordingSleep();
  await using flickr = await startFakeFlickr({ sleep });
  flickr.faults.add({ path: "/services/rest", kind: "latency", ms: 150 });
  await rest(flickr, "flickr.test.echo", {}, { creds: "apiKey" });
  assertEquals(waits, [150]);
  await rest(flickr, "flickr.test.echo", {}, { creds: "apiKey" });
  assertEquals(waits, [150]);
  assertEquals(flickr.requests.map((r) => r.faults), [["latency"], []]);
});

Deno.test("fault latency: the answer waits until the wait ends", async () => {
  let release = () => {};
  let asked = (_ms: number) => {};
  const waitAsked = new Promise<number>((resolve) => asked = resolve);
  await using flickr = await startFakeFlickr({
    sleep(ms) {
      asked(ms);
      return new Promise((resolve) => release = resolve);
    },
  });
  flickr.faults.add({ path: "/services/rest", kind: "latency", ms: 150 });
  let answered = false;
  const answer = rest(flickr, "flickr.test.echo", {}, { creds: "apiKey" })
    .then(() => answered = true);
  // The server asks to wait 150 ms and does not answer until the wait ends.
  assertEquals(await waitAsked, 150);
  assertEquals(answered, false);
  release();
  await answer;
  assert(answered);
});

Deno.test("option latencyMs delays every request", async () => {
  const { sleep, waits } = recordingSleep();
  await using flickr = await startFakeFlickr({ latencyMs: 60, sleep });
  await rest(flickr, "flickr.test.echo", {}, { creds: "apiKey" });
  await rest(flickr, "flickr.test.echo", {}, { creds: "apiKey" });
  assertEquals(waits, [60, 60]);
});

Deno.test("fault status: 429 with Retry-After (seconds and HTTP-date), then success", async () => {
  await using flickr = await startFakeFlickr();
  const date = new Date(Date.now() + 2000).toUTCString();
  flickr.faults.add({
    path: "/services/rest",
    kind: "status",
    status: 429,
    retryAfter: "1",
    times: 2,
  });
  flickr.faults.add({
    path: "/services/rest",
    kind: "status",
    status: 429,
    retryAfter: date,
  });
  flickr.faults.add({ path: "/services/rest", kind: "status", status: 429 });
  const seen: [number, string | null][] = [];
  for (let i = 0; i < 5; i++) {
    const res = await fetch(
      `${flickr.url}/services/rest/?method=flickr.test.echo&api_key=x`,
    );
    const text = await res.text();
    seen.push([res.status, res.headers.get("retry-after")]);
    if (res.status === 429) assertStringIncludes(text, "429 Too Many Requests");
  }
  assertEquals(seen, [[429, "1"], [429, "1"], [429, date], [429, null], [
    200,
    null,
  ]]);
  assertEquals(flickr.faults.remaining(), 0);
  assertEquals(flickr.requests.map((r) => r.faults.join()), [
    "status",
    "status",
    "status",
    "status",
    "",
  ]);
});

Deno.test("fault status: a 5xx burst on the CDN, then the file", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  for (const status of [500, 502, 503, 504]) {
    flickr.faults.add({ path: "/65535/", kind: "status", status });
  }
  const statuses: number[] = [];
  let last = new Uint8Array();
  for (let i = 0; i < 5; i++) {
    const res = await fetch(url);
    last = new Uint8Array(await res.arrayBuffer());
    statuses.push(res.status);
  }
  assertEquals(statuses, [500, 502, 503, 504, 200]);
  assertBytes(last, bytes);
});

Deno.test("fault status 200 with junk: HTML or PNG bytes for a JPEG URL", async () => {
  const { flickr, url } = await withFile();
  await using _ = flickr;
  flickr.faults.add({
    path: /_o\.jpg$/,
    kind: "status",
    status: 200,
    body: "<html>oops</html>",
    contentType: "text/html",
  });
  flickr.faults.add({
    path: /_o\.jpg$/,
    kind: "status",
    status: 200,
    body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    contentType: "image/jpeg",
  });
  flickr.faults.add({
    path: /_o\.jpg$/,
    kind: "status",
    status: 200,
    body: "",
    contentType: "image/jpeg",
  });
  const html = await fetch(url);
  assertEquals([html.headers.get("content-type"), await html.text()], [
    "text/html",
    "<html>oops</html>",
  ]);
  const png = new Uint8Array(await (await fetch(url)).arrayBuffer());
  assertBytes(png, new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  const empty = await fetch(url);
  assertEquals((await empty.arrayBuffer()).byteLength, 0);
});

Deno.test("fault statFail: per method, code as int or string", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  flickr.faults.add({
    method: "flickr.people.getPhotos",
    kind: "statFail",
    code: 105,
    codeAsString: true,
  });
  flickr.faults.add({
    method: "flickr.people.getPhotos",
    kind: "statFail",
    code: 201,
  });
  const other = await rest(flickr, "flickr.test.login", {}, { creds });
  assertEquals(j(other.json).stat, "ok");
  const a = await rest(flickr, "flickr.people.getPhotos", { user_id: "me" }, {
    creds,
  });
  assertEquals(a.status, 200);
  assertEquals(a.json, {
    stat: "fail",
    code: "105",
    message: "Service currently unavailable",
  });
  const b = await rest(flickr, "flickr.people.getPhotos", { user_id: "me" }, {
    creds,
  });
  assertEquals(j(b.json).code, 201);
  const c = await rest(flickr, "flickr.people.getPhotos", { user_id: "me" }, {
    creds,
  });
  assertEquals(j(c.json).stat, "ok");
});

Deno.test("fault html200, jsonp and truncatedJson break REST parsing", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  flickr.faults.add({ path: "/services/rest", kind: "html200" });
  flickr.faults.add({ path: "/services/rest", kind: "jsonp" });
  flickr.faults.add({ path: "/services/rest", kind: "truncatedJson" });
  const html = await rest(flickr, "flickr.test.login", {}, { creds });
  assertEquals(html.status, 200);
  assertMatch(html.text, /^<!DOCTYPE html>/);
  const jsonp = await rest(flickr, "flickr.test.login", {}, { creds });
  assertMatch(jsonp.text, /^jsonFlickrApi\(\{.*\}\)$/);
  const cut = await rest(flickr, "flickr.test.login", {}, { creds });
  assertEquals(cut.status, 200);
  let parseError: unknown;
  try {
    JSON.parse(cut.text);
  } catch (e) {
    parseError = e;
  }
  assert(parseError instanceof SyntaxError);
  assertEquals(
    flickr.requests.at(-1)?.bodyBytes,
    new TextEncoder().encode(cut.text).length,
  );
});

Deno.test("fault reset: headers + N bytes, then the client sees a body error", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  flickr.faults.add({ path: "/65535/", kind: "reset", afterBytes: 1000 });
  const res = await fetch(url);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-length"), String(bytes.length));
  const got = await drain(res);
  assert(got.error instanceof TypeError, String(got.error));
  assertBytes(got.bytes, bytes.slice(0, 1000));
  assertEquals(flickr.fileRequests()[0]?.bodyBytes, 1000);
  assertEquals(flickr.fileRequests()[0]?.complete, false);
  // The next request is served normally (the connection pool recovers).
  const again = await drain(await fetch(url));
  assertBytes(again.bytes, bytes);
});

Deno.test("fault shortBody: Content-Length larger than the bytes sent", async () => {
  const { flickr, url, bytes } = await withFile(10_000);
  await using _ = flickr;
  flickr.faults.add({
    path: "/65535/",
    kind: "shortBody",
    declaredLength: 10_000,
    sendBytes: 6_000,
  });
  const res = await fetch(url);
  assertEquals(res.headers.get("content-length"), "10000");
  const got = await drain(res);
  assert(got.error instanceof TypeError);
  assertBytes(got.bytes, bytes.slice(0, 6000));
});

Deno.test("fault stall: bytes, silence, then the rest when released", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  flickr.faults.add({
    path: "/65535/",
    kind: "stall",
    afterBytes: 4096,
    ms: Infinity,
  });
  const res = await fetch(url);
  const reader = res.body?.getReader();
  assert(reader);
  let n = 0;
  const first = await reader.read();
  n += first.value?.length ?? 0;
  await flickr.faults.waitForStall();
  const pending = reader.read();
  const winner = await Promise.race([
    pending.then(() => "data"),
    new Promise((r) => setTimeout(() => r("silence"), 200)),
  ]);
  assertEquals([n, winner], [4096, "silence"]);
  flickr.faults.releaseStalls();
  const next = await pending;
  n += next.value?.length ?? 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    n += r.value.length;
  }
  assertEquals(n, bytes.length);
});

Deno.test("fault stall with ms ends by itself", async () => {
  const { flickr, url, bytes, waits } = await withFile(8000);
  await using _ = flickr;
  flickr.faults.add({
    path: "/65535/",
    kind: "stall",
    afterBytes: 100,
    ms: 250,
  });
  const got = await drain(await fetch(url));
  assertEquals(waits, [250]);
  assertBytes(got.bytes, bytes);
});

Deno.test("closing the server aborts a stalled response quickly", async () => {
  const { flickr, url } = await withFile();
  flickr.faults.add({
    path: "/65535/",
    kind: "stall",
    afterBytes: 10,
    ms: Infinity,
  });
  const res = await fetch(url);
  const body = drain(res);
  await flickr.faults.waitForStall();
  // close() resolves only once the stalled body is aborted (an open body
  // makes it throw), without anyone releasing the stall.
  await flickr.close();
  const got = await body;
  assert(got.error instanceof TypeError);
  assertEquals(got.bytes.length, 10);
});

Deno.test("fault drip: the body trickles", async () => {
  const { flickr, url, bytes, waits } = await withFile(3000);
  await using _ = flickr;
  flickr.faults.add({ path: "/65535/", kind: "drip", bytesPerSecond: 10_000 });
  const got = await drain(await fetch(url));
  // Pieces of at most 500 bytes (1/20 s at 10,000 B/s), a 50 ms wait before
  // each but the first.
  assert(waits.length >= Math.ceil(bytes.length / 500) - 1, `${waits}`);
  assertEquals(waits.filter((ms) => ms !== 50), []);
  assertBytes(got.bytes, bytes);
});

Deno.test("fault ignoreRange: a Range request gets 200 and the full body", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  flickr.faults.add({ path: "/65535/", kind: "ignoreRange" });
  // A request without Range does not use up the rule.
  await drain(await fetch(url));
  const res = await fetch(url, { headers: { range: "bytes=1000-" } });
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-range"), null);
  assertBytes((await drain(res)).bytes, bytes);
});

Deno.test("fault misalignedRange: 206 starting elsewhere, and a wrong TOTAL", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  flickr.faults.add({ path: "/65535/", kind: "misalignedRange" });
  flickr.faults.add({
    path: "/65535/",
    kind: "misalignedRange",
    start: 1000,
    total: 5,
  });
  const a = await fetch(url, { headers: { range: "bytes=1000-" } });
  assertEquals(a.status, 206);
  assertEquals(
    a.headers.get("content-range"),
    `bytes 500-${bytes.length - 1}/${bytes.length}`,
  );
  assertBytes((await drain(a)).bytes, bytes.slice(500));
  const b = await fetch(url, { headers: { range: "bytes=1000-" } });
  assertEquals(
    b.headers.get("content-range"),
    `bytes 1000-${bytes.length - 1}/5`,
  );
  await b.body?.cancel();
});

Deno.test("fault changeEtag: If-Range with the old ETag gets a full 200", async () => {
  const { flickr, id, url, bytes } = await withFile();
  await using _ = flickr;
  const etag = flickr.fileInfo(id).etag;
  flickr.faults.add({ path: "/65535/", kind: "changeEtag" });
  const res = await fetch(url, {
    headers: { range: "bytes=100-", "if-range": etag },
  });
  assertEquals(res.status, 200);
  assert(res.headers.get("etag") !== etag);
  assertBytes((await drain(res)).bytes, bytes);
});

Deno.test("fault redirect: 302 to another host, keeping the path", async () => {
  const { flickr, url } = await withFile();
  await using _ = flickr;
  flickr.faults.add({
    path: "/65535/",
    kind: "redirect",
    location: "http://evil.localhost:9{path}",
  });
  const res = await fetch(url, { redirect: "manual" });
  await res.body?.cancel();
  assertEquals(res.status, 302);
  assertEquals(
    res.headers.get("location"),
    `http://evil.localhost:9${new URL(url).pathname}`,
  );
});

Deno.test("fault gzip: fetch inflates it, except on a Range request", async () => {
  const { flickr, url, bytes } = await withFile(20_000);
  await using _ = flickr;
  flickr.faults.add({ path: "/65535/", kind: "gzip", times: 2 });
  const res = await fetch(url);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-encoding"), "gzip");
  assert(res.headers.get("content-length") !== String(bytes.length));
  assertBytes((await drain(res)).bytes, bytes);
  // With a Range header Deno's fetch asks for identity and does not inflate:
  // the client gets 200 and gzip bytes where it expected a JPEG tail.
  const ranged = await fetch(url, { headers: { range: "bytes=100-" } });
  assertEquals(ranged.status, 200);
  const raw = (await drain(ranged)).bytes;
  assertEquals([raw[0], raw[1]], [0x1f, 0x8b]);
  assertEquals(String(raw.length), ranged.headers.get("content-length"));
});

Deno.test("raw fault closeDelimited: a short body with no error at all", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  flickr.faults.add({
    path: "/65535/",
    kind: "closeDelimited",
    sendBytes: 5000,
  });
  const res = await fetch(url);
  assert(res.redirected);
  assert(res.url.startsWith(flickr.rawUrl));
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-length"), null);
  const got = await drain(res);
  assertEquals(got.error, undefined);
  assertBytes(got.bytes, bytes.slice(0, 5000));
  const raw = flickr.requests.filter((r) => r.via === "raw");
  assertEquals(raw.map((r) => [r.kind, r.bodyBytes, r.faults]), [[
    "file",
    5000,
    ["closeDelimited"],
  ]]);
});

Deno.test("raw fault overlongBody: fetch reads exactly Content-Length bytes", async () => {
  const { flickr, url, bytes } = await withFile();
  await using _ = flickr;
  flickr.faults.add({
    path: "/65535/",
    kind: "overlongBody",
    declaredLength: 700,
  });
  const got = await drain(await fetch(url));
  assertEquals(got.error, undefined);
  assertBytes(got.bytes, bytes.slice(0, 700));
});

Deno.test("raw fault duplicateContentLength: fetch rejects the response", async () => {
  const { flickr, url } = await withFile();
  await using _ = flickr;
  flickr.faults.add({ path: "/65535/", kind: "duplicateContentLength" });
  const error = await assertRejects(async () => {
    const res = await fetch(url);
    await res.arrayBuffer();
  });
  assert(error instanceof TypeError, String(error));
});

Deno.test("rules: after, times, Infinity, RegExp paths and slots that combine", async () => {
  const { sleep, waits } = recordingSleep();
  await using flickr = await startFakeFlickr({ account: demoAccount(), sleep });
  const url = `${flickr.url}/services/rest/?method=flickr.test.echo&api_key=x`;
  flickr.faults.add({
    path: /^\/services\/rest\/?$/,
    kind: "status",
    status: 503,
    after: 1,
    times: 2,
  });
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    const res = await fetch(url);
    await res.body?.cancel();
    statuses.push(res.status);
  }
  assertEquals(statuses, [200, 503, 503, 200]);
  flickr.faults.clear();
  flickr.faults.add({
    path: "/services/rest",
    kind: "latency",
    ms: 80,
    times: Infinity,
  });
  flickr.faults.add({
    path: "/services/rest",
    kind: "status",
    status: 500,
    times: Infinity,
  });
  assertEquals(flickr.faults.remaining(), Infinity);
  const res = await fetch(url);
  await res.body?.cancel();
  assertEquals(res.status, 500);
  assertEquals(waits, [80]);
  assertEquals(flickr.requests.at(-1)?.faults, ["latency", "status"]);
  assertEquals(flickr.faults.list()[1]?.fired, 1);
});

Deno.test("nextStall ignores a stall of a request that arrived before it was asked for", async () => {
  const faults = new Faults();
  const server = new AbortController();
  const early = faults.arrive(); // e.g. from a client killed since
  let woken = 0;
  const next = faults.nextStall().then(() => woken++);
  const stalls = [faults.stall(Infinity, server.signal, early)];
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(woken, 0);
  stalls.push(faults.stall(Infinity, server.signal, faults.arrive()));
  await next;
  assertEquals(woken, 1);
  faults.releaseStalls();
  await Promise.all(stalls);
});
