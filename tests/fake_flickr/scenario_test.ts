import { assert, assertEquals } from "./_assert.ts";
import {
  addAlbum,
  addPhoto,
  awkwardAccount,
  bigAccount,
  deleteAlbum,
  deletePhoto,
  demoAccount,
  editPhoto,
  movePhoto,
  renameAlbum,
  replaceOriginal,
} from "./scenario.ts";
import { startFakeFlickr } from "./server.ts";

function albumCounts(
  account: ReturnType<typeof demoAccount>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of account.photos.keys()) counts.set(id, 0);
  for (const a of account.albums) {
    for (const id of a.photoIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

Deno.test("demoAccount() has the documented mix and is deterministic", () => {
  const a = demoAccount();
  const photos = [...a.photos.values()];
  assertEquals(photos.length, 12);
  assertEquals(a.albums.length, 3);
  assertEquals(photos.filter((p) => p.media === "video").length, 1);
  assertEquals(photos.filter((p) => p.originalFormat === "png").length, 1);
  assert(photos.some((p) => p.geo));
  assert(photos.some((p) => p.content.kind === "jpeg" && p.content.exif));
  assert(photos.some((p) => !p.isPublic));
  const counts = [...albumCounts(a).values()];
  assert(counts.includes(0) && counts.includes(2));
  for (const p of photos) {
    assert(/^\d{17}$/.test(p.id) && /^[0-9a-f]{10}$/.test(p.secret), p.id);
  }
  assertEquals(demoAccount(), a);
});

Deno.test("awkwardAccount() covers every awkward case", () => {
  const a = awkwardAccount();
  const titles = a.albums.map((x) => x.title);
  const has = (t: string) => titles.includes(t);
  assert(has("Café") && has("Cafe\u0301"));
  assertEquals("Café".normalize("NFC"), "Cafe\u0301".normalize("NFC"));
  assertEquals(titles.filter((t) => t === "Trip").length, 2);
  assert(has("trip"));
  for (
    const t of ["../../etc/passwd", "a/b", "CON", "", "..", "C:\\Windows\\x"]
  ) {
    assert(has(t), t);
  }
  assert(titles.some((t) => /[. ]$/.test(t)));
  assert(titles.some((t) => [...t].length === 300));
  assertEquals(new Set(a.albums.map((x) => x.id)).size, a.albums.length);

  const photos = [...a.photos.values()];
  const counts = albumCounts(a);
  assert([...counts.values()].some((n) => n >= 3));
  assert([...counts.values()].some((n) => n === 0));
  const videos = photos.filter((p) => p.media === "video");
  assert(
    videos.some((v) => v.originalAvailable) &&
      videos.some((v) => !v.originalAvailable),
  );
  assert(photos.some((p) => p.originalFormat === "png"));
  assert(photos.some((p) => p.originalFormat === "gif"));
  assert(photos.some((p) => !p.isPublic && p.isFriend));
  assert(photos.some((p) => !p.isPublic && p.isFamily));
  assert(photos.some((p) => !p.isPublic && !p.isFriend && !p.isFamily));
  assert(photos.filter((p) => p.geo).length >= 2);
  assert(
    photos.some((p) =>
      p.media === "photo" && !p.originalAvailable && p.width > 1024
    ),
  );
  assert(photos.some((p) => /\p{Extended_Pictographic}/u.test(p.title)));
  assert(
    photos.some((p) =>
      p.tags.some((t) => /\p{Extended_Pictographic}/u.test(t))
    ),
  );
  assert(photos.some((p) => p.description.length > 10_000));
  assert(
    photos.some((p) =>
      p.content.kind === "jpeg" && p.content.progressive && p.content.trailer
    ),
  );
  assert(photos.some((p) => p.dateTakenUnknown));
  assertEquals(awkwardAccount(), a);
});

// "Cheaply" is shown by the content being lazy (no bytes until served), not
// by a time limit that a busy machine could miss.
Deno.test("bigAccount() builds 10,000 photos cheaply with lazy content", async () => {
  const a = bigAccount({
    photos: 10_000,
    albums: 60,
    bytesPerPhoto: 4096,
    seed: 7,
  });
  assertEquals(a.photos.size, 10_000);
  assertEquals(a.albums.length, 60);
  const counts = [...albumCounts(a).values()];
  assert(counts.filter((n) => n === 0).length > 1000);
  assert(counts.filter((n) => n >= 2).length > 1000);
  assert([...a.photos.values()].every((p) => p.content.kind === "generated"));
  await using flickr = await startFakeFlickr({ account: a });
  const id = [...a.photos.keys()][1234] ?? "";
  assertEquals(flickr.fileInfo(id).size, 4096);
  const bytes = await flickr.fileBytes(id);
  assertEquals([bytes[0], bytes[1], bytes.at(-2), bytes.at(-1)], [
    0xff,
    0xd8,
    0xff,
    0xd9,
  ]);
  assertEquals(
    bigAccount({ photos: 50, albums: 3, seed: 7 }),
    bigAccount({ photos: 50, albums: 3, seed: 7 }),
  );
});

Deno.test("mutation helpers change the account as Flickr would", () => {
  const a = demoAccount();
  const now = 2_000_000_000;
  const [first, second] = a.albums;
  assert(first && second);
  const p = addPhoto(a, { title: "New", albums: [first.id] }, { now });
  assertEquals([p.dateUpload, p.lastUpdate], [now, now]);
  assertEquals(first.photoIds.at(-1), p.id);
  assertEquals(first.dateUpdate, now);

  const edited = editPhoto(a, p.id, { title: "Renamed" }, { now: now + 5 });
  assertEquals([edited.title, edited.lastUpdate], ["Renamed", now + 5]);
  const again = editPhoto(a, p.id, { description: "x" }, { now });
  assertEquals(again.lastUpdate, now + 6);

  const oldSecret = p.originalSecret;
  const oldContent = p.content;
  replaceOriginal(a, p.id, undefined, { now: now + 10 });
  assert(p.originalSecret !== oldSecret && p.content !== oldContent);
  assertEquals(p.lastUpdate, now + 10);

  movePhoto(a, p.id, first.id, second.id, { now: now + 20 });
  assert(!first.photoIds.includes(p.id) && second.photoIds.includes(p.id));
  assertEquals([first.dateUpdate, second.dateUpdate], [now + 20, now + 20]);

  const primary = second.primary;
  deletePhoto(a, primary, { now: now + 30 });
  assert(!a.photos.has(primary));
  assertEquals(second.primary, second.photoIds[0]);

  renameAlbum(a, second.id, "Renamed album", { now: now + 40 });
  assertEquals([second.title, second.dateUpdate], ["Renamed album", now + 40]);

  const added = addAlbum(a, { title: "Fresh", photoIds: [p.id] }, {
    now: now + 50,
  });
  assertEquals(added.primary, p.id);
  assert(/^\d{17}$/.test(added.id));
  deleteAlbum(a, added.id);
  assert(!a.albums.some((x) => x.id === added.id));
  assert(a.photos.has(p.id));
});
