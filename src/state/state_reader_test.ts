import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { LocalFatalError } from "../errors.ts";
import { StateReader } from "./state_reader.ts";
import { StateStore } from "./state_store.ts";

async function withDir(
  fn: (dir: string) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fb-reader-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function listed(id: string) {
  return { id, media: "photo", lastUpdate: 1, originalSecret: "s" };
}

function done(
  store: StateStore,
  id: string,
  bytes: number,
  variant = "original",
) {
  store.markDone(id, {
    variant,
    relPath: `A/${id}.jpg`,
    bytes,
    sha256: `sha-${id}`,
    appliedUpdate: 1,
    sourceBytes: bytes,
    sourceSha256: `sha-${id}`,
    placements: [
      { albumId: "a", relPath: `A/${id}.jpg` },
      { albumId: "b", relPath: `B/${id}.jpg` },
    ],
  });
}

/** Run 1 lists 1..7; run 2 (incremental) finds 6 and 7 gone; run 3 dies. */
function populate(path: string): void {
  const store = StateStore.open(path);
  const run1 = store.beginRun(1_000);
  for (const id of ["1", "2", "3", "4", "5", "6", "7"]) {
    store.recordListedPhoto(listed(id), "{}", run1);
  }
  store.upsertAlbum({
    id: "a",
    title: "A",
    description: "",
    position: 0,
    dateUpdate: 1,
    expectedCount: 3,
  }, run1);
  store.upsertAlbum({
    id: "b",
    title: "B",
    description: "",
    position: 1,
    dateUpdate: 1,
    expectedCount: 3,
  }, run1);
  store.setAlbumFolder("b", "B folder");
  done(store, "1", 100);
  done(store, "2", 200, "large:b");
  store.markFailed("3", "HTTP 500");
  store.markSkipped("4", "no original");
  done(store, "6", 600);
  done(store, "7", 700);
  store.markListingComplete(run1, "full");
  store.finishRun(run1, 1_500, "partial", { result: "partial" });

  const run2 = store.beginRun(2_000);
  store.upsertAlbum({
    id: "a",
    title: "A",
    description: "",
    position: 0,
    dateUpdate: 1,
    expectedCount: 3,
  }, run2);
  store.markAlbumsGone(run2); // "b" is gone from Flickr
  store.markPhotosGone(["6", "7"]);
  store.markPruned("7", ".trash/2026-01-01");
  store.markListingComplete(run2, "incremental");
  store.finishRun(run2, 2_500, "complete", { result: "complete", n: 2 });

  store.beginRun(3_000); // never finished
  store.close();
}

Deno.test("StateReader counts photos and albums by what the runs recorded", async () => {
  await withDir((dir) => {
    const path = join(dir, "state.sqlite");
    populate(path);
    const reader = StateReader.open(path);
    try {
      assertEquals(reader.inventory(), {
        photos: {
          onFlickr: 5,
          done: 2,
          failed: 1,
          pending: 1,
          skipped: 1,
          nonOriginal: 1,
          deletedOnFlickr: 1,
          pruned: 1,
        },
        files: { count: 3, bytes: 900 },
        albums: { onFlickr: 1, goneFromFlickr: 1 },
      });
      assertEquals(reader.goneAlbums(), [{
        id: "b",
        title: "B",
        folder: "B folder",
      }]);
      const last = reader.lastRun();
      assertEquals(last?.id, 2);
      assertEquals(last?.result, "complete");
      assertEquals(last?.summary, { result: "complete", n: 2 });
      assertEquals(reader.unfinishedRun(), { id: 3, startedAt: 3_000 });
      assertEquals(reader.lastCompleteListing(), {
        id: 2,
        startedAt: 2_000,
        mode: "incremental",
      });
    } finally {
      reader.close();
    }
  });
});

Deno.test("StateReader pages through done, unpruned photos in id order", async () => {
  await withDir((dir) => {
    const path = join(dir, "state.sqlite");
    populate(path);
    const reader = StateReader.open(path);
    try {
      assertEquals(reader.recordedPhotoCount(), 3);
      const first = reader.recordedPhotos("", 2);
      assertEquals(first.map((p) => p.id), ["1", "2"]);
      const rest = reader.recordedPhotos(first[1]!.id, 2);
      assertEquals(rest, [{
        id: "6",
        media: "photo",
        relPath: "A/6.jpg",
        bytes: 600,
        sha256: "sha-6",
        deletedOnFlickr: true,
      }]);
      assertEquals(reader.recordedPhotos("6", 2), []);
      assertEquals(reader.placements("1"), [
        { albumId: "a", relPath: "A/1.jpg" },
        { albumId: "b", relPath: "B/1.jpg" },
      ]);
      assertEquals(reader.photoStatus("3"), {
        status: "failed",
        lastError: "HTTP 500",
      });
      assertEquals(reader.photoStatus("nope"), undefined);
    } finally {
      reader.close();
    }
  });
});

Deno.test("StateReader never writes to the state file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "state.sqlite");
    populate(path);
    const before = createHash("sha256").update(await Deno.readFile(path))
      .digest("hex");
    const reader = StateReader.open(path);
    reader.inventory();
    reader.close();
    const after = createHash("sha256").update(await Deno.readFile(path))
      .digest("hex");
    assertEquals(after, before);
  });
});

Deno.test("StateReader reads while a backup holds a write transaction", async () => {
  await withDir((dir) => {
    const path = join(dir, "state.sqlite");
    populate(path);
    const writer = StateStore.open(path);
    const reader = StateReader.open(path);
    try {
      writer.transaction(() => {
        writer.markFailed("1", "in progress");
        // Not committed yet: the reader sees the last committed state.
        assertEquals(reader.photoStatus("1")?.status, "done");
      });
      assertEquals(reader.photoStatus("1")?.status, "failed");
    } finally {
      reader.close();
      writer.close();
    }
  });
});

Deno.test("StateReader refuses damaged, foreign and newer state files", async () => {
  await withDir(async (dir) => {
    const garbage = join(dir, "garbage.sqlite");
    await Deno.writeTextFile(
      garbage,
      "this is not a database at all".repeat(100),
    );
    assertThrows(() => StateReader.open(garbage), LocalFatalError, "garbage");

    const foreign = join(dir, "foreign.sqlite");
    const db = new DatabaseSync(foreign);
    db.exec("CREATE TABLE things (x)");
    db.close();
    assertThrows(
      () => StateReader.open(foreign),
      LocalFatalError,
      "not a flickr-backup state",
    );

    const newer = join(dir, "newer.sqlite");
    StateStore.open(newer).close();
    const raw = new DatabaseSync(newer);
    raw.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    raw.close();
    assertThrows(() => StateReader.open(newer), LocalFatalError, "newer");

    const other = join(dir, "other-build.sqlite");
    StateStore.open(other).close();
    const old = new DatabaseSync(other);
    old.exec("ALTER TABLE runs DROP COLUMN listing_mode");
    old.close();
    assertThrows(
      () => StateReader.open(other),
      LocalFatalError,
      "runs.listing_mode",
    );
  });
});
