import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { AppError, AuthError, UsageError } from "../errors.ts";
import { TransientError } from "../http/errors.ts";
import {
  FlickrApiError,
  FlickrNotFoundError,
  FlickrPermissionError,
  FlickrProtocolError,
  readFlickrResponse,
} from "./errors.ts";

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const CONTEXT = {
  method: "flickr.photos.getSizes",
  nowMs: NOW,
  consumerKey: "653e7a6ecc1d528c516cc8f92cf98611",
  secrets: ["fccb68c4e6103197"],
};

type ErrorClass = abstract new (...args: never[]) => Error;

interface Case {
  name: string;
  body: string;
  status?: number;
  headers?: Record<string, string>;
  error: ErrorClass;
  /** Text the message must contain. */
  message: string;
  exitCode?: number;
  retryAfterMs?: number;
  /** For transient errors: the per-kind try limit. */
  maxAttempts?: number;
}

const JSON_TYPE = { "content-type": "application/json" };
const TEXT_TYPE = { "content-type": "text/plain;charset=UTF-8" };

const CASES: Case[] = [
  {
    name: "code 1 → not found (exit 3)",
    body: '{"stat":"fail","code":1,"message":"Photo not found"}',
    error: FlickrNotFoundError,
    message:
      'Flickr cannot find it: "Photo not found" (flickr.photos.getSizes, code 1)',
    exitCode: 3,
  },
  {
    name: "code 2 → permission (exit 3), code as a string",
    body: '{"stat":"fail","code":"2","message":"Permission denied"}',
    error: FlickrPermissionError,
    message: '"Permission denied" (flickr.photos.getSizes, code 2)',
    exitCode: 3,
  },
  {
    name: "code 98 → revoked token (exit 4)",
    body: '{"message": "Invalid auth token", "code": 98, "stat": "fail"}',
    headers: { "content-type": "text/plain; charset=utf-8" },
    error: AuthError,
    message:
      'Flickr no longer accepts the saved sign-in (the token was revoked or expired): run "flickr-backup login"',
    exitCode: 4,
  },
  {
    name: "code 99 → needs read permission",
    body:
      '{"stat":"fail","code":99,"message":"Insufficient permissions. Method requires read privileges; none granted."}',
    error: AuthError,
    message: 'read permission: run "flickr-backup login"',
    exitCode: 4,
  },
  {
    name: "code 100 → API key, named, with the Pro hint",
    body:
      '{"stat":"fail", "code":100, "message":"Invalid API Key (Key has expired)"}',
    error: AuthError,
    message:
      'Flickr rejected the API key "653e7a6ecc1d528c516cc8f92cf98611" ("Invalid API Key (Key has expired)", code 100): check --api-key / FLICKR_API_KEY; since 2025 new keys need Flickr Pro',
    exitCode: 4,
  },
  {
    name: "code 96 → signature",
    body: '{"stat":"fail","code":96,"message":"Invalid signature"}',
    error: AuthError,
    message: "API secret or the saved token secret is wrong",
  },
  {
    name: "code 97 → signature",
    body: '{"stat":"fail","code":97,"message":"Missing signature"}',
    error: AuthError,
    message: '("Missing signature", code 97)',
  },
  {
    name: "code 95 → https required",
    body: '{"stat":"fail","code":95,"message":"SSL is required"}',
    error: UsageError,
    message: "check FLICKR_ENDPOINT",
    exitCode: 2,
  },
  {
    name: "code 105 → transient",
    body:
      '{"stat":"fail","code":105,"message":"Service currently unavailable"}',
    error: TransientError,
    message: 'Flickr error 105 "Service currently unavailable"',
  },
  {
    name: "code '105' as a string → transient",
    body:
      '{"stat":"fail","code":"105","message":"Service currently unavailable (Site Disabled)"}',
    error: TransientError,
    message: "Flickr error 105",
  },
  {
    name: "code 201 → transient",
    body:
      '{"stat":"fail","message":"Sorry, the Flickr API service is not currently available.","code":201}',
    error: TransientError,
    message: "Flickr error 201",
  },
  {
    name: "code 0 'not currently available' → transient",
    body:
      '{"stat":"fail","code":"0","message":"Sorry, the Flickr API service is not currently available."}',
    error: TransientError,
    message: "Flickr error 0",
  },
  {
    name: "code 0 with another message → API error",
    body: '{"stat":"fail","code":0,"message":"Something else"}',
    error: FlickrApiError,
    message: 'Flickr refused flickr.photos.getSizes: "Something else" (code 0)',
    exitCode: 1,
  },
  {
    name: "unknown code 112 → API error (exit 1)",
    body:
      '{"stat":"fail","code":112,"message":"Method \\"flickr.photos.doesNotExist\\" not found"}',
    error: FlickrApiError,
    message: "(code 112)",
    exitCode: 1,
  },
  {
    name: "stat:fail with HTTP 500 is still read as Flickr's error",
    status: 500,
    body: '{"stat":"fail","code":98,"message":"Invalid auth token"}',
    error: AuthError,
    message: "no longer accepts",
  },
  {
    name: "XML error body",
    body:
      '<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="fail">\n\t<err code="1" msg="Photo not found" />\n</rsp>',
    headers: { "content-type": "text/xml" },
    error: FlickrNotFoundError,
    message: "Photo not found",
  },
  {
    name: "OAuth 401 signature_invalid, base string not echoed",
    status: 401,
    headers: TEXT_TYPE,
    body:
      "oauth_problem=signature_invalid&debug_sbs=GET&https%3A%2F%2Fapi.flickr.com%2Fservices%2Frest%2F&oauth_token%3D72157720901211946-463449c73d8a9f2d",
    error: AuthError,
    message:
      'Flickr rejected the request signature: the API secret or the saved token secret is wrong: check --api-secret / FLICKR_API_SECRET, or run "flickr-backup login" again',
    exitCode: 4,
  },
  {
    name: "OAuth 401 token_rejected",
    status: 401,
    headers: TEXT_TYPE,
    body: "oauth_problem=token_rejected",
    error: AuthError,
    message: "no longer accepts the saved sign-in",
  },
  {
    name: "OAuth 401 consumer_key_unknown names the key",
    status: 401,
    headers: TEXT_TYPE,
    body: "oauth_problem=consumer_key_unknown",
    error: AuthError,
    message:
      '"653e7a6ecc1d528c516cc8f92cf98611" (oauth_problem=consumer_key_unknown)',
  },
  {
    name: "OAuth 400 parameter_absent",
    status: 400,
    headers: TEXT_TYPE,
    body: "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_token",
    error: AuthError,
    message:
      "Not signed in: Flickr needs oauth_token for flickr.photos.getSizes",
  },
  {
    name: "OAuth timestamp_refused",
    status: 401,
    body: "oauth_problem=timestamp_refused",
    error: AuthError,
    message: "clock",
  },
  {
    name: "OAuth unknown problem",
    status: 401,
    body: "oauth_problem=something_new",
    error: AuthError,
    message: "(oauth_problem=something_new)",
  },
  {
    name: "plain 401",
    status: 401,
    body: "Unauthorized",
    error: AuthError,
    message: "HTTP 401: Unauthorized",
  },
  {
    name: "429 HTML with Retry-After seconds",
    status: 429,
    headers: { "retry-after": "1", "content-type": "text/html" },
    body:
      "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>",
    error: TransientError,
    message: "HTTP 429",
    retryAfterMs: 1000,
  },
  {
    name: "429 with an HTTP-date Retry-After",
    status: 429,
    headers: { "retry-after": "Wed, 25 Nov 2026 12:00:30 GMT" },
    body: "",
    error: TransientError,
    message: "HTTP 429",
    retryAfterMs: 30_000,
  },
  {
    name: "502 nginx page",
    status: 502,
    headers: { "content-type": "text/html" },
    body: "<html><center><h1>502 Bad Gateway</h1></center><hr>nginx</html>",
    error: TransientError,
    message: "HTTP 502",
  },
  {
    name: "503 with Retry-After",
    status: 503,
    headers: { "retry-after": "5" },
    body: "down",
    error: TransientError,
    message: "HTTP 503",
    retryAfterMs: 5000,
  },
  {
    name: "500, 504 are transient",
    status: 504,
    body: "",
    error: TransientError,
    message: "HTTP 504",
  },
  {
    name: "HTML page with 200 → transient (full budget)",
    headers: { "content-type": "text/html" },
    body:
      "<!DOCTYPE html><html><title>Flickr is down for maintenance</title></html>",
    error: TransientError,
    message: "an HTML page instead of JSON from flickr.photos.getSizes",
  },
  {
    name: "JSONP → transient, limited",
    headers: JSON_TYPE,
    body: 'jsonFlickrApi({"stat":"ok","sizes":{}})',
    error: TransientError,
    message: "JSONP",
    maxAttempts: 2,
  },
  {
    name: "truncated JSON → transient, every try (cut on the way)",
    body: '{"stat":"ok","sizes":{"size":[{"label":"Squ',
    error: TransientError,
    message: "invalid JSON",
    maxAttempts: undefined,
  },
  {
    name: "empty 200 → transient, limited",
    body: "",
    error: TransientError,
    message: "empty answer",
    maxAttempts: 2,
  },
  {
    name: "JSON without stat → transient, limited",
    body: '{"sizes":{}}',
    error: TransientError,
    message: 'without stat "ok"',
    maxAttempts: 2,
  },
  {
    name: "404 from a wrong endpoint → protocol error",
    status: 404,
    body: "Not Found",
    error: FlickrProtocolError,
    message: "HTTP 404",
    exitCode: 5,
  },
  {
    name: "redirect → protocol error, Location redacted",
    status: 302,
    headers: { location: "https://example.com/x?oauth_token=abc" },
    body: "",
    error: FlickrProtocolError,
    message: "HTTP 302 to https://example.com/x)",
  },
];

Deno.test("readFlickrResponse() maps each failure to its error (table)", async () => {
  for (const c of CASES) {
    const response = new Response(c.body, {
      status: c.status ?? 200,
      headers: c.headers ?? JSON_TYPE,
    });
    const error = await assertRejects(
      () => readFlickrResponse(response, CONTEXT),
      c.error,
    ).catch((e) => {
      throw new Error(`${c.name}: ${e.message}`);
    });
    assertStringIncludes(error.message, c.message, c.name);
    if (c.exitCode !== undefined) {
      assert(error instanceof AppError, c.name);
      assertStrictEquals(error.exitCode, c.exitCode, c.name);
    }
    if (error instanceof TransientError) {
      assertStrictEquals(error.retryAfterMs, c.retryAfterMs, c.name);
      assertStrictEquals(error.maxAttempts, c.maxAttempts, c.name);
      assertStrictEquals(error.rateLimited, c.status === 429, c.name);
    }
    // No OAuth material in any message.
    assert(!error.message.includes("72157720901211946"), c.name);
    assert(!error.message.includes("oauth_token=abc"), c.name);
  }
});

Deno.test("readFlickrResponse() returns the JSON of a stat:ok answer whatever the Content-Type", async () => {
  for (
    const contentType of [
      "application/json",
      "text/plain",
      "text/javascript; charset=utf-8",
      "",
    ]
  ) {
    const response = new Response(
      '{"user":{"id":"78733179@N04","username":{"_content":"@janko-m"}},"stat":"ok"}',
      {
        status: 200,
        headers: contentType ? { "content-type": contentType } : {},
      },
    );
    const json = await readFlickrResponse(response, CONTEXT);
    assertEquals(json, {
      user: { id: "78733179@N04", username: { _content: "@janko-m" } },
      stat: "ok",
    });
  }
});

Deno.test("readFlickrResponse() gives up on malformed answers with a FlickrProtocolError", async () => {
  const error = await assertRejects(
    () =>
      readFlickrResponse(
        new Response('jsonFlickrApi({"stat":"ok"})'),
        CONTEXT,
      ),
    TransientError,
  );
  const final = error.whenExhausted?.();
  assert(final instanceof FlickrProtocolError);
  assertStrictEquals(
    final.message,
    "Flickr answered flickr.photos.getSizes with JSONP instead of JSON (nojsoncallback ignored)",
  );
  assertStrictEquals(final.exitCode, 5);
});

Deno.test("readFlickrResponse() scrubs the caller's secrets from Flickr's text", async () => {
  const error = await assertRejects(
    () =>
      readFlickrResponse(
        new Response(
          '{"stat":"fail","code":112,"message":"Bad fccb68c4e6103197 oauth_token=xyz"}',
        ),
        CONTEXT,
      ),
    FlickrApiError,
  );
  assertStringIncludes(error.message, "Bad [redacted] oauth_token=[redacted]");
  assertStrictEquals(error.code, 112);
  assertStrictEquals(error.method, "flickr.photos.getSizes");
});
