/// <reference lib="dom" />
/**
 * The offline site in a real browser (Debian's headless Chromium through
 * puppeteer-core), opened from `file://` as a user double-clicking
 * `index.html` would: the demo backup made by the real CLI (whose `backup`
 * refreshes the site), and a generated 2,000-photo account whose site is made
 * by the real `site` command under the release permission set.
 *
 * Skipped, with a message, where no Chromium is installed.
 */

import { join } from "node:path";
import type { Page } from "puppeteer-core";
import {
  assert,
  assertEquals,
  assertMissing,
  assertStringIncludes,
} from "../assert.ts";
import { demoAccount, startFakeFlickr } from "../fake_flickr/mod.ts";
import { runCliProcess } from "../helpers/cli.ts";
import { fakeEnv, signIn, withTempDir } from "../helpers/backup_fixture.ts";
import {
  brokenImages,
  chromiumPath,
  fileUrl,
  launchChromium,
  siteLinks,
  watch,
} from "../helpers/site_browser.ts";
import { HOSTILE_TITLE, makeSiteAccount } from "../helpers/site_fixture.ts";

const CHROMIUM = chromiumPath();
if (!CHROMIUM) {
  console.warn(
    "site_browser_test: SKIPPED — no Chromium found (install Debian's `chromium` package or set CHROMIUM_PATH)",
  );
}

interface SiteExpectations {
  /** Words of photos' descriptions, and those photos. */
  search: { word: string; id: string }[];
  /** Visit every photo page (else only those named here and a sample). */
  allPhotoPages: boolean;
  hostileId?: string;
}

function listHtml(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.endsWith(".html")) out.push(join(dir, entry.name));
  }
  return out;
}

async function videoState(page: Page): Promise<number[]> {
  return await page.evaluate(async () => {
    const videos = [...document.querySelectorAll("video")];
    return await Promise.all(
      videos.map((video) =>
        new Promise<number>((resolve) => {
          const done = () => resolve(video.error ? video.error.code : 0);
          if (video.readyState >= 1 || video.error) return done();
          video.addEventListener("loadedmetadata", done, { once: true });
          video.addEventListener("error", done, { once: true });
        })
      ),
    );
  });
}

/** Crawls the site from index.html and checks everything the issue asks. */
async function checkSite(root: string, expect: SiteExpectations) {
  await using chromium = await launchChromium(CHROMIUM!);
  const page = await chromium.browser.newPage();
  // No time limits on loads and waits (puppeteer's are 30 s): slowness on a
  // busy machine is no failure; a page that never loads hangs the test.
  page.setDefaultTimeout(0);
  const watcher = watch(page, root);
  const broken: string[] = [];
  const reachable = new Set<string>();
  const home = fileUrl(root, "index.html");
  const queue = [home];
  reachable.add(home);
  const sample = new Set(
    [expect.hostileId, ...expect.search.map((s) => s.id)].filter(Boolean).map((
      id,
    ) => fileUrl(root, `.flickr_site/p/${id}.html`)),
  );
  let photoPagesVisited = 0;
  let videos = 0;
  while (queue.length) {
    const url = queue.shift()!;
    const isPhoto = url.includes("/.flickr_site/p/");
    if (isPhoto && !expect.allPhotoPages && !sample.has(url)) {
      if (photoPagesVisited >= 25) continue;
    }
    await page.goto(url, { waitUntil: "load" });
    if (isPhoto) photoPagesVisited++;
    broken.push(...await brokenImages(page));
    for (const code of await videoState(page)) {
      videos++;
      // 2 = MEDIA_ERR_NETWORK: the file could not be read. (A file Chromium
      // cannot decode gives 3 or 4: the demo's video is a stub, not a film.)
      assert(code !== 2, `video on ${url} could not be read`);
    }
    for (const link of await siteLinks(page)) {
      if (!reachable.has(link)) {
        reachable.add(link);
        queue.push(link);
      }
    }
  }
  const site = join(root, ".flickr_site");
  const expected = [
    ...listHtml(join(site, "a")),
    ...listHtml(join(site, "p")),
    ...listHtml(join(site, "t")),
    ...listHtml(join(site, "m")),
  ].map((path) => fileUrl(root, path.slice(root.length + 1)));
  const unreachable = expected.filter((url) => !reachable.has(url));
  assertEquals(unreachable, [], "pages not reachable from index.html");
  assert(expected.some((url) => url.includes("/p/")), "no photo pages");
  assertEquals(broken, [], "images that did not load");

  // Search: a word of a description finds its photo.
  for (const { word, id } of expect.search) {
    await page.goto(
      `${fileUrl(root, ".flickr_site/s/search.html")}?q=${
        encodeURIComponent(word)
      }`,
      { waitUntil: "load" },
    );
    await page.waitForSelector("#results a");
    const hits = await page.$$eval(
      "#results a",
      (links) => links.map((a) => (a as HTMLAnchorElement).href),
    );
    assert(
      hits.some((href) => href.endsWith(`/p/${id}.html`)),
      `search for "${word}" did not find ${id}: ${hits}`,
    );
    broken.push(...await brokenImages(page));
  }

  // Keyboard: from an album, → and ← move along it, Esc goes back to it.
  const album = listHtml(join(site, "a")).map((path) =>
    fileUrl(root, path.slice(root.length + 1))
  ).find((url) => !url.endsWith("unsorted.html"))!;
  await page.goto(album, { waitUntil: "load" });
  const tiles = await page.$$eval(
    ".grid a.tile",
    (links) => links.map((a) => (a as HTMLAnchorElement).href),
  );
  assert(tiles.length >= 2, "an album with two photos");
  await Promise.all([page.waitForNavigation(), page.click(".grid a.tile")]);
  assertEquals(page.url(), tiles[0]);
  await Promise.all([
    page.waitForNavigation(),
    page.keyboard.press("ArrowRight"),
  ]);
  assertEquals(page.url(), tiles[1]);
  await Promise.all([
    page.waitForNavigation(),
    page.keyboard.press("ArrowLeft"),
  ]);
  assertEquals(page.url(), tiles[0]);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Escape")]);
  assertEquals(page.url(), album);

  // A title holding HTML stays text.
  if (expect.hostileId) {
    await page.goto(fileUrl(root, `.flickr_site/p/${expect.hostileId}.html`), {
      waitUntil: "load",
    });
    const check = await page.evaluate(() => ({
      h1: document.querySelector("h1")?.textContent,
      title: document.title,
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      injected: document.querySelectorAll("main script, img[src='x']").length,
      jsLinks: document.querySelectorAll("a[href^='javascript']").length,
      bold: document.querySelectorAll(".desc b").length,
      outsideLink:
        document.querySelectorAll(".desc a[href^='https://example.org']")
          .length,
    }));
    assertEquals(check.h1, HOSTILE_TITLE);
    assertStringIncludes(check.title ?? "", HOSTILE_TITLE);
    assertEquals(check.pwned, undefined);
    assertEquals(check.injected, 0);
    assertEquals(check.jsLinks, 0);
    assertEquals(check.bold, 1, "safe formatting is kept");
    assertEquals(check.outsideLink, 1, "a bare web address becomes a link");
  }

  assertEquals(watcher.consoleErrors, [], "console errors");
  assertEquals(watcher.outsideRequests, [], "requests outside the backup");
  assertEquals(watcher.failedRequests, [], "failed requests");
  return { reachable: reachable.size, photoPagesVisited, videos };
}

Deno.test({
  name:
    "site: the demo backup's site works from file:// in Chromium (backup refreshes it)",
  ignore: !CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using flickr = await startFakeFlickr({ account: demoAccount() });
    await withTempDir(async (dir) => {
      await signIn(flickr, dir);
      const run = await runCliProcess(
        ["backup", "--dir", dir, "--retry-delay", "10"],
        { env: fakeEnv(flickr) },
      );
      assertEquals(run.code, 0, run.stderr);
      assertStringIncludes(run.stdout, `Open ${join(dir, "index.html")}`);
      const result = await checkSite(dir, {
        search: [{
          word: "harbour",
          id: [...flickr.account.photos.values()][0]!.id,
        }],
        allPhotoPages: true,
      });
      assertEquals(result.videos, 1, "the demo's video page was checked");
    });
  },
});

Deno.test({
  name: "site: a 2,000-photo account's site works from file:// in Chromium",
  ignore: !CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const account = makeSiteAccount({ photos: 2000, albums: 12 });
    try {
      const run = await runCliProcess(["site", "--dir", account.dir]);
      assertEquals(run.code, 0, run.stderr);
      assertStringIncludes(run.stdout, "2000 photos and videos in 13 albums");
      // The index is cut in two files; one photo is looked for in the last.
      const shards = [0, 1].map((k) =>
        Deno.readTextFileSync(
          join(account.dir, `.flickr_site/assets/search-${k}.js`),
        )
      );
      assertEquals(
        shards.map((text) => text.includes(`"${account.lastSearchable.id}"`)),
        [false, true],
      );
      await assertMissing(join(account.dir, ".flickr_site/assets/search-2.js"));
      await checkSite(account.dir, {
        search: [account.searchable, account.lastSearchable],
        allPhotoPages: false,
        hostileId: account.hostileId,
      });
    } finally {
      await Deno.remove(account.dir, { recursive: true });
    }
  },
});
