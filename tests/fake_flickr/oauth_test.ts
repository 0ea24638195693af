import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";
import {
  baseStringUri,
  hmacSha1Signature,
  parseAuthorizationHeader,
  percentEncode,
  signatureBaseString,
} from "./oauth.ts";
import { FAKE_API_KEY, FAKE_API_SECRET, startFakeFlickr } from "./server.ts";
import type OAuth from "oauth-1.0a";
import {
  enc,
  j,
  oauthLib,
  ownerCreds,
  rest,
  signedRequest,
} from "./_test_client.ts";

// FLICKR_API.md §1.5, the verified vector.
const VECTOR_PARAMS: [string, string][] = [
  ["oauth_callback", "http://www.wackylabs.net/oauth/test"],
  ["oauth_consumer_key", "768fe946d252b119746fda82e1599980"],
  ["oauth_nonce", "C2F26CD5C075BA9050AD8EE90644CF29"],
  ["oauth_signature_method", "HMAC-SHA1"],
  ["oauth_timestamp", "1316657628"],
  ["oauth_version", "1.0"],
];
const VECTOR_BASE =
  "GET&http%3A%2F%2Fwww.flickr.com%2Fservices%2Foauth%2Frequest_token&oauth_callback%3Dhttp%253A%252F%252Fwww.wackylabs.net%252Foauth%252Ftest%26oauth_consumer_key%3D768fe946d252b119746fda82e1599980%26oauth_nonce%3DC2F26CD5C075BA9050AD8EE90644CF29%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1316657628%26oauth_version%3D1.0";

Deno.test("signatureBaseString() matches the FLICKR_API.md §1.5 vector", () => {
  const uri = baseStringUri(
    new URL("http://www.flickr.com/services/oauth/request_token"),
  );
  // Shuffled input: the function sorts.
  const shuffled = [...VECTOR_PARAMS].reverse();
  assertEquals(signatureBaseString("get", uri, shuffled), VECTOR_BASE);
});

Deno.test("hmacSha1Signature() gives both §1.5 signatures", () => {
  assertEquals(
    hmacSha1Signature(VECTOR_BASE, "1a3c208e172d3edc"),
    "0fhNGlzpFNAsTme/hDfUb5HPB5U=",
  );
  assertEquals(
    hmacSha1Signature(VECTOR_BASE, "1a3c208e172d3edc", "token12345secret"),
    "dXyfrCetFSTpzD3djSrkFhj0MIQ=",
  );
});

Deno.test("percentEncode() is RFC 3986 on UTF-8 bytes", () => {
  assertEquals(percentEncode("a b+c!*'()~._-"), "a%20b%2Bc%21%2A%27%28%29~._-");
  assertEquals(percentEncode("é😀"), "%C3%A9%F0%9F%98%80");
});

Deno.test("baseStringUri() keeps non-default ports, drops default ones", () => {
  assertEquals(
    baseStringUri(new URL("HTTP://Example.COM:80/services/rest?x=1")),
    "http://example.com/services/rest",
  );
  assertEquals(
    baseStringUri(new URL("http://127.0.0.1:8080/services/rest/")),
    "http://127.0.0.1:8080/services/rest/",
  );
});

Deno.test("parseAuthorizationHeader() reads both comma styles and skips nothing", () => {
  const tight = parseAuthorizationHeader(
    'OAuth oauth_consumer_key="k",oauth_nonce="n%20x",oauth_token="t"',
  );
  assertEquals(tight, [
    ["oauth_consumer_key", "k"],
    ["oauth_nonce", "n x"],
    ["oauth_token", "t"],
  ]);
  const spaced = parseAuthorizationHeader(
    'OAuth realm="", oauth_consumer_key="k", oauth_signature="a%2Bb%3D"',
  );
  assertEquals(spaced, [
    ["realm", ""],
    ["oauth_consumer_key", "k"],
    ["oauth_signature", "a+b="],
  ]);
  assertEquals(parseAuthorizationHeader("Bearer x"), undefined);
});

Deno.test("oauth-1.0a library signatures verify against the §1.5 vector", () => {
  const lib = oauthLib("768fe946d252b119746fda82e1599980", "1a3c208e172d3edc");
  const data = Object.fromEntries(VECTOR_PARAMS) as unknown as OAuth.Data;
  assertEquals(
    lib.getBaseString(
      {
        url: "http://www.flickr.com/services/oauth/request_token",
        method: "GET",
      },
      data,
    ),
    VECTOR_BASE,
  );
});

for (const where of ["header", "query", "body"] as const) {
  Deno.test(`fake accepts a REST call signed in the ${where}`, async () => {
    await using flickr = await startFakeFlickr();
    const creds = ownerCreds(flickr);
    const r = await rest(flickr, "flickr.test.login", {}, {
      creds,
      where,
      httpMethod: where === "body" ? "POST" : "GET",
    });
    assertEquals(r.status, 200);
    assertEquals(j(r.json).user.id, flickr.account.nsid);
    assertEquals(flickr.secretLeaks(), []);
  });
}

Deno.test("fake accepts POST with params in the query and OAuth in the header", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  // PYFLICKRAPI style: POST, empty body, API params in the query.
  const params = {
    method: "flickr.test.login",
    format: "json",
    nojsoncallback: "1",
  };
  const url = `${flickr.url}/services/rest/?${
    Object.entries(params).map(([k, v]) => `${k}=${enc(v)}`).join("&")
  }`;
  const lib = oauthLib(FAKE_API_KEY, FAKE_API_SECRET);
  const data = lib.authorize({ url, method: "POST" }, {
    key: creds.token ?? "",
    secret: creds.tokenSecret ?? "",
  });
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: lib.toHeader(data).Authorization },
  });
  assertEquals(j(await res.json()).stat, "ok");
});

Deno.test("fake answers 401 signature_invalid with debug_sbs to a tampered call", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  const req = signedRequest(
    "GET",
    `${flickr.url}/services/rest/`,
    {
      method: "flickr.test.login",
      format: "json",
      nojsoncallback: "1",
    },
    creds,
    "query",
  );
  const tampered = req.url.replace("flickr.test.login", "flickr.test.echo");
  const res = await fetch(tampered);
  assertEquals(res.status, 401);
  assertStringIncludes(res.headers.get("content-type") ?? "", "text/plain");
  const body = await res.text();
  assertMatch(
    body,
    /^oauth_problem=signature_invalid&debug_sbs=GET&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fservices%2Frest%2F&/,
  );
  assertStringIncludes(body, "method%3Dflickr.test.echo");
});

Deno.test("fake signs with the exact path: /services/rest without slash works too", async () => {
  await using flickr = await startFakeFlickr();
  const r = await rest(flickr, "flickr.test.login", {}, {
    creds: ownerCreds(flickr),
    path: "/services/rest",
  });
  assertEquals(j(r.json).stat, "ok");
});

Deno.test("fake signs with the Host the client used (localhost)", async () => {
  await using flickr = await startFakeFlickr();
  const port = new URL(flickr.url).port;
  const req = signedRequest(
    "GET",
    `http://localhost:${port}/services/rest/`,
    { method: "flickr.test.login", format: "json", nojsoncallback: "1" },
    ownerCreds(flickr),
  );
  const res = await fetch(req);
  assertEquals(j(await res.json()).stat, "ok");
});

Deno.test("fake answers code 98 for a revoked token and for an unknown token", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  assertEquals(
    j((await rest(flickr, "flickr.test.login", {}, { creds })).json).stat,
    "ok",
  );
  flickr.revokeToken(creds.token ?? "");
  const revoked = await rest(flickr, "flickr.test.login", {}, { creds });
  assertEquals(revoked.status, 200);
  assertEquals(revoked.json, {
    stat: "fail",
    code: 98,
    message: "Invalid auth token",
  });
  const unknown = await rest(flickr, "flickr.test.login", {}, {
    creds: { token: "72157000000000000-0123456789abcdef", tokenSecret: "x" },
  });
  assertEquals(j(unknown.json).code, 98);
});

Deno.test("fake answers code 99 to an unsigned call of a read method", async () => {
  await using flickr = await startFakeFlickr();
  const r = await rest(flickr, "flickr.photos.getNotInSet", {}, {
    creds: "apiKey",
  });
  assertEquals(r.status, 200);
  assertEquals(j(r.json).code, 99);
  assertEquals(
    j(r.json).message,
    "Insufficient permissions. Method requires read privileges; none granted.",
  );
});

Deno.test("fake answers 400 parameter_absent to a token-less signed read call", async () => {
  await using flickr = await startFakeFlickr();
  const r = await rest(flickr, "flickr.test.login", {}, { creds: {} });
  assertEquals(r.status, 400);
  assertEquals(
    r.text,
    "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_token",
  );
});

Deno.test("fake answers code 100 to an unknown consumer key", async () => {
  await using flickr = await startFakeFlickr();
  const signed = await rest(flickr, "flickr.test.echo", {}, {
    creds: { key: "0".repeat(32), secret: "1".repeat(16) },
  });
  assertEquals(signed.json, {
    stat: "fail",
    code: 100,
    message: "Invalid API Key (Key not found)",
  });
  const unsigned = await rest(flickr, "flickr.test.echo", { api_key: "nope" }, {
    creds: "none",
  });
  assertEquals(j(unsigned.json).code, 100);
  const noKey = await rest(flickr, "flickr.test.echo", {}, { creds: "none" });
  assertEquals(j(noKey.json).code, 100);
});

Deno.test("unsigned api_key calls see public photos only", async () => {
  await using flickr = await startFakeFlickr();
  const publicCount =
    [...flickr.account.photos.values()].filter((p) => p.isPublic)
      .length;
  const anon = await rest(flickr, "flickr.people.getPhotos", {
    user_id: flickr.account.nsid,
  }, { creds: "apiKey" });
  assertEquals(Number(j(anon.json).photos.total), publicCount);
  assert(
    j(anon.json).photos.photo.every((p: { ispublic: number }) =>
      p.ispublic === 1
    ),
  );
  const owner = await rest(
    flickr,
    "flickr.people.getPhotos",
    { user_id: "me" },
    {
      creds: ownerCreds(flickr),
    },
  );
  assertEquals(Number(j(owner.json).photos.total), flickr.account.photos.size);
  const privateId = [...flickr.account.photos.values()].find((p) => !p.isPublic)
    ?.id;
  const info = await rest(flickr, "flickr.photos.getInfo", {
    photo_id: privateId ?? "",
  }, { creds: "apiKey" });
  assertEquals(j(info.json).code, 1);
});

Deno.test("OAuth dance with oob: request_token → authorize page → access_token", async () => {
  await using flickr = await startFakeFlickr();
  const oauthBase = `${flickr.url}/services/oauth`;
  const rtRes = await fetch(signedRequest(
    "GET",
    `${oauthBase}/request_token`,
    {
      oauth_callback: "oob",
    },
    {},
    "header",
  ));
  assertEquals(rtRes.status, 200);
  assertStringIncludes(rtRes.headers.get("content-type") ?? "", "text/plain");
  const rt = new URLSearchParams(await rtRes.text());
  assertEquals(rt.get("oauth_callback_confirmed"), "true");
  assertMatch(rt.get("oauth_token") ?? "", /^\d{17}-[0-9a-f]{16}$/);
  assertMatch(rt.get("oauth_token_secret") ?? "", /^[0-9a-f]{16}$/);

  const page = await fetch(
    `${oauthBase}/authorize?oauth_token=${rt.get("oauth_token")}&perms=read`,
  );
  const html = await page.text();
  const verifier = /<code id="verifier">([^<]+)<\/code>/.exec(html)?.[1] ?? "";
  assertMatch(verifier, /^\d{3}-\d{3}-\d{3}$/);

  const creds = {
    token: rt.get("oauth_token") ?? "",
    tokenSecret: rt.get("oauth_token_secret") ?? "",
  };
  const wrong = await fetch(signedRequest("GET", `${oauthBase}/access_token`, {
    oauth_verifier: "000-000-000",
  }, creds));
  assertEquals(wrong.status, 401);
  assertEquals(await wrong.text(), "oauth_problem=token_rejected");

  const ok = await fetch(signedRequest("GET", `${oauthBase}/access_token`, {
    oauth_verifier: verifier,
  }, creds));
  assertEquals(ok.status, 200);
  const at = new URLSearchParams(await ok.text());
  assertEquals(at.get("user_nsid"), flickr.account.nsid);
  assertEquals(at.get("username"), flickr.account.username);
  assertEquals(at.get("fullname"), flickr.account.realname);

  const reused = await fetch(signedRequest("GET", `${oauthBase}/access_token`, {
    oauth_verifier: verifier,
  }, creds));
  assertEquals(reused.status, 401);
  assertEquals(await reused.text(), "oauth_problem=token_rejected");

  const login = await rest(flickr, "flickr.test.login", {}, {
    creds: {
      token: at.get("oauth_token") ?? "",
      tokenSecret: at.get("oauth_token_secret") ?? "",
    },
  });
  assertEquals(j(login.json).stat, "ok");
  assertEquals(flickr.secretLeaks(), []);
});

Deno.test("OAuth dance with a callback URL: authorize redirects with a verifier", async () => {
  await using flickr = await startFakeFlickr();
  const oauthBase = `${flickr.url}/services/oauth`;
  const rt = new URLSearchParams(
    await (await fetch(signedRequest("GET", `${oauthBase}/request_token`, {
      oauth_callback: "http://127.0.0.1:9/callback?state=x",
    }))).text(),
  );
  const res = await fetch(
    `${oauthBase}/authorize?oauth_token=${rt.get("oauth_token")}&perms=read`,
    { redirect: "manual" },
  );
  await res.body?.cancel();
  assertEquals(res.status, 302);
  const location = new URL(res.headers.get("location") ?? "");
  assertEquals(location.pathname, "/callback");
  assertEquals(location.searchParams.get("state"), "x");
  assertEquals(location.searchParams.get("oauth_token"), rt.get("oauth_token"));
  assertMatch(
    location.searchParams.get("oauth_verifier") ?? "",
    /^[0-9a-f]{16}$/,
  );
});

Deno.test("request_token needs oauth_callback and a valid signature", async () => {
  await using flickr = await startFakeFlickr();
  const url = `${flickr.url}/services/oauth/request_token`;
  const missing = await fetch(signedRequest("GET", url, {}));
  assertEquals(missing.status, 400);
  assertEquals(
    await missing.text(),
    "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_callback",
  );
  const bad = await fetch(
    signedRequest("GET", url, { oauth_callback: "oob" }, {
      secret: "0".repeat(16),
    }),
  );
  assertEquals(bad.status, 401);
  assertStringIncludes(
    await bad.text(),
    "oauth_problem=signature_invalid&debug_sbs=GET&",
  );
});

Deno.test("strictTimestamps refuses old timestamps and reused nonces", async () => {
  await using flickr = await startFakeFlickr({ strictTimestamps: true });
  const creds = ownerCreds(flickr);
  const req = signedRequest(
    "GET",
    `${flickr.url}/services/rest/`,
    {
      method: "flickr.test.login",
      format: "json",
      nojsoncallback: "1",
    },
    creds,
    "query",
  );
  assertEquals(j(await (await fetch(req.url)).json()).stat, "ok");
  const again = await fetch(req.url);
  assertEquals(again.status, 401);
  assertEquals(await again.text(), "oauth_problem=nonce_used");
  const old = req.url.replace(
    /oauth_timestamp=\d+/,
    "oauth_timestamp=1000000000",
  );
  const stale = await fetch(old);
  assertEquals(stale.status, 401);
  assertStringIncludes(await stale.text(), "oauth_problem=timestamp_refused");
});

Deno.test("test.echo maps OAuth params like Flickr does", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  const r = await rest(flickr, "flickr.test.echo", { foo: "bär" }, { creds });
  assertEquals(j(r.json).foo, { _content: "bär" });
  assertEquals(j(r.json).api_key, { _content: FAKE_API_KEY });
  assertEquals(j(r.json).auth_token, { _content: creds.token });
  assertEquals(j(r.json).api_auth_is_oauth, { _content: "1" });
});

Deno.test("secretLeaks() catches a secret sent on the wire", async () => {
  await using flickr = await startFakeFlickr();
  await (await fetch(
    `${flickr.url}/services/rest/?api_key=${FAKE_API_KEY}&oops=${FAKE_API_SECRET}`,
  )).body?.cancel();
  assertEquals(flickr.secretLeaks().length, 1);
});
