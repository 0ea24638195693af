import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { AuthError, UnavailableError, UsageError } from "../errors.ts";
import { FLICKR_ENDPOINTS, flickrEndpoints } from "../flickr/endpoints.ts";
import { fetchClient, type HttpClient } from "../http/http_client.ts";
import { FakeClock } from "../platform/clock.ts";
import { authorizeUrl, getAccessToken, getRequestToken } from "./authorize.ts";
import { percentEncode, signBaseString } from "./signature.ts";

const CONSUMER = {
  key: "653e7a6ecc1d528c516cc8f92cf98611",
  secret: "1a3c208e172d3edc",
};
const REQUEST_TOKEN = {
  token: "72157626737672178-022bbd2f4c2f3432",
  tokenSecret: "fccb68c4e6103197",
};

/** An HttpClient answering every request with one wire response. */
function answering(body: string, status = 200) {
  const requests: Request[] = [];
  const http: HttpClient = (request) => {
    requests.push(request);
    return Promise.resolve(
      new Response(body, {
        status,
        headers: { "content-type": "text/plain;charset=UTF-8" },
      }),
    );
  };
  return { http, requests };
}

/** Parses `OAuth a="b", c="d"` into decoded pairs. */
function parseHeader(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of (header ?? "").matchAll(/(\w+)="([^"]*)"/g)) {
    out[match[1] ?? ""] = decodeURIComponent(match[2] ?? "");
  }
  return out;
}

/** Recomputes the signature a server would check. */
function verify(request: Request, tokenSecret = ""): boolean {
  const params = parseHeader(request.headers.get("authorization"));
  const { oauth_signature: signature, ...rest } = params;
  const url = new URL(request.url);
  for (const [k, v] of url.searchParams) rest[k] = v;
  const paramString = Object.keys(rest).sort().map((k) =>
    `${percentEncode(k)}=${percentEncode(rest[k] ?? "")}`
  ).join("&");
  const base = `${request.method}&${
    percentEncode(`${url.origin}${url.pathname}`)
  }&${percentEncode(paramString)}`;
  return signBaseString(base, CONSUMER.secret, tokenSecret) === signature;
}

Deno.test("getRequestToken() signs in the Authorization header with callback oob", async () => {
  const { http, requests } = answering(
    "oauth_callback_confirmed=true&oauth_token=72157636219488963-fc87c7acaa3c170b&oauth_token_secret=0baa4cc1b6d8d969",
  );
  const token = await getRequestToken({
    http,
    endpoints: FLICKR_ENDPOINTS,
    consumer: CONSUMER,
    clock: new FakeClock(1_316_657_628_000),
    nonce: "C2F26CD5C075BA9050AD8EE90644CF29",
  });
  assertEquals(token, {
    token: "72157636219488963-fc87c7acaa3c170b",
    tokenSecret: "0baa4cc1b6d8d969",
  });
  const request = requests[0];
  assert(request);
  assertStrictEquals(
    request.url,
    "https://www.flickr.com/services/oauth/request_token",
  );
  assertStrictEquals(request.method, "GET");
  assertStrictEquals(request.redirect, "manual");
  const header = parseHeader(request.headers.get("authorization"));
  assertStrictEquals(header.oauth_callback, "oob");
  assertStrictEquals(header.oauth_consumer_key, CONSUMER.key);
  assertStrictEquals(header.oauth_timestamp, "1316657628");
  assertStrictEquals(header.oauth_token, undefined);
  assert(verify(request), "signature verifies with an empty token secret");
  assert(!JSON.stringify([...request.headers]).includes(CONSUMER.secret));
});

Deno.test("getAccessToken() sends the trimmed verifier and reads the user", async () => {
  const { http, requests } = answering(
    "fullname=Jamal%20Fanaian&oauth_token=72157626318069415-087bfc7b5816092c&oauth_token_secret=a202d1f853ec69de&user_nsid=21207597%40N07&username=jamalfanaian",
  );
  const access = await getAccessToken({
    http,
    endpoints: FLICKR_ENDPOINTS,
    consumer: CONSUMER,
    requestToken: REQUEST_TOKEN,
    verifier: "  123-456-789\n",
  });
  assertEquals(access, {
    token: "72157626318069415-087bfc7b5816092c",
    tokenSecret: "a202d1f853ec69de",
    userNsid: "21207597@N07",
    username: "jamalfanaian",
    fullname: "Jamal Fanaian",
  });
  const request = requests[0];
  assert(request);
  assertStrictEquals(
    request.url,
    "https://www.flickr.com/services/oauth/access_token",
  );
  const header = parseHeader(request.headers.get("authorization"));
  assertStrictEquals(header.oauth_verifier, "123-456-789");
  assertStrictEquals(header.oauth_token, REQUEST_TOKEN.token);
  assert(
    verify(request, REQUEST_TOKEN.tokenSecret),
    "signed with the request-token secret",
  );
});

Deno.test("getAccessToken() treats fullname as optional", async () => {
  const { http } = answering(
    "oauth_token=t-1&oauth_token_secret=s1&user_nsid=1%40N01&username=u",
  );
  const access = await getAccessToken({
    http,
    endpoints: FLICKR_ENDPOINTS,
    consumer: CONSUMER,
    requestToken: REQUEST_TOKEN,
    verifier: "5d1b96a26b494074",
  });
  assertStrictEquals(access.fullname, "");
});

Deno.test("token requests map failures to clear errors (table)", async () => {
  const cases: [
    name: string,
    step: "request" | "access",
    body: string,
    status: number,
    error: abstract new (...args: never[]) => Error,
    message: string,
  ][] = [
    [
      "wrong API secret at request_token",
      "request",
      "oauth_problem=signature_invalid&debug_sbs=GET&https%3A%2F%2Fwww.flickr.com%2Fservices%2Foauth%2Frequest_token&oauth_callback%3Doob",
      401,
      AuthError,
      `the API secret does not belong to the API key "${CONSUMER.key}": check --api-secret / FLICKR_API_SECRET`,
    ],
    [
      "unknown key",
      "request",
      "oauth_problem=consumer_key_unknown",
      401,
      AuthError,
      `Flickr does not accept the API key "${CONSUMER.key}": check --api-key / FLICKR_API_KEY`,
    ],
    [
      "key rejected as JSON code 100",
      "request",
      '{"stat":"fail","code":100,"message":"Invalid API Key (Key has invalid format)"}',
      200,
      AuthError,
      "since 2025 new keys need Flickr Pro",
    ],
    [
      "callback not confirmed",
      "request",
      "oauth_token=a&oauth_token_secret=b",
      200,
      UnavailableError,
      "without a confirmed request token",
    ],
    [
      "429 at request_token",
      "request",
      "<html><body><h1>429 Too Many Requests</h1></body></html>",
      429,
      UnavailableError,
      "Flickr is not answering the sign-in (HTTP 429): try again later",
    ],
    [
      "bad verifier",
      "access",
      "oauth_problem=token_rejected",
      401,
      AuthError,
      'The verification code was not accepted: run "flickr-backup login" again and paste the code Flickr shows',
    ],
    [
      "verifier_invalid",
      "access",
      "oauth_problem=verifier_invalid",
      401,
      AuthError,
      "The verification code was not accepted",
    ],
    [
      "plain 401 at access_token",
      "access",
      "",
      401,
      AuthError,
      "The verification code was not accepted",
    ],
    [
      "wrong secret at access_token",
      "access",
      "oauth_problem=signature_invalid",
      401,
      AuthError,
      "check --api-secret / FLICKR_API_SECRET",
    ],
    [
      "502 at access_token",
      "access",
      "bad gateway",
      502,
      UnavailableError,
      "HTTP 502",
    ],
    [
      "no token in the answer",
      "access",
      "user_nsid=1%40N01&username=u",
      200,
      UnavailableError,
      "without an access token",
    ],
    [
      "404: wrong endpoint",
      "access",
      "Not Found",
      404,
      UnavailableError,
      "check FLICKR_ENDPOINT",
    ],
  ];
  for (const [name, step, body, status, errorClass, message] of cases) {
    const { http } = answering(body, status);
    const common = { http, endpoints: FLICKR_ENDPOINTS, consumer: CONSUMER };
    const error = await assertRejects(
      () =>
        step === "request" ? getRequestToken(common) : getAccessToken({
          ...common,
          requestToken: REQUEST_TOKEN,
          verifier: "123-456-789",
        }),
      errorClass,
    ).catch((e) => {
      throw new Error(`${name}: ${e.message}`);
    });
    assertStringIncludes(error.message, message, name);
    assert(!error.message.includes(CONSUMER.secret), name);
    assert(!error.message.includes(REQUEST_TOKEN.tokenSecret), name);
  }
});

Deno.test("getAccessToken() refuses an empty code without a request", async () => {
  const { http, requests } = answering("");
  await assertRejects(
    () =>
      getAccessToken({
        http,
        endpoints: FLICKR_ENDPOINTS,
        consumer: CONSUMER,
        requestToken: REQUEST_TOKEN,
        verifier: "   ",
      }),
    UsageError,
    "No verification code was given",
  );
  assertStrictEquals(requests.length, 0);
});

Deno.test("getRequestToken() reports a dead network as UnavailableError", async () => {
  // The discard port: nothing listens there (a port freed by a closed
  // server could be taken again, or be the client's own: a self-connect).
  const origin = "http://127.0.0.1:9";
  const error = await assertRejects(
    () =>
      getRequestToken({
        http: fetchClient,
        endpoints: flickrEndpoints(origin),
        consumer: CONSUMER,
      }),
    UnavailableError,
    "Cannot reach Flickr to sign in",
  );
  assertStringIncludes(error.message, "check the network connection");
  assertStrictEquals(error.exitCode, 5);
});

Deno.test("getRequestToken() stops with the signal's reason", async () => {
  const controller = new AbortController();
  const reason = new Error("cancelled");
  controller.abort(reason);
  const http: HttpClient = (request) =>
    Promise.reject(
      request.signal.reason ?? new DOMException("aborted", "AbortError"),
    );
  const error = await assertRejects(() =>
    getRequestToken({
      http,
      endpoints: FLICKR_ENDPOINTS,
      consumer: CONSUMER,
      signal: controller.signal,
    })
  );
  assertStrictEquals(error, reason);
});

Deno.test("authorizeUrl() asks for read permission by default, unsigned", () => {
  assertStrictEquals(
    authorizeUrl(FLICKR_ENDPOINTS, REQUEST_TOKEN.token),
    "https://www.flickr.com/services/oauth/authorize?oauth_token=72157626737672178-022bbd2f4c2f3432&perms=read",
  );
  assertStrictEquals(
    authorizeUrl(flickrEndpoints("http://127.0.0.1:8080"), "t", "write"),
    "http://127.0.0.1:8080/services/oauth/authorize?oauth_token=t&perms=write",
  );
});

Deno.test("a token request that is never answered ends at its deadline with UnavailableError, and not before", async () => {
  const clock = new FakeClock();
  let asked = 0;
  // Accepts the request and never answers, until the request is aborted.
  const http: HttpClient = (request) => {
    asked++;
    return new Promise((_, reject) =>
      request.signal.addEventListener(
        "abort",
        () => reject(request.signal.reason),
      )
    );
  };
  let settled = false;
  const pending = getRequestToken({
    http,
    endpoints: FLICKR_ENDPOINTS,
    consumer: CONSUMER,
    deadline: { clock, ms: 60_000 },
  }).finally(() => settled = true);
  clock.advance(59_999);
  await Promise.resolve();
  await Promise.resolve();
  assertEquals([asked, settled], [1, false]);
  clock.advance(1);
  const error = await assertRejects(
    () => pending,
    UnavailableError,
    "Flickr did not answer the sign-in (no complete answer within 60 s)",
  );
  assertStringIncludes(error.message, "try again");
  assertStrictEquals(error.exitCode, 5);
});
