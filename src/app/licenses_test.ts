import { assertEquals } from "../../tests/assert.ts";
import { BUILT_IN_LICENSES, licenseFor, rightsText } from "./licenses.ts";

Deno.test("the built-in licence table names every id 0-16, the CC 4.0 family included", () => {
  assertEquals(
    BUILT_IN_LICENSES.map((l) => l.id),
    Array.from({ length: 17 }, (_, i) => String(i)),
  );
  assertEquals(licenseFor("14").name, "CC BY-NC 4.0");
  assertEquals(
    licenseFor("14").url,
    "https://creativecommons.org/licenses/by-nc/4.0/",
  );
});

Deno.test("licenseFor() prefers Flickr's answer, falls back to the table, never fails", () => {
  const flickr = [{ id: "14", name: "Flickr's own name", url: "https://x/" }];
  assertEquals(licenseFor("14", flickr).name, "Flickr's own name");
  assertEquals(licenseFor("11", flickr).name, "CC BY 4.0");
  assertEquals(licenseFor("99", flickr).name, "Flickr licence 99");
  assertEquals(
    rightsText(licenseFor("0"), "Jo"),
    "© Jo. All Rights Reserved",
  );
  assertEquals(
    rightsText(licenseFor("11"), "Jo"),
    "Jo. License: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
  );
});
