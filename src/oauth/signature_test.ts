import {
  assert,
  assertEquals,
  assertStrictEquals,
} from "../../tests/assert.ts";
import { createHmac } from "node:crypto";
import {
  authorizationHeader,
  encodeParams,
  generateNonce,
  percentEncode,
  signatureBaseUrl,
  signBaseString,
  signRequest,
} from "./signature.ts";

// FLICKR_API.md §1.5, from wackylabs.net "OAuth and Flickr – Part 2".
const VECTOR = {
  consumer: {
    key: "768fe946d252b119746fda82e1599980",
    secret: "1a3c208e172d3edc",
  },
  url: "http://www.flickr.com/services/oauth/request_token",
  callback: "http://www.wackylabs.net/oauth/test",
  nonce: "C2F26CD5C075BA9050AD8EE90644CF29",
  timestamp: 1316657628,
  baseString:
    "GET&http%3A%2F%2Fwww.flickr.com%2Fservices%2Foauth%2Frequest_token&oauth_callback%3Dhttp%253A%252F%252Fwww.wackylabs.net%252Foauth%252Ftest%26oauth_consumer_key%3D768fe946d252b119746fda82e1599980%26oauth_nonce%3DC2F26CD5C075BA9050AD8EE90644CF29%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1316657628%26oauth_version%3D1.0",
};

Deno.test("signRequest() matches the published Flickr vector", () => {
  const signed = signRequest({
    method: "GET",
    url: VECTOR.url,
    consumer: VECTOR.consumer,
    callback: VECTOR.callback,
    nonce: VECTOR.nonce,
    timestamp: VECTOR.timestamp,
  });
  assertStrictEquals(signed.baseString, VECTOR.baseString);
  assertStrictEquals(
    signed.oauthParams.oauth_signature,
    "0fhNGlzpFNAsTme/hDfUb5HPB5U=",
  );
  assertEquals(signed.oauthParams, {
    oauth_callback: VECTOR.callback,
    oauth_consumer_key: VECTOR.consumer.key,
    oauth_nonce: VECTOR.nonce,
    oauth_signature: "0fhNGlzpFNAsTme/hDfUb5HPB5U=",
    oauth_signature_method: "HMAC-SHA1",
    oauth_timestamp: "1316657628",
    oauth_version: "1.0",
  });
});

Deno.test("signBaseString() matches the vector with and without a token secret", () => {
  assertStrictEquals(
    signBaseString(VECTOR.baseString, VECTOR.consumer.secret),
    "0fhNGlzpFNAsTme/hDfUb5HPB5U=",
  );
  assertStrictEquals(
    signBaseString(
      VECTOR.baseString,
      VECTOR.consumer.secret,
      "token12345secret",
    ),
    "dXyfrCetFSTpzD3djSrkFhj0MIQ=",
  );
});

Deno.test("signRequest() signs with the token secret and adds oauth_token", () => {
  const signed = signRequest({
    method: "get",
    url: "https://API.Flickr.com:443/services/rest/?page=2",
    params: { method: "flickr.test.login", nojsoncallback: 1, skip: undefined },
    consumer: VECTOR.consumer,
    token: {
      key: "72157626737672178-022bbd2f4c2f3432",
      secret: "fccb68c4e6103197",
    },
    nonce: "abc",
    timestamp: 1,
  });
  const expectedBase =
    "GET&https%3A%2F%2Fapi.flickr.com%2Fservices%2Frest%2F&" +
    percentEncode(
      "method=flickr.test.login&nojsoncallback=1&oauth_consumer_key=768fe946d252b119746fda82e1599980&oauth_nonce=abc&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1&oauth_token=72157626737672178-022bbd2f4c2f3432&oauth_version=1.0&page=2",
    );
  assertStrictEquals(signed.baseString, expectedBase);
  const expected = createHmac("sha1", "1a3c208e172d3edc&fccb68c4e6103197")
    .update(expectedBase)
    .digest("base64");
  assertStrictEquals(signed.oauthParams.oauth_signature, expected);
  assertStrictEquals(
    signed.oauthParams.oauth_token,
    "72157626737672178-022bbd2f4c2f3432",
  );
  // Secrets never travel.
  assert(!JSON.stringify(signed).includes("fccb68c4e6103197"));
  assert(!JSON.stringify(signed).includes("1a3c208e172d3edc"));
});

Deno.test("percentEncode() follows RFC 3986 (table)", () => {
  const cases: [string, string][] = [
    ["abcXYZ019-._~", "abcXYZ019-._~"],
    ["!'()*", "%21%27%28%29%2A"],
    [" ", "%20"],
    ["+", "%2B"],
    ["a&b=c", "a%26b%3Dc"],
    ["/?#[]@:$,;", "%2F%3F%23%5B%5D%40%3A%24%2C%3B"],
    ["%", "%25"],
    ["é", "%C3%A9"],
    ["ß東京", "%C3%9F%E6%9D%B1%E4%BA%AC"],
    ["😀", "%F0%9F%98%80"],
  ];
  for (const [input, expected] of cases) {
    assertStrictEquals(percentEncode(input), expected, input);
  }
});

Deno.test("signRequest() encodes !'()* and unicode in the base string", () => {
  const signed = signRequest({
    method: "GET",
    url: "https://api.flickr.com/services/rest/",
    params: { text: "it's (fine)! *ok* café 😀" },
    consumer: VECTOR.consumer,
    nonce: "n",
    timestamp: 2,
  });
  const paramString =
    "oauth_consumer_key=768fe946d252b119746fda82e1599980&oauth_nonce=n&oauth_signature_method=HMAC-SHA1&oauth_timestamp=2&oauth_version=1.0&text=it%27s%20%28fine%29%21%20%2Aok%2A%20caf%C3%A9%20%F0%9F%98%80";
  assertStrictEquals(
    signed.baseString,
    `GET&https%3A%2F%2Fapi.flickr.com%2Fservices%2Frest%2F&${
      percentEncode(paramString)
    }`,
  );
  assertStrictEquals(
    signed.oauthParams.oauth_signature,
    signBaseString(signed.baseString, VECTOR.consumer.secret),
  );
});

Deno.test("signRequest() decodes the URL query ('+' is a space) and sorts repeated names", () => {
  const fromQuery = signRequest({
    method: "GET",
    url: "https://x.test/p?b=2&a=hello+world&a=%21",
    consumer: VECTOR.consumer,
    nonce: "n",
    timestamp: 3,
  });
  const fromParams = signRequest({
    method: "GET",
    url: "https://x.test/p",
    params: { a: ["hello world", "!"], b: 2 },
    consumer: VECTOR.consumer,
    nonce: "n",
    timestamp: 3,
  });
  assertStrictEquals(fromQuery.baseString, fromParams.baseString);
  assert(
    fromQuery.baseString.includes(
      percentEncode("a=%21&a=hello%20world&b=2&oauth_consumer_key"),
    ),
    fromQuery.baseString,
  );
});

Deno.test("signRequest() puts the verifier and token in the access-token signature", () => {
  const signed = signRequest({
    method: "GET",
    url: "https://www.flickr.com/services/oauth/access_token",
    consumer: VECTOR.consumer,
    token: { key: "72157626737672178-022bbd2f4c2f3432", secret: "req-secret" },
    verifier: "123-456-789",
    nonce: "n",
    timestamp: 4,
  });
  assert(signed.baseString.includes("oauth_verifier%3D123-456-789"));
  assertStrictEquals(
    signed.oauthParams.oauth_signature,
    signBaseString(signed.baseString, VECTOR.consumer.secret, "req-secret"),
  );
});

Deno.test("authorizationHeader() quotes sorted, encoded oauth_* params only", () => {
  assertStrictEquals(
    authorizationHeader({
      oauth_token: "a b",
      oauth_signature: "x/y+z=",
      method: "flickr.test.login",
      oauth_consumer_key: "k",
    }),
    'OAuth oauth_consumer_key="k", oauth_signature="x%2Fy%2Bz%3D", oauth_token="a%20b"',
  );
  const signed = signRequest({
    method: "GET",
    url: VECTOR.url,
    consumer: VECTOR.consumer,
    callback: "oob",
    nonce: "n",
    timestamp: 5,
  });
  assert(signed.authorizationHeader.startsWith('OAuth oauth_callback="oob", '));
  assert(signed.authorizationHeader.includes("oauth_signature="));
});

Deno.test("encodeParams() sends exactly what is signed", () => {
  assertStrictEquals(
    encodeParams({ z: "1", a: ["x y", "é"], skip: undefined, n: 5, t: true }),
    "a=x%20y&a=%C3%A9&n=5&t=true&z=1",
  );
});

Deno.test("generateNonce() gives 32 alphanumeric characters, fresh each time", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const nonce = generateNonce();
    assert(/^[A-Za-z0-9]{32}$/.test(nonce), nonce);
    seen.add(nonce);
  }
  assertStrictEquals(seen.size, 200);
  assertStrictEquals(generateNonce(5).length, 5);
});

Deno.test("signatureBaseUrl() normalises scheme, host and port, drops the query", () => {
  const cases: [string, string][] = [
    [
      "HTTPS://API.FLICKR.COM/services/rest/?a=1",
      "https://api.flickr.com/services/rest/",
    ],
    ["http://www.flickr.com:80/x", "http://www.flickr.com/x"],
    [
      "http://127.0.0.1:8080/services/rest",
      "http://127.0.0.1:8080/services/rest",
    ],
  ];
  for (const [input, expected] of cases) {
    assertStrictEquals(signatureBaseUrl(input), expected);
  }
});
