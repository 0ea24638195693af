import { assert, assertEquals } from "../../tests/assert.ts";
import {
  extensionFromContentDisposition,
  extensionFromUrl,
  isLoopbackHost,
  isStrongEtag,
  parseContentLength,
  parseContentRange,
  redactText,
  redactUrl,
} from "./_http_headers.ts";

Deno.test("parseContentRange() accepts only well-formed byte ranges", () => {
  assertEquals(parseContentRange("bytes 0-99/100"), {
    start: 0,
    end: 99,
    total: 100,
  });
  assertEquals(parseContentRange("bytes 50-99/*"), {
    start: 50,
    end: 99,
    total: undefined,
  });
  for (
    const bad of [
      null,
      "",
      "bytes */100",
      "bytes 10-5/100",
      "bytes 0-100/100",
      "items 0-1/2",
      "bytes 0-1/2, 4-5/6",
      "bytes -1-2/3",
    ]
  ) {
    assertEquals(parseContentRange(bad), undefined, String(bad));
  }
});

Deno.test("parseContentLength() rejects lists and junk", () => {
  assertEquals(parseContentLength("123"), 123);
  assertEquals(parseContentLength(" 0 "), 0);
  assertEquals(parseContentLength(null), undefined);
  assertEquals(parseContentLength("12, 12"), undefined);
  assertEquals(parseContentLength("-1"), undefined);
  assertEquals(parseContentLength("1e3"), undefined);
});

Deno.test("isStrongEtag() accepts only quoted strong tags", () => {
  assert(isStrongEtag('"abc"'));
  assert(isStrongEtag('""'));
  assert(!isStrongEtag('W/"abc"'));
  assert(!isStrongEtag("abc"));
  assert(!isStrongEtag(null));
  assert(!isStrongEtag(undefined));
});

Deno.test("redactUrl() and redactText() drop queries, fragments and credentials", () => {
  assertEquals(
    redactUrl("https://u:p@cdn.example/a/b.jpg?s=SECRET#frag"),
    "https://cdn.example/a/b.jpg",
  );
  const text = redactText(
    'error sending request for url (https://h.example/x.mp4?oauth_token=SECRET&sig=SECRET): boom, see "http://user:pw@h2/y?z=SECRET"',
  );
  assert(!text.includes("SECRET"), text);
  assert(!text.includes("pw"), text);
  assertEquals(
    text,
    'error sending request for url (https://h.example/x.mp4): boom, see "http://h2/y"',
  );
});

Deno.test("extensionFromContentDisposition() reads filename and filename*", () => {
  assertEquals(
    extensionFromContentDisposition("attachment; filename=26348530105.mov"),
    "mov",
  );
  assertEquals(
    extensionFromContentDisposition('attachment; filename="a b.MP4"'),
    "mp4",
  );
  assertEquals(
    extensionFromContentDisposition(
      `attachment; filename="x.jpg"; filename*=UTF-8''caf%C3%A9.avi`,
    ),
    "avi",
  );
  assertEquals(extensionFromContentDisposition("inline"), undefined);
  assertEquals(
    extensionFromContentDisposition('attachment; filename="../../x.exe/"'),
    undefined,
  );
  assertEquals(extensionFromContentDisposition(null), undefined);
});

Deno.test("extensionFromUrl() reads the last path segment only", () => {
  assertEquals(extensionFromUrl("https://x/1/2_3_o.JPG?x=y.png"), "jpg");
  assertEquals(extensionFromUrl("https://x/play/orig/abc/"), undefined);
  assertEquals(extensionFromUrl("https://x/v.d/file"), undefined);
});

Deno.test("isLoopbackHost() knows loopback names", () => {
  for (
    const h of ["127.0.0.1", "127.1.2.3", "localhost", "[::1]", "a.localhost"]
  ) {
    assert(isLoopbackHost(h), h);
  }
  for (const h of ["example.com", "128.0.0.1", "localhost.example.com"]) {
    assert(!isLoopbackHost(h), h);
  }
});
