import { assert, assertEquals } from "../../tests/assert.ts";
import { descriptionText, esc, sanitizeDescription, urlPath } from "./html.ts";

Deno.test("esc() escapes every character that could open markup or end an attribute", () => {
  assertEquals(
    esc(`<a href="x" onclick='y'>&</a>`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
});

Deno.test("urlPath() encodes each part of a relative path, keeping the slashes", () => {
  assertEquals(
    urlPath("Holidays #1 ?/50% off.jpg"),
    "Holidays%20%231%20%3F/50%25%20off.jpg",
  );
});

Deno.test("sanitizeDescription() drops scripts, event handlers and javascript: links", () => {
  const out = sanitizeDescription(
    `<script>alert(1)</script>Hi <img src=x onerror=alert(2)><a href="javascript:alert(3)" onclick="x()">there</a><style>*{}</style><iframe src="https://evil"></iframe>`,
  );
  assertEquals(out, "Hi <a>there</a>");
});

Deno.test("sanitizeDescription() keeps line breaks, safe formatting and web links, closing what is left open", () => {
  assertEquals(
    sanitizeDescription(
      `Line 1\nLine 2 <b>bold <i>both</b> <a href="https://example.org/a?b=1&amp;c=2" title="t">link</a>`,
    ),
    `Line 1<br>\nLine 2 <b>bold <i>both</i></b> <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">link</a>`,
  );
  assertEquals(sanitizeDescription("<em>open"), "<em>open</em>");
  assertEquals(sanitizeDescription("stray </b> close"), "stray  close");
});

Deno.test("sanitizeDescription() turns bare web addresses into links and keeps entities as text", () => {
  assertEquals(
    sanitizeDescription("see https://example.org/x. &lt;script&gt; &amp; more"),
    `see <a href="https://example.org/x" rel="nofollow noopener noreferrer">https://example.org/x</a>. &lt;script&gt; &amp; more`,
  );
});

Deno.test("sanitizeDescription() output never holds a tag outside the kept set", () => {
  const nasty = [
    `<svg><script>alert(1)</script></svg>`,
    `<a href="data:text/html,<script>alert(1)</script>">x</a>`,
    `<<script>script>alert(1)<</script>/script>`,
    `<img/src=x/onerror=alert(1)>`,
    `<a href=" javascript:alert(1)">x</a>`,
    `<!-- <script>alert(1)</script> -->`,
    `<textarea><b>x</b></textarea>`,
  ];
  for (const input of nasty) {
    const out = sanitizeDescription(input);
    for (const tag of out.matchAll(/<\/?([a-z]+)/g)) {
      assert(
        [
          "a",
          "b",
          "i",
          "em",
          "strong",
          "u",
          "s",
          "strike",
          "blockquote",
          "code",
          "pre",
          "br",
        ]
          .includes(tag[1]!),
        `${input} -> ${out}`,
      );
    }
    assert(!/<a href="(javascript|data)/i.test(out), `${input} -> ${out}`);
  }
});

Deno.test("descriptionText() gives the words of a description without markup", () => {
  assertEquals(
    descriptionText(
      "A <b>day</b> at the<br>harbour &amp; <script>x()</script>beach",
    ),
    "A day at the harbour & beach",
  );
});
