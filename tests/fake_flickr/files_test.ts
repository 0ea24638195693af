import { assert, assertBytes, assertEquals, assertMatch } from "./_assert.ts";
import { drain, j, ownerCreds, rest, signedRequest } from "./_test_client.ts";
import {
  addPhoto,
  awkwardAccount,
  createAccount,
  demoAccount,
  replaceOriginal,
} from "./scenario.ts";
import { startFakeFlickr } from "./server.ts";

function firstPhoto(account: ReturnType<typeof demoAccount>) {
  const p = [...account.photos.values()].find((x) => x.media === "photo");
  assert(p);
  return p;
}

Deno.test("original JPEG: type, length, strong ETag, Accept-Ranges, exact bytes", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const res = await fetch(flickr.photoUrl(photo.id));
  const body = new Uint8Array(await res.arrayBuffer());
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "image/jpeg");
  assertEquals(res.headers.get("content-length"), String(body.length));
  assertEquals(res.headers.get("accept-ranges"), "bytes");
  assertMatch(res.headers.get("etag") ?? "", /^"[0-9a-f]{40}"$/);
  assertBytes(body, await flickr.fileBytes(photo.id));
  assertEquals([body[0], body[1], body.at(-2), body.at(-1)], [
    0xff,
    0xd8,
    0xff,
    0xd9,
  ]);
  assertEquals(flickr.fileRequests().length, 1);
  assertEquals(flickr.fileRequests()[0]?.bodyBytes, body.length);
});

Deno.test("a wrong secret, size or extension is a 404", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const good = flickr.photoUrl(photo.id, "l").replace(/_b\.jpg$/, "_z.jpg");
  for (
    const url of [
      flickr.photoUrl(photo.id).replace(photo.originalSecret, "0123456789"),
      `${flickr.url}/65535/${photo.id}_${photo.secret}_o.jpg`,
      flickr.photoUrl(photo.id).replace(/\.jpg$/, ".png"),
      `${flickr.url}/65535/${photo.id}_${photo.secret}_h.jpg`,
    ]
  ) {
    const res = await fetch(url);
    await res.body?.cancel();
    assertEquals(res.status, 404, url);
  }
  const ok = await fetch(good);
  await ok.body?.cancel();
  assertEquals(ok.status, 200);
});

Deno.test("sizes are real JPEGs of the listed dimensions", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const sizes = j(
    (await rest(flickr, "flickr.photos.getSizes", {
      photo_id: photo.id,
    }, { creds: "apiKey" })).json,
  ).sizes.size;
  for (const s of sizes) {
    const bytes = new Uint8Array(await (await fetch(s.source)).arrayBuffer());
    const sof = bytes.findIndex((b, i) =>
      b === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2)
    );
    const view = new DataView(bytes.buffer);
    assertEquals(
      [view.getUint16(sof + 7), view.getUint16(sof + 5)],
      [Number(s.width), Number(s.height)],
      s.label,
    );
  }
});

Deno.test("Range: 206 with Content-Range, suffix ranges, 416 past the end, HEAD", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const url = flickr.photoUrl(photo.id);
  const all = await flickr.fileBytes(photo.id);
  const total = all.length;

  const open = await fetch(url, { headers: { range: "bytes=100-" } });
  assertEquals(open.status, 206);
  assertEquals(
    open.headers.get("content-range"),
    `bytes 100-${total - 1}/${total}`,
  );
  assertBytes(new Uint8Array(await open.arrayBuffer()), all.slice(100));

  const mid = await fetch(url, { headers: { range: "bytes=10-19" } });
  assertEquals(mid.headers.get("content-length"), "10");
  assertBytes(new Uint8Array(await mid.arrayBuffer()), all.slice(10, 20));

  const suffix = await fetch(url, { headers: { range: "bytes=-5" } });
  assertBytes(new Uint8Array(await suffix.arrayBuffer()), all.slice(-5));

  const past = await fetch(url, { headers: { range: `bytes=${total}-` } });
  await past.body?.cancel();
  assertEquals(past.status, 416);
  assertEquals(past.headers.get("content-range"), `bytes */${total}`);

  const head = await fetch(url, { method: "HEAD" });
  assertEquals(head.status, 200);
  assertEquals(head.headers.get("content-length"), String(total));
  assertEquals((await head.arrayBuffer()).byteLength, 0);
});

Deno.test("If-Range: matching ETag → 206, other ETag → 200 full body; If-None-Match → 304", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const url = flickr.photoUrl(photo.id);
  const etag = flickr.fileInfo(photo.id).etag;
  const same = await fetch(url, {
    headers: { range: "bytes=50-", "if-range": etag },
  });
  await same.body?.cancel();
  assertEquals(same.status, 206);
  const other = await fetch(url, {
    headers: { range: "bytes=50-", "if-range": '"nope"' },
  });
  assertEquals(other.status, 200);
  assertBytes(
    new Uint8Array(await other.arrayBuffer()),
    await flickr.fileBytes(photo.id),
  );
  const cached = await fetch(url, { headers: { "if-none-match": etag } });
  await cached.body?.cancel();
  assertEquals(cached.status, 304);
});

Deno.test("replaceOriginal changes URL, bytes and ETag; the old URL 404s", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const oldUrl = flickr.photoUrl(photo.id);
  const oldInfo = flickr.fileInfo(photo.id);
  const oldBytes = await flickr.fileBytes(photo.id);
  replaceOriginal(account, photo.id);
  const gone = await fetch(oldUrl);
  await gone.body?.cancel();
  assertEquals(gone.status, 404);
  const fresh = await fetch(flickr.photoUrl(photo.id));
  const bytes = new Uint8Array(await fresh.arrayBuffer());
  assert(fresh.headers.get("etag") !== oldInfo.etag);
  assert(
    bytes.length !== oldBytes.length || bytes.some((b, i) => b !== oldBytes[i]),
  );
});

Deno.test("video play URL: 302 chain for a public stream, token checked", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const video = [...account.photos.values()].find((p) =>
    p.title === "Video with original (mp4)"
  );
  assert(video);
  const play =
    `${flickr.url}/photos/${account.nsid}/${video.id}/play/360p/${video.secret}/`;
  const hop = await fetch(play, { redirect: "manual" });
  await hop.body?.cancel();
  assertEquals(hop.status, 302);
  assertEquals(hop.headers.get("content-length"), "0");
  assertEquals(hop.headers.get("content-type"), "text/html; charset=UTF-8");
  const location = hop.headers.get("location") ?? "";
  assertMatch(
    location,
    new RegExp(`/video/${video.id}/${video.secret}/360p\\.mp4\\?s=`),
  );
  const token = new URL(location).searchParams.get("s") ?? "";
  const claims = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
  assertMatch(
    claims,
    new RegExp(`^\\{"i":${video.id},"e":\\d+,"s":"[0-9a-f]{40}","v":1\\}$`),
  );
  const file = await fetch(location);
  const bytes = new Uint8Array(await file.arrayBuffer());
  assertEquals(file.headers.get("content-type"), "video/mp4");
  assertEquals(new TextDecoder().decode(bytes.slice(4, 8)), "ftyp");
  assertBytes(bytes, await flickr.fileBytes(video.id, "360p"));
  const followed = await fetch(play);
  assert(followed.redirected);
  await followed.body?.cancel();
  const forged = await fetch(location.replace(/s=.*/, "s=eyJpIjoxfQ"));
  await forged.body?.cancel();
  assertEquals(forged.status, 403);
  const wrongSecret = await fetch(
    play.replace(video.secret, video.originalSecret),
  );
  await wrongSecret.body?.cancel();
  assertEquals(wrongSecret.status, 404);
});

Deno.test("video orig: 404 unsigned, 302 → original with Content-Disposition when signed by the owner", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const video = [...account.photos.values()].find((p) =>
    p.title === "Video with original (mp4)"
  );
  assert(video);
  const sizes = j(
    (await rest(flickr, "flickr.photos.getSizes", {
      photo_id: video.id,
    }, { creds: ownerCreds(flickr) })).json,
  ).sizes.size;
  const orig =
    sizes.find((s: { label: string }) => s.label === "Video Original").source;
  const unsigned = await fetch(orig, { redirect: "manual" });
  await unsigned.body?.cancel();
  assertEquals(unsigned.status, 404);
  const revoked = ownerCreds(flickr);
  flickr.revokeToken(revoked.token ?? "");
  const revokedRes = await fetch(signedRequest("GET", orig, {}, revoked), {
    redirect: "manual",
  });
  await revokedRes.body?.cancel();
  assertEquals(revokedRes.status, 404);
  const signed = await fetch(
    signedRequest("GET", orig, {}, ownerCreds(flickr)),
    {
      redirect: "manual",
    },
  );
  await signed.body?.cancel();
  assertEquals(signed.status, 302);
  const cdn = await fetch(signed.headers.get("location") ?? "");
  const bytes = new Uint8Array(await cdn.arrayBuffer());
  assertEquals(
    cdn.headers.get("content-disposition"),
    `attachment; filename=${video.id}.mp4`,
  );
  assertBytes(bytes, await flickr.fileBytes(video.id));
  assertEquals(new TextDecoder().decode(bytes.slice(4, 12)), "ftypisom");
  assertEquals(flickr.secretLeaks(), []);
});

Deno.test("a video without an original has no orig stream (404 even when signed)", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const video = [...account.photos.values()].find((p) =>
    p.title === "Video without original"
  );
  assert(video);
  const url =
    `${flickr.url}/photos/${account.nsid}/${video.id}/play/orig/${video.originalSecret}/`;
  const res = await fetch(signedRequest("GET", url, {}, ownerCreds(flickr)), {
    redirect: "manual",
  });
  await res.body?.cancel();
  assertEquals(res.status, 404);
});

// Memory while streaming is measured by `deno task bench`
// (bench/streaming_bench.ts), not asserted here.
Deno.test("a large generated video streams with the right hash; its unsigned URL is refused", async () => {
  const account = createAccount();
  const size = 20 * 1024 * 1024 + 3;
  const video = addPhoto(account, {
    media: "video",
    originalFormat: "mov",
    content: { kind: "generated", size, seed: 99, format: "mov" },
  });
  await using flickr = await startFakeFlickr({ account });
  const res = await fetch(
    `${flickr.url}/video/${video.id}/${video.originalSecret}/orig.mov?s=x`,
  );
  await res.body?.cancel();
  assertEquals(res.status, 403);
  const url = flickr.photoUrl(video.id, "orig");
  const r = await fetch(url);
  assertEquals(r.headers.get("content-length"), String(size));
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  let n = 0;
  for await (const chunk of r.body ?? []) {
    hash.update(chunk);
    n += chunk.length;
  }
  assertEquals(n, size);
  assertEquals(hash.digest("hex"), await flickr.fileSha256(video.id));
});

Deno.test("photo pages and unknown paths", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = firstPhoto(account);
  const page = await fetch(`${flickr.url}/photos/demouser/${photo.id}/`);
  assertEquals(page.status, 200);
  assertMatch(await page.text(), /<title>.*\| Flickr<\/title>/);
  const other = await fetch(`${flickr.url}/nope`);
  await other.body?.cancel();
  assertEquals(other.status, 404);
  const { bytes } = await drain(await fetch(flickr.photoUrl(photo.id, "sq")));
  assertBytes(bytes, await flickr.fileBytes(photo.id, "Square"));
});
