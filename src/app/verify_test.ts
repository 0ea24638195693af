import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { encodeJpeg, encodePng } from "../../tests/fake_flickr/mod.ts";
import { StateReader } from "../state/state_reader.ts";
import { STATE_FILE, StateStore } from "../state/state_store.ts";
import {
  markForRepair,
  moveAside,
  onlyPhotos,
  repairPlan,
  trashFolderName,
  verifyBackup,
  type VerifyProblem,
} from "./verify.ts";

const IS_WINDOWS = Deno.build.os === "windows";

interface Fixture {
  root: string;
  /** Read-only view, as `verify` uses it. */
  reader: () => StateReader;
  [Symbol.asyncDispose](): Promise<void>;
}

interface PhotoSpec {
  id: string;
  bytes: Uint8Array;
  /** Canonical path, then the album copies. */
  paths: string[];
  /** How album copies are made. */
  links?: "hardlink" | "copy" | "symlink";
  media?: string;
  /** Recorded hash/size differ from the bytes (structure tests). */
  record?: { bytes: number; sha256: string };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function sidecar(id: string): string {
  return JSON.stringify({ schema_version: 1, id, title: `Photo ${id}` }) +
    "\n";
}

/** A backup folder with files on disk and a state recording them as done. */
async function backupFixture(specs: PhotoSpec[]): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "fb-verify-" });
  const store = StateStore.open(join(root, STATE_FILE));
  const run = store.beginRun(1_000);
  for (const spec of specs) {
    const [canonical, ...copies] = spec.paths;
    await Deno.mkdir(dirname(join(root, canonical!)), { recursive: true });
    await Deno.writeFile(join(root, canonical!), spec.bytes);
    for (const copy of copies) {
      const to = join(root, copy);
      await Deno.mkdir(dirname(to), { recursive: true });
      const mode = spec.links ?? "hardlink";
      if (mode === "hardlink") await Deno.link(join(root, canonical!), to);
      else if (mode === "copy") await Deno.copyFile(join(root, canonical!), to);
      else {
        await Deno.symlink(`../${canonical}`, to, { type: "file" });
      }
    }
    for (const path of spec.paths) {
      await Deno.writeTextFile(join(root, `${path}.json`), sidecar(spec.id));
    }
    store.recordListedPhoto(
      {
        id: spec.id,
        media: spec.media ?? "photo",
        lastUpdate: 1,
        originalSecret: "s",
      },
      "{}",
      run,
    );
    store.markDone(spec.id, {
      variant: "original",
      relPath: canonical!,
      bytes: spec.record?.bytes ?? spec.bytes.length,
      sha256: spec.record?.sha256 ?? sha256(spec.bytes),
      appliedUpdate: 1,
      sourceBytes: spec.bytes.length,
      sourceSha256: sha256(spec.bytes),
      placements: spec.paths.map((relPath, index) => ({
        albumId: index === 0 && relPath.startsWith("Unsorted/")
          ? ""
          : `album-${relPath.split("/")[0]}`,
        relPath,
      })),
    });
  }
  store.markListingComplete(run, "full");
  store.finishRun(run, 2_000, "complete", {});
  store.close();
  const readers: StateReader[] = [];
  return {
    root,
    reader: () => {
      const reader = StateReader.open(join(root, STATE_FILE));
      readers.push(reader);
      return reader;
    },
    async [Symbol.asyncDispose]() {
      for (const reader of readers) {
        try {
          reader.close();
        } catch {
          // already closed by the test
        }
      }
      await Deno.remove(root, { recursive: true });
    },
  };
}

const jpeg1 = encodeJpeg({ width: 64, height: 48, seed: 1 });
const jpeg3 = encodeJpeg({ width: 40, height: 30, seed: 3 });
const jpeg4 = encodeJpeg({ width: 24, height: 24, seed: 4 });
const png2 = encodePng({ width: 20, height: 10, seed: 2 });
const video5 = crypto.getRandomValues(new Uint8Array(5000));

function standardSpecs(): PhotoSpec[] {
  return [
    { id: "1", bytes: jpeg1, paths: ["Trip/1.jpg", "Best of/1.jpg"] },
    { id: "2", bytes: png2, paths: ["Unsorted/2.png"] },
    {
      id: "3",
      bytes: jpeg3,
      paths: ["Trip/3.jpg", "Best of/3.jpg"],
      links: "copy",
    },
    ...(IS_WINDOWS ? [] : [{
      id: "4",
      bytes: jpeg4,
      paths: ["Trip/4.jpg", "Best of/4.jpg"],
      links: "symlink" as const,
    }]),
    { id: "5", bytes: video5, paths: ["Unsorted/5.mp4"], media: "video" },
  ];
}

function summary(problems: VerifyProblem[]): string[] {
  return problems.map((p) => `${p.relPath} ${p.kind}`).sort();
}

Deno.test("verifyBackup finds nothing wrong in an intact backup and reads each file once", async () => {
  await using fx = await backupFixture(standardSpecs());
  const progress: number[] = [];
  const result = await verifyBackup(fx.root, fx.reader(), {
    onProgress: (p) => progress.push(p.done),
  });
  assertEquals(result.problems, []);
  const photos = IS_WINDOWS ? 4 : 5;
  assertEquals(result.checked, photos);
  assertEquals(result.files, IS_WINDOWS ? 6 : 8);
  // Hard links and symlinks to the canonical file are not read again;
  // the copy is.
  const expectedBytes = jpeg1.length + png2.length + jpeg3.length * 2 +
    (IS_WINDOWS ? 0 : jpeg4.length) + video5.length;
  if (!IS_WINDOWS) assertEquals(result.bytes, expectedBytes);
  assertEquals(progress, Array.from({ length: photos }, (_, i) => i + 1));
});

Deno.test("verifyBackup catches a flipped byte, a truncated file, a missing file and bad sidecars", async () => {
  await using fx = await backupFixture(standardSpecs());
  const flip = join(fx.root, "Trip/1.jpg");
  const bytes = await Deno.readFile(flip);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  // Write in place, as bit rot would: the hard link sees it too.
  await Deno.writeFile(flip, bytes);
  await Deno.truncate(join(fx.root, "Trip/3.jpg"), jpeg3.length - 100);
  await Deno.remove(join(fx.root, "Unsorted/5.mp4"));
  await Deno.remove(join(fx.root, "Unsorted/2.png.json"));
  await Deno.writeTextFile(join(fx.root, "Best of/3.jpg.json"), "{not json");
  await Deno.writeTextFile(
    join(fx.root, "Trip/3.jpg.json"),
    JSON.stringify({ id: "999" }),
  );

  const result = await verifyBackup(fx.root, fx.reader());
  assertEquals(summary(result.problems), [
    "Best of/1.jpg checksum",
    "Best of/3.jpg.json sidecar-invalid",
    "Trip/1.jpg checksum",
    "Trip/3.jpg size",
    "Trip/3.jpg.json sidecar-invalid",
    "Unsorted/2.png.json sidecar-missing",
    "Unsorted/5.mp4 missing",
  ]);
  assert(result.problems.every((p) => p.repairable));
  const truncated = result.problems.find((p) => p.relPath === "Trip/3.jpg")!;
  assertEquals(truncated.photoId, "3");
  assertEquals(
    truncated.detail,
    `${jpeg3.length - 100} bytes on disk, ${jpeg3.length} recorded`,
  );
  const link = result.problems.find((p) => p.relPath === "Best of/1.jpg")!;
  assert(link.detail.includes("hard link to Trip/1.jpg"), link.detail);
});

Deno.test("verifyBackup checks JPEG structure even when the recorded hash matches", async () => {
  // Recorded as it is on disk (size and hash agree), but cut short.
  const cut = jpeg1.subarray(0, jpeg1.length - 40);
  await using fx = await backupFixture([{
    id: "7",
    bytes: cut,
    paths: ["Unsorted/7.jpg"],
  }]);
  const result = await verifyBackup(fx.root, fx.reader());
  assertEquals(summary(result.problems), ["Unsorted/7.jpg structure"]);
  assert(result.problems[0]!.detail.includes("FFD9"));
});

Deno.test("verifyBackup streams large files and checks their structure across reads", async () => {
  const big = encodeJpeg({ width: 64, height: 64, padTo: 3 * 1024 * 1024 });
  await using fx = await backupFixture([{
    id: "8",
    bytes: big,
    paths: ["Unsorted/8.jpg"],
  }]);
  const ok = await verifyBackup(fx.root, fx.reader());
  assertEquals(ok.problems, []);
  assertEquals(ok.bytes, big.length);
  await Deno.truncate(join(fx.root, "Unsorted/8.jpg"), big.length - 2);
  const cut = await verifyBackup(fx.root, fx.reader());
  assertEquals(summary(cut.problems), ["Unsorted/8.jpg size"]);
});

Deno.test({
  name: "verifyBackup follows symlinked album copies to the canonical file",
  ignore: IS_WINDOWS,
  fn: async () => {
    await using fx = await backupFixture(standardSpecs());
    const canonical = join(fx.root, "Trip/4.jpg");
    const bytes = await Deno.readFile(canonical);
    bytes[bytes.length - 10]! ^= 0xff;
    await Deno.writeFile(canonical, bytes);
    let result = await verifyBackup(fx.root, fx.reader());
    assertEquals(summary(result.problems), [
      "Best of/4.jpg checksum",
      "Trip/4.jpg checksum",
    ]);
    const link = result.problems.find((p) => p.relPath === "Best of/4.jpg")!;
    assert(link.detail.includes("symbolic link to Trip/4.jpg"), link.detail);

    await Deno.remove(canonical);
    result = await verifyBackup(fx.root, fx.reader());
    assertEquals(summary(result.problems), [
      "Best of/4.jpg missing",
      "Trip/4.jpg missing",
    ]);
  },
});

Deno.test("verifyBackup marks problems of photos deleted on Flickr as not repairable and skips pruned ones", async () => {
  await using fx = await backupFixture(standardSpecs());
  const store = StateStore.open(join(fx.root, STATE_FILE));
  store.markPhotosGone(["2", "5"]);
  store.markPruned("5", ".trash/2026-01-01");
  store.close();
  await Deno.remove(join(fx.root, "Unsorted/2.png"));
  await Deno.remove(join(fx.root, "Unsorted/5.mp4")); // pruned: not checked
  const result = await verifyBackup(fx.root, fx.reader());
  assertEquals(summary(result.problems), ["Unsorted/2.png missing"]);
  assertEquals(result.problems[0]!.repairable, false);
  assertEquals(result.checked, IS_WINDOWS ? 3 : 4);
  const plan = repairPlan(result.problems);
  assertEquals(plan.photoIds, []);
  assertEquals(plan.unrepairable.length, 1);
});

Deno.test("repair: bad files move to .trash/verify-<time>/ keeping their paths, and their photos are fetched again", async () => {
  await using fx = await backupFixture(standardSpecs());
  const flip = join(fx.root, "Trip/1.jpg");
  const bytes = await Deno.readFile(flip);
  bytes[100]! ^= 0x10;
  await Deno.writeFile(flip, bytes);
  await Deno.remove(join(fx.root, "Unsorted/2.png.json"));
  await Deno.writeTextFile(join(fx.root, "Trip/3.jpg.json"), "[]");
  const result = await verifyBackup(fx.root, fx.reader());

  const plan = repairPlan(result.problems);
  assertEquals(plan.photoIds, ["1", "2", "3"]);
  // Missing files have nothing to move; the rest keep their bytes in the trash.
  assertEquals(plan.paths, ["Best of/1.jpg", "Trip/1.jpg", "Trip/3.jpg.json"]);
  const now = new Date(2026, 0, 2, 3, 4, 5);
  const moved = await moveAside(fx.root, plan.paths, now);
  assertEquals(moved.trashDir, ".trash/verify-20260102-030405");
  assertEquals(moved.moved, plan.paths);
  for (const rel of plan.paths) {
    await assertRejects(() => Deno.stat(join(fx.root, rel)));
    await Deno.stat(join(fx.root, moved.trashDir, rel));
  }
  assertEquals(
    await Deno.readFile(join(fx.root, moved.trashDir, "Trip/1.jpg")),
    bytes,
  );
  // A second repair in the same second gets its own folder.
  await Deno.writeTextFile(join(fx.root, "Trip/3.jpg.json"), "[]");
  const again = await moveAside(fx.root, ["Trip/3.jpg.json", "gone"], now);
  assertEquals(again.trashDir, ".trash/verify-20260102-030405-2");
  assertEquals(again.moved, ["Trip/3.jpg.json"]);

  const store = StateStore.open(join(fx.root, STATE_FILE));
  try {
    const before = store.photo("1")!;
    assertEquals(markForRepair(store, result.problems), ["1", "2", "3"]);
    const after = store.photo("1")!;
    assertEquals(after.status, "failed");
    assert(after.lastError.includes("checksum Trip/1.jpg"), after.lastError);
    // Kept, so the next run downloads instead of adopting a file on disk.
    assertEquals(after.sha256, before.sha256);
    assertEquals(store.photo("4")?.status ?? "done", "done");
    // The next run picks them up.
    const run = store.beginRun(3_000);
    for (const id of ["1", "2", "3", "5"]) {
      store.recordListedPhoto(
        {
          id,
          media: "photo",
          lastUpdate: 1,
          originalSecret: "s",
        },
        "{}",
        run,
      );
    }
    assertEquals(store.photosToProcess(run), ["1", "2", "3"]);
  } finally {
    store.close();
  }
});

Deno.test("moveAside refuses paths outside the backup folder", async () => {
  await using fx = await backupFixture([]);
  await assertRejects(
    () => moveAside(fx.root, ["../outside"], new Date()),
    Error,
    "outside the backup folder",
  );
});

Deno.test("verifyBackup reports recorded paths outside the backup folder without reading them", async () => {
  await using fx = await backupFixture([]);
  const store = StateStore.open(join(fx.root, STATE_FILE));
  const run = store.beginRun(5);
  store.recordListedPhoto(
    { id: "9", media: "photo", lastUpdate: 1, originalSecret: "" },
    "{}",
    run,
  );
  store.markDone("9", {
    variant: "original",
    relPath: "../../etc/passwd",
    bytes: 1,
    sha256: "x",
    appliedUpdate: 1,
    sourceBytes: 1,
    sourceSha256: "x",
    placements: [{ albumId: "", relPath: "../../etc/passwd" }],
  });
  store.close();
  const result = await verifyBackup(fx.root, fx.reader());
  assertEquals(summary(result.problems), ["../../etc/passwd missing"]);
  assertEquals(result.problems[0]!.repairable, false);
  assertEquals(result.bytes, 0);
});

Deno.test("onlyPhotos limits a verification to some photos", async () => {
  await using fx = await backupFixture(standardSpecs());
  await Deno.remove(join(fx.root, "Unsorted/5.mp4"));
  const result = await verifyBackup(
    fx.root,
    onlyPhotos(fx.reader(), new Set(["2", "3"])),
  );
  assertEquals(result.checked, 2);
  assertEquals(result.problems, []);
});

Deno.test("verifyBackup stops when its signal is aborted", async () => {
  await using fx = await backupFixture(standardSpecs());
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assertRejects(
    () => verifyBackup(fx.root, fx.reader(), { signal: controller.signal }),
    Error,
    "stop",
  );
});

Deno.test("trashFolderName uses local time", () => {
  assertEquals(
    trashFolderName(new Date(2026, 10, 25, 9, 3, 0)),
    "verify-20261125-090300",
  );
});
