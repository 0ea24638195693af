import { assertEquals, assertStrictEquals } from "../../tests/assert.ts";
import {
  parsePerson,
  parsePhoto,
  parsePhotoset,
  parseSize,
  parseStream,
  toBool,
  toInt,
  toNumber,
  toText,
} from "./_parse.ts";

Deno.test("toNumber()/toInt()/toBool()/toText() read Flickr's loose values (table)", () => {
  const numbers: [unknown, number | undefined][] = [
    [1, 1],
    ["1", 1],
    [" 42 ", 42],
    ["39.746002", 39.746002],
    [-12.5, -12.5],
    ["-12.5", -12.5],
    ["", undefined],
    ["abc", undefined],
    ["12abc", undefined],
    [null, undefined],
    [undefined, undefined],
    [Number.NaN, undefined],
    [{}, undefined],
    [true, undefined],
  ];
  for (const [value, expected] of numbers) {
    assertStrictEquals(toNumber(value), expected, JSON.stringify(value));
  }
  assertStrictEquals(toInt("1600.9"), 1600);
  const bools: [unknown, boolean | undefined][] = [
    [1, true],
    ["1", true],
    [true, true],
    ["true", true],
    [0, false],
    ["0", false],
    [false, false],
    ["", undefined],
    [2, undefined],
    [null, undefined],
  ];
  for (const [value, expected] of bools) {
    assertStrictEquals(toBool(value), expected, JSON.stringify(value));
  }
  assertStrictEquals(toText({ _content: "x" }), "x");
  assertStrictEquals(toText("y"), "y");
  assertStrictEquals(toText({ _content: 2 }), "2");
  assertStrictEquals(toText(null), "");
});

// JANKO 2013 people.getPhotos with full extras (FLICKR_API.md §2.4).
const JANKO_PHOTO = {
  id: "10115956703",
  owner: "78733179@N04",
  secret: "b14e1be9d0",
  server: "2822",
  farm: 3,
  title: "Jon Snow",
  ispublic: 1,
  isfriend: 0,
  isfamily: 0,
  description: { _content: "It's a photo" },
  license: "0",
  dateupload: "1381061206",
  datetaken: "2013-10-06 14:06:41",
  datetakengranularity: "0",
  ownername: "@janko-m",
  iconserver: "8033",
  iconfarm: 9,
  originalsecret: "e40de5bf26",
  originalformat: "jpg",
  lastupdate: "1381067365",
  latitude: 45.807258,
  longitude: 15.967599,
  accuracy: "11",
  context: 0,
  tags: "foo vision:night=077",
  machine_tags: "",
  views: "0",
  media: "photo",
  media_status: "ready",
  pathalias: null,
  url_l: "http://farm3.staticflickr.com/2822/10115956703_b14e1be9d0_b.jpg",
  height_l: "640",
  width_l: "1024",
  url_h: "http://farm3.staticflickr.com/2822/10115956703_253e5b1ab0_h.jpg",
  height_h: 1000,
  width_h: "1600",
  url_k: "http://farm3.staticflickr.com/2822/10115956703_67c9dd116f_k.jpg",
  height_k: 1280,
  width_k: "2048",
  url_o: "http://farm3.staticflickr.com/2822/10115956703_e40de5bf26_o.jpg",
  height_o: "1600",
  width_o: "2560",
};

Deno.test("parsePhoto() normalises a full listing entry", () => {
  assertEquals(parsePhoto(JANKO_PHOTO), {
    id: "10115956703",
    secret: "b14e1be9d0",
    server: "2822",
    owner: "78733179@N04",
    originalSecret: "e40de5bf26",
    originalFormat: "jpg",
    title: "Jon Snow",
    description: "It's a photo",
    tags: ["foo", "vision:night=077"],
    machineTags: [],
    license: "0",
    dateUpload: 1381061206,
    dateTaken: "2013-10-06 14:06:41",
    dateTakenGranularity: 0,
    dateTakenUnknown: false,
    lastUpdate: 1381067365,
    geo: { latitude: 45.807258, longitude: 15.967599, accuracy: 11 },
    media: "photo",
    ownerName: "@janko-m",
    views: 0,
    visibility: { isPublic: true, isFriend: false, isFamily: false },
    originalWidth: 2560,
    originalHeight: 1600,
    sizes: [
      {
        label: "o",
        url: "http://farm3.staticflickr.com/2822/10115956703_e40de5bf26_o.jpg",
        width: 2560,
        height: 1600,
      },
      {
        label: "k",
        url: "http://farm3.staticflickr.com/2822/10115956703_67c9dd116f_k.jpg",
        width: 2048,
        height: 1280,
      },
      {
        label: "h",
        url: "http://farm3.staticflickr.com/2822/10115956703_253e5b1ab0_h.jpg",
        width: 1600,
        height: 1000,
      },
      {
        label: "l",
        url: "http://farm3.staticflickr.com/2822/10115956703_b14e1be9d0_b.jpg",
        width: 1024,
        height: 640,
      },
    ],
  });
});

Deno.test("parsePhoto() handles a bare entry and awkward values", () => {
  assertEquals(
    parsePhoto({
      id: 52931686554,
      secret: "b77aff865b",
      server: 65535,
      title: "",
      isprimary: "1",
      ispublic: "0",
      isfriend: true,
      isfamily: "1",
    }),
    {
      id: "52931686554",
      secret: "b77aff865b",
      server: "65535",
      title: "",
      description: "",
      tags: [],
      machineTags: [],
      dateTakenGranularity: 0,
      dateTakenUnknown: false,
      media: "photo",
      visibility: { isPublic: false, isFriend: true, isFamily: true },
      sizes: [],
    },
  );
  const odd = parsePhoto({
    id: "1",
    latitude: 0,
    longitude: 0,
    accuracy: 0,
    datetakenunknown: "1",
    datetakengranularity: 8,
    media: "video",
    pathalias: "janko",
    o_width: "4000",
    o_height: 3000,
    width_o: "1",
    license: 4,
    tags: "  a   b ",
    machine_tags: "x:y=z",
    url_6k: "https://live.staticflickr.com/6k.jpg",
    width_6k: "",
    url_3k: "",
    url_l: "https://live.staticflickr.com/l.jpg",
    latitude_extra: "ignored",
  });
  assertStrictEquals(odd.geo, undefined, "0/0 means not geotagged");
  assertStrictEquals(odd.dateTakenUnknown, true);
  assertStrictEquals(odd.dateTakenGranularity, 8);
  assertStrictEquals(odd.media, "video");
  assertStrictEquals(odd.pathAlias, "janko");
  assertStrictEquals(odd.originalWidth, 4000, "o_dims wins over width_o");
  assertStrictEquals(odd.originalHeight, 3000);
  assertStrictEquals(odd.license, "4");
  assertEquals(odd.tags, ["a", "b"]);
  assertEquals(odd.machineTags, ["x:y=z"]);
  assertEquals(odd.sizes, [
    { label: "6k", url: "https://live.staticflickr.com/6k.jpg" },
    { label: "l", url: "https://live.staticflickr.com/l.jpg" },
  ]);
  const stringGeo = parsePhoto({
    latitude: "39.746002",
    longitude: "-104.99",
    accuracy: "14",
  });
  assertEquals(stringGeo.geo, {
    latitude: 39.746002,
    longitude: -104.99,
    accuracy: 14,
  });
});

Deno.test("parsePhotoset() reads the 2023 and 2013 shapes", () => {
  assertEquals(
    parsePhotoset({
      id: "72177720308632074",
      primary: "52931686554",
      count_photos: 2,
      count_videos: 0,
      title: { _content: "Vreden_13052022" },
      description: { _content: "" },
      date_create: "1685270589",
      date_update: "1685290674",
    }),
    {
      id: "72177720308632074",
      title: "Vreden_13052022",
      description: "",
      primary: "52931686554",
      countPhotos: 2,
      countVideos: 0,
      dateCreate: 1685270589,
      dateUpdate: 1685290674,
    },
  );
  assertEquals(
    parsePhotoset({
      id: "1",
      photos: "1",
      videos: 0,
      title: "plain",
      date_update: "0",
    }),
    {
      id: "1",
      title: "plain",
      description: "",
      primary: "",
      countPhotos: 1,
      countVideos: 0,
      dateCreate: 0,
      dateUpdate: 0,
    },
  );
});

Deno.test("parseSize() turns empty width/height into undefined", () => {
  assertEquals(
    parseSize({
      label: "Original",
      width: 6000,
      height: "4000",
      source: "https://live.staticflickr.com/65535/1_o.png",
      media: "photo",
    }),
    {
      label: "Original",
      width: 6000,
      height: 4000,
      source: "https://live.staticflickr.com/65535/1_o.png",
      media: "photo",
    },
  );
  assertEquals(
    parseSize({
      label: "iphone_wifi",
      width: "",
      height: "",
      source: "https://www.flickr.com/photos/x/1/play/iphone_wifi/s/",
      media: "video",
    }),
    {
      label: "iphone_wifi",
      source: "https://www.flickr.com/photos/x/1/play/iphone_wifi/s/",
      media: "video",
    },
  );
});

Deno.test("parseStream() and parsePerson() read their shapes", () => {
  assertEquals(
    parseStream({
      type: "orig",
      _content: "https://live.staticflickr.com/video/1/s/orig.mp4?s=x",
    }),
    {
      type: "orig",
      url: "https://live.staticflickr.com/video/1/s/orig.mp4?s=x",
    },
  );
  assertEquals(
    parsePerson({
      id: "78733179@N04",
      nsid: "78733179@N04",
      ispro: 0,
      path_alias: null,
      username: { _content: "@janko-m" },
      realname: { _content: "" },
      photos: { count: { _content: 2 } },
    }, "x"),
    {
      nsid: "78733179@N04",
      username: "@janko-m",
      isPro: false,
      photosCount: 2,
    },
  );
  assertEquals(
    parsePerson({
      username: { _content: "u" },
      realname: { _content: "Real Name" },
      path_alias: "alias",
      ispro: "1",
    }, "1@N01"),
    {
      nsid: "1@N01",
      username: "u",
      realname: "Real Name",
      pathAlias: "alias",
      isPro: true,
    },
  );
});
