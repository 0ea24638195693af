import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { utf8 } from "./_bytes.ts";
import { TRUNCATION_MARKER } from "./fields.ts";
import {
  escapeXml,
  FLICKR_BACKUP_NS,
  formatXmpCoordinate,
  type XmpFields,
} from "./build_description.ts";
import {
  buildXmpPacket,
  EMPTY_PACKET,
  freshXmpPacket,
  mergeXmpPacket,
} from "./merge_xmp_packet.ts";
import { findOurDescription, fitXmpPacket } from "./xmp.ts";

const fields: XmpFields = {
  title: "A & B <c>",
  description: 'Line 1\r\nLine "2"',
  tags: ["x", "京都", "🌅"],
  creator: "Jane",
  rights: "© Jane",
  date: "2019-07",
  gps: { latitude: 48.856614, longitude: -2.3522219 },
  flickrUrl: "https://flickr.com/p/1?a=1&b=2",
};

/** A camera/phone packet with properties in element and attribute form. */
const foreign = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Phone XMP">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about=""
        xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
        xmlns:xap="http://ns.adobe.com/xap/1.0/"
        xmlns:dc="http://purl.org/dc/elements/1.1/"
        GCamera:MotionPhoto="1"
        xap:CreateDate="2001-01-01T00:00:00">
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Camera title</rdf:li></rdf:Alt></dc:title>
      <dc:format>image/jpeg</dc:format>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
${" ".repeat(2000)}
<?xpacket end="w"?>`;

Deno.test("escapeXml() escapes markup, quotes and CR", () => {
  assertEquals(
    escapeXml(`a&b<c>"d"\re`),
    "a&amp;b&lt;c&gt;&quot;d&quot;&#xD;e",
  );
  assertEquals(escapeXml("日本 🌅 'x'"), "日本 🌅 'x'");
});

Deno.test("formatXmpCoordinate() uses DD,MM.mmmmmmK", () => {
  assertEquals(formatXmpCoordinate(48.856614, "latitude"), "48,51.396840N");
  assertEquals(formatXmpCoordinate(-2.3522219, "longitude"), "2,21.133314W");
  assertEquals(formatXmpCoordinate(-0.5, "latitude"), "0,30.000000S");
  assertEquals(
    formatXmpCoordinate(10.99999999999, "longitude"),
    "11,0.000000E",
  );
});

Deno.test("buildXmpPacket() makes a well-formed packet with our marker", () => {
  const packet = buildXmpPacket(fields);
  assert(packet.startsWith('<?xpacket begin="\uFEFF"'));
  assert(packet.endsWith('<?xpacket end="w"?>'));
  assert(packet.includes(`xmlns:flickrbackup="${FLICKR_BACKUP_NS}"`));
  assert(
    packet.includes(
      '<rdf:li xml:lang="x-default">A &amp; B &lt;c&gt;</rdf:li>',
    ),
  );
  assert(packet.includes("Line 1&#xD;\nLine &quot;2&quot;"));
  assert(packet.includes("<rdf:Bag>"));
  assert(packet.includes("<rdf:Seq>"));
  assert(
    packet.includes("<photoshop:DateCreated>2019-07</photoshop:DateCreated>"),
  );
  assert(packet.includes("<xmp:CreateDate>2019-07</xmp:CreateDate>"));
  assert(packet.includes("<exif:GPSLatitude>48,51.396840N</exif:GPSLatitude>"));
  assert(findOurDescription(packet));
});

Deno.test("freshXmpPacket() is the merge into an empty packet, built without parsing", () => {
  for (
    const f of [
      fields,
      { tags: [] },
      { tags: ["a"], title: "T" },
      { tags: [], flickrUrl: "https://www.flickr.com/photos/x/1/" },
    ]
  ) {
    const fresh = freshXmpPacket(f);
    assertEquals(fresh.packet, mergeXmpPacket(EMPTY_PACKET, f));
    assertEquals(fresh.ours, findOurDescription(fresh.packet));
  }
  assertEquals(freshXmpPacket({ tags: [] }).ours, undefined);
});

Deno.test("mergeXmpPacket() keeps foreign properties and removes owned duplicates", () => {
  const merged = mergeXmpPacket(foreign, fields);
  assert(merged.includes('GCamera:MotionPhoto="1"'));
  assert(merged.includes("<dc:format>image/jpeg</dc:format>"));
  assert(!merged.includes("Camera title"));
  assert(!merged.includes("xap:CreateDate"));
  assert(merged.includes('x:xmptk="Phone XMP"'));
  assertEquals(merged.match(/<dc:title>/g)?.length, 1);
  // The padding and the wrapper are untouched.
  assert(merged.includes(" ".repeat(2000)));
  assert(merged.endsWith('<?xpacket end="w"?>'));
});

Deno.test("mergeXmpPacket() is idempotent and replaces its own description", () => {
  const once = mergeXmpPacket(foreign, fields);
  assertEquals(mergeXmpPacket(once, fields), once);
  const changed = mergeXmpPacket(once, { ...fields, title: "New" });
  assert(changed.includes(">New<"));
  assert(!changed.includes("A &amp; B"));
  assertEquals(changed.match(new RegExp(FLICKR_BACKUP_NS, "g"))?.length, 1);
  // Back to the old values: byte-identical to the first merge.
  assertEquals(mergeXmpPacket(changed, fields), once);
  // Fields we no longer have disappear from our description.
  const fewer = mergeXmpPacket(once, { tags: [] });
  assert(!fewer.includes("flickrbackup"));
  assert(fewer.includes('GCamera:MotionPhoto="1"'));
});

Deno.test("mergeXmpPacket() refuses what it cannot merge safely", () => {
  const cases = [
    "<x:xmpmeta><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description></rdf:RDF></x:xmpmeta>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]><x/>",
    "<x:xmpmeta>no rdf here</x:xmpmeta>",
    "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Bag/></rdf:RDF>",
  ];
  for (const packet of cases) {
    assertThrows(() => mergeXmpPacket(packet, fields), packet);
  }
});

Deno.test("mergeXmpPacket() uses the packet's rdf:about and rdf prefix", () => {
  const packet =
    `<x:xmpmeta xmlns:x="adobe:ns:meta/"><R:RDF xmlns:R="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
    `<R:Description R:about="uuid:1234"/></R:RDF></x:xmpmeta>`;
  const merged = mergeXmpPacket(packet, { tags: ["a"] });
  assert(merged.includes('rdf:about="uuid:1234"'));
  assert(
    merged.includes('xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'),
  );
});

Deno.test("fitXmpPacket() strips padding, then cuts the description with a marker", () => {
  const huge = "長い説明。".repeat(40_000); // ~600 KB of UTF-8
  const fit = fitXmpPacket(foreign, { ...fields, description: huge });
  assert(fit.kind === "ok");
  const size = utf8(fit.packet).length;
  assert(size <= 65502, `${size}`);
  assert(size > 60_000);
  assert(fit.packet.includes(TRUNCATION_MARKER));
  assert(!fit.packet.includes(" ".repeat(2000)));
  assertEquals(fit.warnings.length, 1);
  // Fitting the fitted packet again changes nothing.
  const again = fitXmpPacket(fit.packet, { ...fields, description: huge });
  assert(again.kind === "ok");
  assertEquals(again.packet, fit.packet);
});

Deno.test("fitXmpPacket() fails when even an empty description does not fit", () => {
  const fit = fitXmpPacket(undefined, { tags: ["x".repeat(70_000)] });
  assertEquals(fit.kind, "failed");
});
