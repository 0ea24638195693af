import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_assert.ts";
import { j, ownerCreds, rest } from "./_test_client.ts";
import {
  addAlbum,
  addPhoto,
  awkwardAccount,
  bigAccount,
  createAccount,
  demoAccount,
  editPhoto,
} from "./scenario.ts";
import { startFakeFlickr } from "./server.ts";

type Json = Record<string, unknown>;

Deno.test("empty lists have pages 0 and photo []", async () => {
  await using flickr = await startFakeFlickr({ account: createAccount() });
  const creds = ownerCreds(flickr);
  const r = await rest(flickr, "flickr.people.getPhotos", { user_id: "me" }, {
    creds,
  });
  assertEquals(j(r.json).photos, {
    page: 1,
    pages: 0,
    perpage: 100,
    total: "0",
    photo: [],
  });
  const sets = await rest(flickr, "flickr.photosets.getList", {}, { creds });
  assertEquals(j(sets.json).photosets.pages, 0);
  assertEquals(j(sets.json).photosets.photoset, []);
});

Deno.test("a page past the end repeats the last page", async () => {
  await using flickr = await startFakeFlickr({
    account: bigAccount({ photos: 250, albums: 3 }),
  });
  const creds = ownerCreds(flickr);
  const page = (n: number) =>
    rest(flickr, "flickr.people.getPhotos", {
      user_id: "me",
      page: String(n),
    }, { creds });
  const p3 = j((await page(3)).json).photos;
  const p9 = j((await page(9)).json).photos;
  assertEquals(p3.pages, 3);
  assertEquals(p3.photo.length, 50);
  assertEquals(p9.page, 9);
  assertEquals(p9.photo, p3.photo);
});

Deno.test("per_page defaults to 100 (500 for photosets.getPhotos) and is clamped to 500", async () => {
  const account = bigAccount({ photos: 1200, albums: 1 });
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const dflt = j(
    (await rest(flickr, "flickr.people.getPhotos", { user_id: "me" }, {
      creds,
    })).json,
  ).photos;
  assertEquals([dflt.perpage, dflt.photo.length, dflt.pages], [100, 100, 12]);
  const big = j(
    (await rest(flickr, "flickr.people.getPhotos", {
      user_id: "me",
      per_page: "5000",
    }, { creds })).json,
  ).photos;
  assertEquals([big.perpage, big.photo.length, big.pages], [500, 500, 3]);
  const set = j(
    (await rest(flickr, "flickr.photosets.getPhotos", {
      photoset_id: account.albums[0]?.id ?? "",
    }, { creds })).json,
  ).photoset;
  assertEquals([set.per_page, set.perpage], [500, 500]);
  const perpageKey = j(
    (await rest(flickr, "flickr.photosets.getPhotos", {
      photoset_id: account.albums[0]?.id ?? "",
      perpage: "7",
    }, { creds })).json,
  ).photoset;
  assertEquals(perpageKey.photo.length, 7);
});

Deno.test("pages cover every photo exactly once, newest upload first", async () => {
  const account = bigAccount({ photos: 1234, albums: 5 });
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const seen: string[] = [];
  for (let page = 1;; page++) {
    const p = j(
      (await rest(flickr, "flickr.people.getPhotos", {
        user_id: "me",
        per_page: "500",
        page: String(page),
      }, { creds })).json,
    ).photos;
    seen.push(...p.photo.map((x: Json) => x.id));
    if (page >= p.pages) break;
  }
  assertEquals(new Set(seen).size, 1234);
  assertEquals(seen[0], [...account.photos.keys()].at(-1));
});

Deno.test("mixed numbers: total string/int by page, widths mixed within a photo", async () => {
  await using flickr = await startFakeFlickr({
    account: bigAccount({ photos: 30, albums: 1 }),
  });
  const creds = ownerCreds(flickr);
  const get = async (page: number) =>
    j(
      (await rest(flickr, "flickr.people.getPhotos", {
        user_id: "me",
        per_page: "10",
        page: String(page),
        extras:
          "url_sq,url_q,url_t,url_s,url_n,url_m,url_z,url_c,url_l,url_o,date_taken,views,license,date_upload,last_update",
      }, { creds })).json,
    ).photos;
  const p1 = await get(1);
  const p2 = await get(2);
  assertEquals(typeof p1.total, "string");
  assertEquals(typeof p2.total, "number");
  const photo = p1.photo[0];
  const dims = Object.entries(photo).filter(([k]) => /^(width|height)_/.test(k))
    .map(([, v]) => typeof v);
  assert(dims.includes("string") && dims.includes("number"), String(dims));
  for (const k of ["views", "license", "dateupload", "lastupdate"]) {
    assertEquals(typeof photo[k], "string", k);
  }
  assertEquals(typeof photo.ispublic, "number");
  assertEquals(typeof photo.farm, "number");
  const granularity = new Set(
    [...p1.photo, ...p2.photo].map((p: Json) => typeof p.datetakengranularity),
  );
  assertEquals(granularity, new Set(["string", "number"]));
});

Deno.test("stringNumbers 'ints' and 'strings' are uniform", async () => {
  for (const mode of ["ints", "strings"] as const) {
    await using flickr = await startFakeFlickr({ stringNumbers: mode });
    const r = j(
      (await rest(flickr, "flickr.people.getPhotos", {
        user_id: "me",
        extras: "url_sq,url_l,date_taken",
      }, { creds: ownerCreds(flickr) })).json,
    ).photos;
    const want = mode === "ints" ? "number" : "string";
    assertEquals(typeof r.total, want);
    for (const p of r.photo) {
      assertEquals(typeof p.width_sq, want);
      if ("height_l" in p) assertEquals(typeof p.height_l, want);
      assertEquals(typeof p.datetakengranularity, want);
    }
  }
});

Deno.test("extras: url_o only when the original is available, pathalias, description _content", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const r = j(
    (await rest(flickr, "flickr.people.getPhotos", {
      user_id: "me",
      per_page: "500",
      extras:
        "description,path_alias,original_format,url_o,url_l,url_h,url_k,geo,tags,machine_tags,o_dims,media,date_taken,owner_name,last_update,views,license,date_upload",
    }, { creds: ownerCreds(flickr) })).json,
  ).photos.photo as Json[];
  const byTitle = (t: string) => {
    const p = r.find((x) => x.title === t);
    assert(p, t);
    return j(p);
  };
  const free = byTitle("Free account photo (no original)");
  for (const k of ["url_o", "url_h", "url_k", "originalsecret", "o_width"]) {
    assert(!(k in free), k);
  }
  assertEquals(free.width_l !== undefined, true);
  const big = byTitle("Large original");
  assertMatch(big.url_o, /\/65535\/\d{17}_[0-9a-f]{10}_o\.jpg$/);
  assertMatch(big.url_l, /_b\.jpg$/);
  assertMatch(big.url_h, /_h\.jpg$/);
  assert(!big.url_h.includes(`_${big.secret}_`), "url_h has its own secret");
  assert(big.url_o.includes(`_${big.originalsecret}_o.`));
  const png = byTitle("PNG original");
  assertMatch(png.url_o, /_o\.png$/);
  assertEquals(png.originalformat, "png");
  const video = byTitle("Video with original (mp4)");
  assertEquals(video.media, "video");
  assertEquals(video.originalformat, "jpg");
  assertMatch(video.url_o, /_o\.jpg$/);
  for (const p of r) {
    assert("pathalias" in p && p.pathalias === null);
    assertEquals(typeof j(p).description._content, "string");
  }
  const unicode = byTitle("Ünïcödé 😀 photo / with slash");
  assertEquals(
    unicode.tags,
    "zürich 😀 newyork tagwithspaces 日本 vision:night=077 geo:country=ch",
  );
  assertEquals(unicode.machine_tags, "vision:night=077 geo:country=ch");
  assertEquals([unicode.latitude, unicode.longitude, unicode.accuracy], [
    0,
    0,
    0,
  ]);
  const geo = byTitle("Geotagged south-west");
  assertEquals(geo.accuracy, "6");
  assertEquals(Number(geo.latitude), -33.86882);
});

Deno.test("photosets.getList without page returns all sets in user order", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const r = j(
    (await rest(flickr, "flickr.photosets.getList", {}, {
      creds: ownerCreds(flickr),
    })).json,
  ).photosets;
  assertEquals(r.total, account.albums.length);
  assertEquals(r.perpage, account.albums.length);
  assertEquals(
    r.photoset.map((s: Json) => j(s).title._content),
    account.albums.map((a) => a.title),
  );
  const paged = j(
    (await rest(flickr, "flickr.photosets.getList", {
      page: "2",
      per_page: "5",
    }, { creds: ownerCreds(flickr) })).json,
  ).photosets;
  assertEquals(paged.photoset.length, 5);
  assertEquals(paged.pages, Math.ceil(account.albums.length / 5));
});

Deno.test("photosets.getPhotos: plain title, no owner on photos, isprimary, both per_page keys", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const album = account.albums[0];
  assert(album);
  const r = j(
    (await rest(flickr, "flickr.photosets.getPhotos", {
      photoset_id: album.id,
      extras: "url_o",
    }, { creds: ownerCreds(flickr) })).json,
  ).photoset;
  assertEquals(r.title, album.title);
  assertEquals(r.owner, account.nsid);
  assertEquals(r.photo.map((p: Json) => p.id), album.photoIds);
  assert(r.photo.every((p: Json) => !("owner" in p)));
  assertEquals(r.photo[0].isprimary, "1");
  assertEquals(r.photo[1].isprimary, "0");
  const missing = await rest(flickr, "flickr.photosets.getPhotos", {
    photoset_id: "1",
  }, { creds: "apiKey" });
  assertEquals(missing.json, {
    stat: "fail",
    code: 1,
    message: "Photoset not found",
  });
});

Deno.test("photosets.getInfo and getAllContexts use their own field names", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const album = account.albums[1];
  assert(album);
  const info = j(
    (await rest(flickr, "flickr.photosets.getInfo", {
      photoset_id: album.id,
    }, { creds })).json,
  ).photoset;
  assertEquals(info.title, { _content: album.title });
  assertEquals(info.count_photos, 3);
  const inTwo = album.photoIds[0] ?? "";
  const ctx = j(
    (await rest(flickr, "flickr.photos.getAllContexts", {
      photo_id: inTwo,
    }, { creds })).json,
  );
  assertEquals(ctx.set.length, 2);
  assert("count_photo" in ctx.set[0] && "view_count" in ctx.set[0]);
  const loose = [...account.photos.keys()].find((id) =>
    !account.albums.some((a) => a.photoIds.includes(id))
  );
  const none = await rest(flickr, "flickr.photos.getAllContexts", {
    photo_id: loose ?? "",
  }, { creds });
  assertEquals(none.json, { stat: "ok" });
});

Deno.test("photos.getNotInSet lists the caller's photos in no album", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const r = j(
    (await rest(flickr, "flickr.photos.getNotInSet", {}, {
      creds: ownerCreds(flickr),
    })).json,
  ).photos;
  const expected = [...account.photos.values()].filter((p) =>
    !account.albums.some((a) => a.photoIds.includes(p.id))
  );
  assertEquals(Number(r.total), expected.length);
  assertEquals(
    new Set(r.photo.map((p: Json) => p.id)),
    new Set(expected.map((p) => p.id)),
  );
});

Deno.test("photos.recentlyUpdated needs min_date and sorts by lastupdate desc", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const missing = await rest(flickr, "flickr.photos.recentlyUpdated", {}, {
    creds,
  });
  assertEquals(missing.json, {
    stat: "fail",
    code: 2,
    message: "Not a valid date",
  });
  const since = Math.floor(Date.now() / 1000) - 5;
  const ids = [...account.photos.keys()];
  editPhoto(account, ids[2] ?? "", { title: "Edited" });
  editPhoto(account, ids[5] ?? "", { title: "Edited later" }, {
    now: Math.floor(Date.now() / 1000) + 10,
  });
  const r = j(
    (await rest(flickr, "flickr.photos.recentlyUpdated", {
      min_date: String(since),
    }, { creds })).json,
  ).photos;
  assertEquals(r.photo.map((p: Json) => p.id), [ids[5], ids[2]]);
  assertMatch(r.photo[0].lastupdate, /^\d+$/);
  const text = await rest(flickr, "flickr.photos.recentlyUpdated", {
    min_date: "2000-01-01",
  }, { creds });
  assertEquals(Number(j(text.json).photos.total), account.photos.size);
});

Deno.test("photos.getSizes: ascending labels, Original last, none above 1024 without original", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const find = (t: string) =>
    [...account.photos.values()].find((p) => p.title === t);
  const labels = async (title: string) =>
    j(
      (await rest(flickr, "flickr.photos.getSizes", {
        photo_id: find(title)?.id ?? "",
      }, { creds })).json,
    ).sizes.size as Json[];
  const big = await labels("Large original");
  assertEquals(big.map((s) => s.label), [
    "Square",
    "Large Square",
    "Thumbnail",
    "Small",
    "Small 320",
    "Small 400",
    "Medium",
    "Medium 640",
    "Medium 800",
    "Large",
    "Large 1600",
    "Large 2048",
    "X-Large 3K",
    "X-Large 4K",
    "X-Large 5K",
    "Original",
  ]);
  assertEquals(Number(big.at(-1)?.width), 6000);
  const free = await labels("Free account photo (no original)");
  assertEquals(free.at(-1)?.label, "Large");
  assertEquals(Number(free.at(-1)?.width), 1024);
});

Deno.test("photos.getSizes for a video: posters, then Site/Mobile/HD MP4 and Video Original for the owner", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const video = [...account.photos.values()].find((p) =>
    p.title === "Video with original (mp4)"
  );
  assert(video);
  const owner = j(
    (await rest(flickr, "flickr.photos.getSizes", {
      photo_id: video.id,
    }, { creds: ownerCreds(flickr) })).json,
  ).sizes.size as Json[];
  const videoSizes = owner.filter((s) => s.media === "video").map((s) =>
    s.label
  );
  assertEquals(videoSizes, [
    "Video Player",
    "Site MP4",
    "Mobile MP4",
    "HD MP4",
    "Video Original",
  ]);
  const orig = owner.find((s) => s.label === "Video Original");
  assertEquals(
    j(orig).source,
    `${flickr.url}/photos/${account.nsid}/${video.id}/play/orig/${video.originalSecret}/`,
  );
  const site = owner.find((s) => s.label === "Site MP4");
  assertStringIncludes(j(site).source, `/play/site/${video.secret}/`);
  const original = owner.find((s) => s.label === "Original");
  assertMatch(j(original).source, /_o\.jpg$/);
  const anon = j(
    (await rest(flickr, "flickr.photos.getSizes", {
      photo_id: video.id,
    }, { creds: "apiKey" })).json,
  ).sizes.size as Json[];
  assert(!anon.some((s) => s.label === "Video Original"));
});

Deno.test("video.getStreamInfo offers orig only to the owner", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const video = [...account.photos.values()].find((p) =>
    p.title === "Video with original (mp4)"
  );
  assert(video);
  const params = { photo_id: video.id, secret: video.secret };
  const owner = j(
    (await rest(flickr, "flickr.video.getStreamInfo", params, {
      creds: ownerCreds(flickr),
    })).json,
  ).streams.stream as Json[];
  assertEquals(owner[0]?.type, "orig");
  assertMatch(
    j(owner[0])._content,
    new RegExp(`/video/${video.id}/${video.originalSecret}/orig\\.mp4\\?s=`),
  );
  assert(owner.some((s) => s.type === "1080p"));
  const anon = j(
    (await rest(flickr, "flickr.video.getStreamInfo", params, {
      creds: "apiKey",
    })).json,
  ).streams.stream as Json[];
  assert(!anon.some((s) => s.type === "orig"));
  const noOrig = [...account.photos.values()].find((p) =>
    p.title === "Video without original"
  );
  const none = j(
    (await rest(flickr, "flickr.video.getStreamInfo", {
      photo_id: noOrig?.id ?? "",
    }, { creds: ownerCreds(flickr) })).json,
  ).streams.stream as Json[];
  assert(!none.some((s) => s.type === "orig"));
});

Deno.test("photos.getInfo carries dates, tags, owner and video info", async () => {
  const account = awkwardAccount();
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const p = [...account.photos.values()].find((x) =>
    x.title.startsWith("Ünïcödé")
  );
  const info = j(
    (await rest(flickr, "flickr.photos.getInfo", {
      photo_id: p?.id ?? "",
    }, { creds })).json,
  ).photo;
  assertEquals(info.title._content, p?.title);
  assertEquals(info.owner.path_alias, null);
  assertEquals(info.dates.posted, String(p?.dateUpload));
  assertEquals(info.tags.tag.map((t: Json) => t.raw), [
    ...(p?.tags ?? []),
    ...(p?.machineTags ?? []),
  ]);
  assert("permissions" in info);
  const video = [...account.photos.values()].find((x) => x.media === "video");
  const v = j(
    (await rest(flickr, "flickr.photos.getInfo", {
      photo_id: video?.id ?? "",
    }, { creds })).json,
  ).photo;
  assertEquals(v.media, "video");
  assertEquals(v.video.ready, 1);
  const missing = await rest(flickr, "flickr.photos.getInfo", {
    photo_id: "123",
  }, {
    creds,
  });
  assertEquals(j(missing.json).message, 'Photo "123" not found (invalid ID)');
});

Deno.test("people.getInfo counts photos by viewer", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const owner = j(
    (await rest(flickr, "flickr.people.getInfo", {
      user_id: account.nsid,
    }, { creds: ownerCreds(flickr) })).json,
  ).person;
  assertEquals(owner.photos.count._content, account.photos.size);
  assertEquals(owner.path_alias, "demouser");
  const anon = j(
    (await rest(flickr, "flickr.people.getInfo", {
      user_id: account.nsid,
    }, { creds: "apiKey" })).json,
  ).person;
  assert(anon.photos.count._content < account.photos.size);
});

Deno.test("format: JSONP without nojsoncallback, XML by default, code 112 for unknown methods", async () => {
  await using flickr = await startFakeFlickr();
  const creds = ownerCreds(flickr);
  const jsonp = await rest(
    flickr,
    "flickr.test.login",
    { nojsoncallback: "0" },
    {
      creds,
    },
  );
  assertMatch(jsonp.text, /^jsonFlickrApi\(\{"user":.*\}\)$/);
  const xml = await rest(flickr, "flickr.test.login", { format: "rest" }, {
    creds,
  });
  assertStringIncludes(xml.text, '<rsp stat="ok">');
  assertStringIncludes(xml.text, "<username>demo_user</username>");
  const unknown = await rest(flickr, "flickr.photos.doesNotExist", {}, {
    creds,
  });
  assertEquals(unknown.json, {
    stat: "fail",
    code: 112,
    message: 'Method "flickr.photos.doesNotExist" not found',
  });
});

Deno.test("collections.getTree returns the account's collections", async () => {
  const account = demoAccount();
  const [a, b] = account.albums;
  account.collections = [{
    id: "12-72157594586579649",
    title: "All",
    description: "",
    albumIds: [a?.id ?? ""],
    collections: [{
      id: "12-1",
      title: "Sub",
      description: "",
      albumIds: [b?.id ?? ""],
    }],
  }];
  await using flickr = await startFakeFlickr({ account });
  const r = j(
    (await rest(flickr, "flickr.collections.getTree", {}, {
      creds: ownerCreds(flickr),
    })).json,
  ).collections;
  assertEquals(r.collection[0].set[0].title, a?.title);
  assertEquals(r.collection[0].collection[0].set[0].id, b?.id);
});

Deno.test("the account is live: albums added between calls show up", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const before = j(
    (await rest(flickr, "flickr.photosets.getList", {}, { creds })).json,
  );
  addAlbum(account, {
    title: "New",
    photoIds: [[...account.photos.keys()][0] ?? ""],
  });
  const after = j(
    (await rest(flickr, "flickr.photosets.getList", {}, { creds })).json,
  );
  assertEquals(after.photosets.total, before.photosets.total + 1);
  assertEquals(flickr.callCounts(), { "flickr.photosets.getList": 2 });
  assertEquals(flickr.apiCallCount(), 2);
});

Deno.test("onRequest() lets a test change the account between two pages", async () => {
  const account = bigAccount({ photos: 30, albums: 1 });
  await using flickr = await startFakeFlickr({ account });
  const creds = ownerCreds(flickr);
  const stop = flickr.onRequest((req) => {
    if (req.query.page === "2") {
      // A new upload lands between page 1 and page 2: everything shifts by one.
      addPhoto(account, { title: "Late upload" });
    }
  });
  const page = async (n: number) =>
    j(
      (await rest(flickr, "flickr.people.getPhotos", {
        user_id: "me",
        per_page: "10",
        page: String(n),
      }, { creds })).json,
    ).photos;
  const p1 = await page(1);
  const p2 = await page(2);
  stop();
  assertEquals(Number(p2.total), 31);
  assertEquals(p2.photo[0].id, p1.photo.at(-1).id);
});

Deno.test("photos.getExif reads the camera EXIF of the original; getPublicPhotos is public only", async () => {
  const account = demoAccount();
  await using flickr = await startFakeFlickr({ account });
  const photo = [...account.photos.values()].find((p) =>
    p.content.kind === "jpeg" && p.content.exif
  );
  assert(photo && photo.content.kind === "jpeg" && photo.content.exif);
  const exif = j(
    (await rest(flickr, "flickr.photos.getExif", {
      photo_id: photo.id,
    }, { creds: "apiKey" })).json,
  ).photo;
  assertEquals(
    exif.camera,
    `${photo.content.exif.make} ${photo.content.exif.model}`,
  );
  assertEquals(exif.exif[0], {
    tagspace: "IFD0",
    tagspaceid: 0,
    tag: "Make",
    label: "Make",
    raw: { _content: photo.content.exif.make },
  });
  const pub = j(
    (await rest(flickr, "flickr.people.getPublicPhotos", {
      user_id: account.nsid,
    }, { creds: ownerCreds(flickr) })).json,
  ).photos;
  assertEquals(
    Number(pub.total),
    [...account.photos.values()].filter((p) => p.isPublic).length,
  );
});
