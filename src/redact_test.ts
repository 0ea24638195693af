import { assert, assertEquals, assertStrictEquals } from "../tests/assert.ts";
import { redact, REDACTED, redactError, redactUrl } from "./redact.ts";

const R = REDACTED;

Deno.test("redact() removes credential values from text (table)", () => {
  const cases: [string, string][] = [
    // Query strings, as Deno's fetch errors quote them.
    [
      "error sending request for url (https://api.flickr.com/services/rest/?method=flickr.test.login&oauth_token=72157626737672178-022bbd2f4c2f3432&oauth_signature=UD9TGXzrvLIb0Ar5ynqvzatM58U%3D&oauth_nonce=95613465)",
      `error sending request for url (https://api.flickr.com/services/rest/?method=flickr.test.login&oauth_token=${R}&oauth_signature=${R}&oauth_nonce=${R})`,
    ],
    [
      "?oauth_verifier=5d1b96a26b494074&oauth_token_secret=fccb68c4e6103197",
      `?oauth_verifier=${R}&oauth_token_secret=${R}`,
    ],
    ["api_sig=abcdef0123456789&page=2", `api_sig=${R}&page=2`],
    ["auth_token=72157-abc", `auth_token=${R}`],
    // The consumer key keeps a prefix; api_key too.
    [
      "oauth_consumer_key=653e7a6ecc1d528c516cc8f92cf98611&x=1",
      `oauth_consumer_key=653e…${R}&x=1`,
    ],
    ["api_key=ac4fd7aa98585b9e", `api_key=ac4f…${R}`],
    ["api_key=abc", `api_key=${R}`],
    // The CDN's signed-URL token, but not words ending in "s=".
    [
      "https://live.staticflickr.com/video/1/2/360p.mp4?s=eyJpIjo1MTU3MjIwMTk3OSwiZSI6MTczODk0MzczNCwicyI6IjBjMDl9",
      `https://live.staticflickr.com/video/1/2/360p.mp4?s=${R}`,
    ],
    ["/x.mp4?a=1&s=tok123", `/x.mp4?a=1&s=${R}`],
    ["pages=3&perpage=500&s=", "pages=3&perpage=500&s="],
    ["pages=3", "pages=3"],
    // Flickr's 401 body echoes the base string, percent-encoded.
    [
      "oauth_problem=signature_invalid&debug_sbs=POST&https%3A%2F%2Fapi.flickr.com%2Fservices%2Frest%2F&method%3Dflickr.x%26oauth_consumer_key%3D88a8e524a3a638798f0ae327f2297d57%26oauth_nonce%3DMRkOY7Lfye63zb7rnMEni3iUT8TJlm%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1701773163%26oauth_token%3D72157720901211946-463449c73d8a9f2d%26oauth_version%3D1.0",
      `oauth_problem=signature_invalid&debug_sbs=POST&https%3A%2F%2Fapi.flickr.com%2Fservices%2Frest%2F&method%3Dflickr.x%26oauth_consumer_key%3D88a8…${R}%26oauth_nonce%3D${R}%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1701773163%26oauth_token%3D${R}%26oauth_version%3D1.0`,
    ],
    // Authorization header values.
    [
      'Authorization: OAuth oauth_consumer_key="653e7a6e",oauth_nonce="abc",oauth_signature="x%3D",oauth_signature_method="HMAC-SHA1",oauth_timestamp="1",oauth_token="7215-ab",oauth_version="1.0"',
      `Authorization: OAuth ${R}`,
    ],
    [
      'authorization: OAuth realm="", oauth_token="7215-ab", oauth_signature="x"; next',
      `authorization: OAuth ${R}; next`,
    ],
    ["Authorization: Bearer abc.def.ghi", `Authorization: Bearer ${R}`],
    [
      '{"authorization":"Basic dXNlcjpwYXNz"}',
      `{"authorization":"Basic ${R}"}`,
    ],
    // Header-style and JSON-style pairs on their own.
    ['oauth_signature="UD9TGXzrvLI%3D"', `oauth_signature="${R}"`],
    [
      '{"oauth_token": "7215-ab", "oauth_token_secret":"a202d1f853ec69de"}',
      `{"oauth_token": "${R}", "oauth_token_secret":"${R}"}`,
    ],
    ['{"tokenSecret":"a202d1f853ec69de"}', `{"tokenSecret":"${R}"}`],
    ['{"consumerKey":"653e7a6ecc1d528c"}', `{"consumerKey":"653e…${R}"}`],
    // Left alone: ordinary text, similar-looking names, empty values.
    ["Photo not found (invalid ID)", "Photo not found (invalid ID)"],
    ["my_oauth_token=abc", "my_oauth_token=abc"],
    ["oauth_token=&x=1", "oauth_token=&x=1"],
    ["Authorization header missing", "Authorization header missing"],
    [
      "https://www.flickr.com/photos/me/1/play/orig/a0f8e31b68/",
      "https://www.flickr.com/photos/me/1/play/orig/a0f8e31b68/",
    ],
  ];
  for (const [input, expected] of cases) {
    assertEquals(redact(input), expected, input);
  }
});

Deno.test("redact() is idempotent", () => {
  const inputs = [
    "oauth_token=72157-abc&oauth_consumer_key=653e7a6ecc1d&s=tok",
    'Authorization: OAuth oauth_token="x", oauth_signature="y"',
    '{"oauth_token":"abc","api_key":"12345678"}',
  ];
  for (const input of inputs) {
    const once = redact(input);
    assertEquals(redact(once), once, input);
  }
});

Deno.test("redact() removes literal secret values, raw and URL-encoded", () => {
  const secret = "fccb68c4e6103197";
  assertEquals(
    redact(`key ${secret}&${secret}`, [secret]),
    `key ${R}&${R}`,
  );
  assertEquals(redact("a b/c+d", ["b/c+"]), `a ${R}d`);
  assertEquals(redact("xx%2Byy", ["xx+yy"]), R);
  // Too short to be safe to scrub everywhere.
  assertEquals(redact("abc abc", ["abc"]), "abc abc");
});

Deno.test("redactUrl() drops the query, fragment and user info (table)", () => {
  const cases: [string, string][] = [
    [
      "https://api.flickr.com/services/rest/?method=x&oauth_token=abc",
      "https://api.flickr.com/services/rest/",
    ],
    [
      "https://live.staticflickr.com/video/1/2/orig.mp4?s=tok#t=1",
      "https://live.staticflickr.com/video/1/2/orig.mp4",
    ],
    [
      "http://user:pw@127.0.0.1:8080/p/1.jpg?x",
      "http://127.0.0.1:8080/p/1.jpg",
    ],
    ["not a url?oauth_token=abc", "not a url"],
    ["relative/path#frag", "relative/path"],
  ];
  for (const [input, expected] of cases) {
    assertEquals(redactUrl(input), expected, input);
  }
  assertEquals(
    redactUrl(new URL("https://www.flickr.com/a?b=c")),
    "https://www.flickr.com/a",
  );
});

Deno.test("redactError() copies an error chain with redacted messages", () => {
  const inner = new TypeError(
    "error sending request for url (https://x/?oauth_token=abc&oauth_signature=def)",
  );
  const outer = new Error("wrapped oauth_verifier=123-456-789", {
    cause: inner,
  });
  const copy = redactError(outer);
  assertEquals(copy.message, `wrapped oauth_verifier=${R}`);
  assert(copy.cause instanceof Error);
  assertStrictEquals(copy.cause.name, "TypeError");
  assertEquals(
    copy.cause.message,
    `error sending request for url (https://x/?oauth_token=${R}&oauth_signature=${R})`,
  );
  assert(!copy.stack?.includes("abc"));
  assertEquals(
    redactError("plain oauth_token=x").message,
    `plain oauth_token=${R}`,
  );
});
