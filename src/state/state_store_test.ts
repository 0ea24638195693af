import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { LocalFatalError } from "../errors.ts";
import { DatabaseSync } from "node:sqlite";
import { albumSignatureOf, StateStore } from "./state_store.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "fb-state-" });
}

function listed(id: string, originalSecret = "aaa") {
  return { id, media: "photo", lastUpdate: 100, originalSecret };
}

Deno.test("StateStore keeps done photos done across reopen and listing", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/state.sqlite`;
    let store = StateStore.open(path);
    const run1 = store.beginRun(1);
    store.recordListedPhoto(listed("1"), "{}", run1);
    store.recordListedPhoto(listed("2"), "{}", run1);
    assertEquals(store.photosToProcess(run1), ["1", "2"]);
    store.markDone("1", {
      variant: "original",
      relPath: "Unsorted/1.jpg",
      bytes: 10,
      sha256: "x",
      appliedUpdate: 100,
      sourceBytes: 10,
      sourceSha256: "x",
      placements: [{ albumId: "", relPath: "Unsorted/1.jpg" }],
    });
    store.close();

    store = StateStore.open(path);
    const run2 = store.beginRun(2);
    store.recordListedPhoto(listed("1"), "{}", run2);
    store.recordListedPhoto(listed("2"), "{}", run2);
    assertEquals(store.photosToProcess(run2), ["2"]);
    assertEquals(store.counts(run2).done, 1);
    assertEquals(store.placements("1")[0]?.relPath, "Unsorted/1.jpg");
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore sends a photo back to pending when its original is replaced", async () => {
  const dir = await tempDir();
  try {
    const store = StateStore.open(`${dir}/s.sqlite`);
    const run1 = store.beginRun(1);
    store.recordListedPhoto(listed("1", "old"), "{}", run1);
    store.markDone("1", {
      variant: "original",
      relPath: "a/1.jpg",
      bytes: 1,
      sha256: "x",
      appliedUpdate: 100,
      sourceBytes: 10,
      sourceSha256: "x",
      placements: [],
    });
    const run2 = store.beginRun(2);
    store.recordListedPhoto(listed("1", "new"), "{}", run2);
    assertEquals(store.photosToProcess(run2), ["1"]);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore.open() refuses a damaged file and leaves it untouched", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/state.sqlite`;
    const garbage = new TextEncoder().encode("not a database ".repeat(100));
    await Deno.writeFile(path, garbage);
    const error = assertThrows(() => StateStore.open(path), LocalFatalError);
    assert(error.message.includes("left untouched"), error.message);
    assert(error.message.includes(path));
    assertEquals(await Deno.readFile(path), garbage);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore.open() refuses a state written by a newer version", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/state.sqlite`;
    const store = StateStore.open(path);
    store.setMeta("schema_version", "99");
    store.close();
    const error = assertThrows(() => StateStore.open(path), LocalFatalError);
    assert(error.message.includes("newer"), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore.open() refuses a state from another build that lacks columns, untouched", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/state.sqlite`;
    StateStore.open(path).close();
    const db = new DatabaseSync(path);
    db.exec("ALTER TABLE runs DROP COLUMN listing_mode");
    db.close();
    const before = await Deno.readFile(path);
    const error = assertThrows(() => StateStore.open(path), LocalFatalError);
    assert(error.message.includes("runs.listing_mode"), error.message);
    assert(error.message.includes("move it aside"), error.message);
    assertEquals(await Deno.readFile(path), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore.transaction() rolls back on error", async () => {
  const dir = await tempDir();
  try {
    const store = StateStore.open(`${dir}/s.sqlite`);
    const run = store.beginRun(1);
    assertThrows(() =>
      store.transaction(() => {
        store.recordListedPhoto(listed("9"), "{}", run);
        throw new Error("boom");
      })
    );
    assertEquals(store.photo("9"), undefined);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore plans a run's work in order and reads it back a page at a time", async () => {
  const dir = await tempDir();
  try {
    const store = StateStore.open(`${dir}/s.sqlite`);
    const run = store.beginRun(1);
    const done = (id: string) =>
      store.markDone(id, {
        variant: "original",
        relPath: `Unsorted/${id}.jpg`,
        bytes: 1,
        sha256: "x",
        appliedUpdate: 100,
        sourceBytes: 1,
        sourceSha256: "x",
        placements: [],
      });
    for (const id of ["5", "4", "3", "2", "1"]) {
      store.recordListedPhoto(listed(id), "{}", run);
    }
    for (const id of ["2", "4", "5"]) done(id);
    // Changed on Flickr since its metadata was applied: to refresh.
    store.recordListedPhoto({ ...listed("4"), lastUpdate: 200 }, "{}", run);
    const readAll = () => {
      const items: string[] = [];
      let after;
      for (;;) {
        const page = store.plannedWork(after, 2);
        items.push(...page.map((item) => `${item.kind} ${item.id}`));
        after = page.at(-1);
        if (page.length < 2) return items;
      }
    };

    assertEquals(store.planWork(run, true), {
      todo: 2,
      refresh: 1,
      upgrade: 2,
    });
    // A snapshot: work done meanwhile does not change what is read back.
    done("1");
    assertEquals(readAll(), [
      "todo 1",
      "todo 3",
      "refresh 4",
      "upgrade 2",
      "upgrade 5",
    ]);

    assertEquals(store.planWork(run, false), {
      todo: 1,
      refresh: 1,
      upgrade: 0,
    });
    assertEquals(readAll(), ["todo 3", "refresh 4"]);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("albumSignatureOf(albumsOf) equals the stored album signature", async () => {
  const dir = await tempDir();
  try {
    const store = StateStore.open(`${dir}/state.sqlite`);
    const run = store.beginRun(1);
    store.recordListedPhoto(listed("1"), "{}", run);
    store.recordListedPhoto(listed("2"), "{}", run);
    const album = (id: string, title: string, position: number) => ({
      id,
      title,
      description: "",
      position,
      dateUpdate: 0,
      expectedCount: 1,
    });
    store.upsertAlbum(album("72b", "Zoo | trip\nday 2", 1), run);
    store.upsertAlbum(album("72a", "Été", 1), run);
    store.upsertAlbum(album("71", "First", 0), run);
    store.setAlbumFolder("72b", "Zoo trip");
    store.setAlbumFolder("71", "First");
    for (const id of ["72b", "72a", "71"]) {
      store.recordMembership(id, "1", 0, run);
    }
    const albums = store.albumsOf("1", run);
    assertEquals(albums.map((a) => a.id), ["71", "72a", "72b"]);
    assertEquals(
      albumSignatureOf(albums),
      "71|First|First\n72a||Été\n72b|Zoo trip|Zoo | trip\nday 2",
    );
    assertEquals(albumSignatureOf(albums), store.albumSignature("1", run));
    assertEquals(albumSignatureOf(store.albumsOf("2", run)), "");
    assertEquals(store.albumSignature("2", run), "");
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plannedJobs gives each planned item's row and albums as photo and albumsOf do", async () => {
  const dir = await tempDir();
  try {
    const store = StateStore.open(`${dir}/state.sqlite`);
    const old = store.beginRun(1);
    const album = (id: string, title: string, position: number) => ({
      id,
      title,
      description: "",
      position,
      dateUpdate: 0,
      expectedCount: 1,
    });
    for (const id of ["1", "2", "3", "4", "5"]) {
      store.recordListedPhoto(listed(id), `{"id":"${id}"}`, old);
    }
    store.upsertAlbum(album("72b", "B", 1), old);
    store.recordMembership("72b", "4", 0, old); // only in the older run
    const run = store.beginRun(2);
    for (const id of ["1", "2", "3", "4", "5"]) {
      store.recordListedPhoto(listed(id), `{"id":"${id}"}`, run);
    }
    store.upsertAlbum(album("72b", "B", 1), run);
    store.upsertAlbum(album("72a", "A", 1), run);
    store.upsertAlbum(album("71", "First", 0), run);
    store.setAlbumFolder("71", "First");
    for (const id of ["72b", "72a", "71"]) {
      store.recordMembership(id, "3", 0, run);
    }
    store.recordMembership("72a", "5", 0, run);
    store.markFailed("2", "boom");
    assertEquals(store.planWork(run, false).todo, 5);
    const jobs = [];
    let after;
    for (;;) {
      const page = store.plannedJobs(after, 2, run);
      jobs.push(...page);
      after = page.at(-1);
      if (page.length < 2) break;
    }
    assertEquals(jobs.map((job) => job.id), ["1", "2", "3", "4", "5"]);
    for (const job of jobs) {
      assertEquals(job.kind, "todo");
      assertEquals(job.row, store.photo(job.id));
      assertEquals(job.albums, store.albumsOf(job.id, run));
    }
    assertEquals(jobs[1]!.row?.status, "failed");
    assertEquals(jobs[2]!.albums.map((a) => a.id), ["71", "72a", "72b"]);
    assertEquals(jobs[3]!.albums, []);
    assertEquals(jobs[4]!.albums.map((a) => a.id), ["72a"]);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
