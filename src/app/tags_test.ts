import { assertEquals } from "../../tests/assert.ts";
import { hasOwnTags, isMachineTag, presentTags } from "./tags.ts";

Deno.test("isMachineTag() knows machine and automatic tags (table)", () => {
  const cases: [string, boolean][] = [
    ["sign:type=neon", true],
    ["vision:outdoor=064", true],
    ["geo:country=ch", true],
    ["hasselblad500cm", false],
    ["nyc", false],
    ["a:b", false],
    ["=x", false],
    ["日本", false],
  ];
  for (const [tag, expected] of cases) {
    assertEquals(isMachineTag(tag), expected, tag);
  }
});

Deno.test("presentTags() gives raw spellings as keywords and keeps machine tags apart", () => {
  const raw = new Map([
    ["hasselblad500cm", ["Hasselblad 500 C/M"]],
    ["newyork", ["New York", "new york"]],
    ["sign:type=neon", ["sign:type=Neon"]],
  ]);
  assertEquals(
    presentTags({
      tags: [
        "hasselblad500cm",
        "newyork",
        "sign:type=neon",
        "vision:outdoor=064",
        "unknown",
      ],
      machineTags: ["sign:type=neon"],
    }, raw),
    {
      keywords: ["Hasselblad 500 C/M", "New York", "unknown"],
      machineTags: ["sign:type=Neon", "vision:outdoor=064"],
    },
  );
  // Without the raw map: cleaned tags, machine tags still apart.
  assertEquals(
    presentTags({ tags: ["nyc", "vision:night=077"], machineTags: [] }),
    { keywords: ["nyc"], machineTags: ["vision:night=077"] },
  );
  assertEquals(hasOwnTags({ tags: ["vision:night=077"] }), false);
  assertEquals(hasOwnTags({ tags: ["vision:night=077", "cat"] }), true);
});
