import { assertEquals } from "../../tests/assert.ts";
import {
  decodeEntities,
  htmlToText,
  idCandidates,
  licenseId,
  normaliseDate,
  parseAlbumsJson,
  parsePhotoJson,
  recoverId,
} from "./export_json.ts";
import { pixelSize } from "../pixels.ts";
import { encodeJpeg } from "../../tests/helpers/jpeg.ts";
import { encodePng } from "../../tests/fake_flickr/media.ts";

Deno.test("ids are recovered from every name shape of FLICKR_EXPORT §2, checked against the metadata", () => {
  const known = new Set([
    "52759384619",
    "53001234567",
    "16343358551",
    "5189977344",
    "7943051628",
    "144332211",
    "53333333333",
    "20141119",
  ]);
  const has = (id: string) => known.has(id) && id !== "20141119";
  const cases: [string, string][] = [
    ["52759384619_be0461e77c_o.jpg", "52759384619"], // id first
    ["sunset-over-the-bay_53001234567_o.jpg", "53001234567"], // titled
    ["20141119_141647_16343358551_o.jpg", "16343358551"], // digits in slug
    ["manfred-p-eventyr_5189977344_o.jpg", "5189977344"], // 10 digits
    ["vid_20120906_141705_7943051628.mp4", "7943051628"], // video: no _o
    ["img_5873_144332211_O.JPG", "144332211"], // 9 digits, upper case
    ["video_53333333333.mov", "53333333333"],
    ["52759384619_o.jpg", "52759384619"],
  ];
  for (const [name, id] of cases) {
    assertEquals(recoverId(name, has), { kind: "matched", id }, name);
  }
  // Never by position alone: an unknown last token is not taken.
  assertEquals(recoverId("orphan_53999999999_o.jpg", has), {
    kind: "orphan",
    id: "53999999999",
  });
  assertEquals(recoverId("notes.txt", has), { kind: "orphan" });
  // Both the first and the last token have metadata: refused.
  assertEquals(
    recoverId("20141119_16343358551_o.jpg", (id) => known.has(id)).kind,
    "ambiguous",
  );
  assertEquals(idCandidates("20141119_141647_16343358551_o.jpg"), [
    "16343358551",
    "20141119",
  ]);
});

Deno.test("HTML and entities become text; dates are normalised or refused", () => {
  assertEquals(
    htmlToText("Gold &amp; red <b>bay</b><br />&quot;wow&quot; &#39;x&#x27;"),
    "Gold & red bay\n\"wow\" 'x'",
  );
  assertEquals(decodeEntities("&unknown; &amp;amp;"), "&unknown; &amp;");
  assertEquals(normaliseDate("2023-07-01 13: 04: 18"), "2023-07-01 13:04:18");
  assertEquals(normaliseDate("2023-02-31 10:00:00"), undefined);
  assertEquals(normaliseDate("0000-00-00 00:00:00"), undefined);
  assertEquals(normaliseDate(undefined), undefined);
  assertEquals(licenseId("All Rights Reserved"), "0");
  assertEquals(licenseId("Attribution License"), "4");
  assertEquals(licenseId(null), undefined);
});

Deno.test("photo JSON: current and 2018 shapes, microdegree GPS, privacy, date fallback, videos", () => {
  const current = parsePhotoJson(
    {
      id: "53001234567",
      name: "Sunset",
      description: "a &amp; b",
      date_taken: "not a date",
      date_imported: "2023-07-03 09:48:30",
      count_views: "53",
      geo: [{ latitude: "40689247", longitude: "-74044502", accuracy: "16" }],
      license: "All Rights Reserved",
      privacy: "friend & family",
      photopage: "https://www.flickr.com/photos/alias/53001234567/",
      original:
        "https://live.staticflickr.com/65535/53001234567_4e284f72c9_o.jpg",
      tags: [{ tag: "sunset" }, { tag: "dc:creator=ada" }],
      rotation: 90,
    },
    "53001234567",
    "jpg",
  );
  const p = current.photo;
  assertEquals(p.description, "a & b");
  assertEquals(p.geo, {
    latitude: 40.689247,
    longitude: -74.044502,
    accuracy: 16,
  });
  assertEquals(p.dateTaken, "2023-07-03 09:48:30");
  assertEquals(p.dateTakenUnknown, true);
  assertEquals(current.facts.date_taken_from, "date_imported");
  assertEquals(p.license, "0");
  assertEquals(p.originalSecret, "4e284f72c9");
  assertEquals(p.pathAlias, "alias");
  assertEquals(p.tags, ["sunset"]);
  assertEquals(p.machineTags, ["dc:creator=ada"]);
  assertEquals(current.facts.privacy, "friend & family");
  assertEquals(current.facts.rotation, 90);
  assertEquals(p.views, 53);

  const old = parsePhotoJson(
    {
      id: "2634391576",
      name: "Lake",
      date_taken: "2008-06-15 09:12:00",
      geo: { latitude: "52008300", longitude: "-9523300", accuracy: "14" },
      license: null,
      exif: [],
      original: "https://farm4.staticflickr.com/3001/2634391576_abc123_o.jpg",
    },
    "2634391576",
    "jpg",
  );
  assertEquals(old.photo.geo?.longitude, -9.5233);
  assertEquals(old.photo.license, undefined);
  assertEquals(old.facts.rotation, null);

  const video = parsePhotoJson(
    {
      id: "7943051628",
      original:
        "https://live.staticflickr.com/8000/7943051628_abcdef0123_o.jpg",
    },
    "7943051628",
    "mp4",
  );
  assertEquals(video.photo.media, "video");
  assertEquals(video.photo.originalFormat, undefined); // the poster's
  const never = parsePhotoJson({
    id: "53555555555",
    original: "https://live.staticflickr.com/video_encoding.jpg",
  }, "53555555555");
  assertEquals(never.neverProcessed, true);
  assertEquals(never.photo.media, "video");
});

Deno.test('albums.json: "0" dropped and counted, photo order kept', () => {
  const { albums, dropped } = parseAlbumsJson({
    albums: [{
      id: "7215",
      title: "A",
      photos: ["2", "0", "1"],
      last_updated: "15",
    }],
  });
  assertEquals(albums[0]!.photoIds, ["2", "1"]);
  assertEquals(albums[0]!.lastUpdated, 15);
  assertEquals(dropped, 1);
});

Deno.test("pixel size of JPEG and PNG heads", () => {
  assertEquals(pixelSize(encodeJpeg({ width: 1024, height: 768 })), {
    width: 1024,
    height: 768,
  });
  assertEquals(pixelSize(encodePng({ width: 30, height: 20 })), {
    width: 30,
    height: 20,
  });
  assertEquals(pixelSize(new Uint8Array([1, 2, 3])), undefined);
});
