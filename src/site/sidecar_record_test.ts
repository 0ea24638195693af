import { assertEquals } from "../../tests/assert.ts";
import { buildSidecar } from "../app/sidecar.ts";
import { readSidecar, tagKey } from "./sidecar_record.ts";

const v1 = buildSidecar({
  photo: {
    id: "123",
    secret: "s",
    server: "1",
    title: "Sunset",
    description: "Golden <b>hour</b>",
    tags: ["sunset", "lisbon"],
    machineTags: ["geo:country=pt"],
    license: "4",
    dateTaken: "2021-03-28 01:37:37",
    dateTakenGranularity: 4,
    dateTakenUnknown: false,
    media: "video",
    pathAlias: "me",
    views: 7,
    visibility: { isPublic: true, isFriend: false, isFamily: false },
    sizes: [],
    geo: { latitude: 38.7, longitude: -9.1 },
  },
  owner: { nsid: "1@N01", username: "me", realname: "Me Myself" },
  albums: [{ id: "72157", title: "Trip" }],
  saved: {
    kind: "original",
    label: "o",
    bytes: 1,
    sha256Downloaded: "abc",
    width: 10,
    height: 5,
  },
  dateInFile: { source: "flickr" },
  embedded: { status: "written", warnings: [] },
  backedUpAt: new Date(0),
});

Deno.test("readSidecar() reads what the backup writes (buildSidecar)", () => {
  const record = readSidecar(JSON.parse(JSON.stringify(v1)), "123")!;
  assertEquals(record, {
    id: "123",
    title: "Sunset",
    description: "Golden <b>hour</b>",
    tags: [{ label: "sunset", key: "sunset" }, {
      label: "lisbon",
      key: "lisbon",
    }],
    dateTaken: "2021-03-28 01:37:37",
    granularity: "month",
    geo: { latitude: 38.7, longitude: -9.1 },
    license: {
      name: "Attribution License",
      url: "https://creativecommons.org/licenses/by/2.0/",
    },
    views: 7,
    media: "video",
    flickrUrl: "https://www.flickr.com/photos/me/123/",
    albums: [{ id: "72157", title: "Trip" }],
    width: 10,
    height: 5,
    sha256: "abc",
    owner: "Me Myself",
  });
});

Deno.test("readSidecar() reads schema 1 and other writers' shapes: licence without URL, tag objects: raw tags, licence URL, numbers as strings", () => {
  const record = readSidecar({
    ...v1,
    schema_version: 1,
    tags: [{ raw: "New York", normalized: "newyork" }, "sea"],
    license: {
      id: "4",
      name: "CC BY 2.0",
      url: "https://creativecommons.org/licenses/by/2.0/",
    },
    privacy: "unknown",
    views: "12",
    geo: { latitude: "40.7", longitude: "-74" },
    date_taken: { value: "2020-01-02 03:04:05", granularity: 6 },
  }, "123")!;
  assertEquals(record.tags, [{ label: "New York", key: "newyork" }, {
    label: "sea",
    key: "sea",
  }]);
  assertEquals(record.license, {
    name: "CC BY 2.0",
    url: "https://creativecommons.org/licenses/by/2.0/",
  });
  assertEquals(record.views, 12);
  assertEquals(record.geo, { latitude: 40.7, longitude: -74 });
  assertEquals(record.granularity, "year");
});

Deno.test("readSidecar() turns odd or hostile fields into absent ones, never into links", () => {
  const record = readSidecar({
    id: "5",
    title: 42,
    url: "javascript:alert(1)",
    license: { name: "x", url: "javascript:alert(1)" },
    geo: { latitude: 300, longitude: 0 },
    tags: [null, {}, "", "ok"],
    albums: [{ id: "../../etc", title: "bad" }, "x", {
      id: "9",
      title: "good",
    }],
    date_taken: { value: "0000-00-00 00:00:00" },
  }, "5")!;
  assertEquals(record.title, "42");
  assertEquals(record.flickrUrl, "");
  assertEquals(record.license, { name: "x", url: "" });
  assertEquals(record.geo, null);
  assertEquals(record.tags, [{ label: "ok", key: "ok" }]);
  assertEquals(record.albums, [{ id: "9", title: "good" }]);
  assertEquals(record.dateTaken, "");
  assertEquals(
    readSidecar({ id: "6" }, "5"),
    undefined,
    "a sidecar naming another photo",
  );
  assertEquals(readSidecar([1, 2], "5"), undefined);
});

Deno.test("tagKey() normalizes like Flickr: lower case, letters and digits only", () => {
  assertEquals(tagKey("New York!"), "newyork");
  assertEquals(tagKey("Café"), "café");
});
