/// <reference lib="dom" />
/**
 * Checks a generated offline site in a real browser: Debian's Chromium,
 * headless, driven by puppeteer-core, opening the site from `file://`.
 *
 * Chromium is started with the flags that keep it from calling home (it
 * would otherwise try outside connections on a closed network) and a fresh
 * profile.
 *
 * @module
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** The Chromium binary, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  for (
    const path of [
      Deno.env.get("CHROMIUM_PATH"),
      "/usr/bin/chromium",
      "/usr/bin/chromium-browser",
    ]
  ) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** Starts headless Chromium with a fresh profile. */
export async function launchChromium(
  executablePath: string,
): Promise<{ browser: Browser; [Symbol.asyncDispose](): Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix: "fb-chromium-" });
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // No time limit on the start (puppeteer's is 30 s): a busy 2-core
    // machine may be slow, and a real failure ends the start anyway.
    timeout: 0,
    userDataDir: profile,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-default-apps",
      "--disable-extensions",
      "--mute-audio",
    ],
  });
  return {
    browser,
    async [Symbol.asyncDispose]() {
      await browser.close().catch(() => undefined);
      await Deno.remove(profile, { recursive: true }).catch(() => undefined);
    },
  };
}

/** What went wrong on the pages a {@link Watcher} watched. */
export interface Watcher {
  consoleErrors: string[];
  failedRequests: string[];
  outsideRequests: string[];
  /** URLs of files the pages requested (without query and hash). */
  requested: Set<string>;
}

/** Records console errors and requests of a page; `root` is the backup. */
export function watch(page: Page, root: string): Watcher {
  const base = pathToFileURL(root).href + "/";
  const watcher: Watcher = {
    consoleErrors: [],
    failedRequests: [],
    outsideRequests: [],
    requested: new Set(),
  };
  page.on("console", (message) => {
    if (message.type() === "error") {
      watcher.consoleErrors.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => {
    watcher.consoleErrors.push(`${page.url()}: ${String(error)}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    // data: URLs are no request (Chromium's own video controls use them).
    if (url.startsWith("data:")) return;
    if (!url.startsWith(base)) watcher.outsideRequests.push(url);
    else watcher.requested.add(url.replace(/[?#].*$/, ""));
  });
  page.on("requestfailed", (request) => {
    watcher.failedRequests.push(
      `${request.url()}: ${request.failure()?.errorText}`,
    );
  });
  return watcher;
}

/** Loads every image of the open page (lazy ones too); returns failures. */
export async function brokenImages(page: Page): Promise<string[]> {
  return await page.evaluate(async () => {
    const images = [...document.images];
    const results = await Promise.all(images.map(async (img) => {
      img.loading = "eager";
      try {
        await img.decode();
        return img.naturalWidth > 0 ? "" : img.src;
      } catch {
        return img.src;
      }
    }));
    return results.filter(Boolean);
  });
}

/** Links of the open page to `.html` files inside the site, as file URLs. */
export async function siteLinks(page: Page): Promise<string[]> {
  return await page.evaluate(() =>
    [...document.querySelectorAll("a[href]")].map((a) =>
      (a as HTMLAnchorElement).href.replace(/[?#].*$/, "")
    ).filter((href) => href.startsWith("file:") && href.endsWith(".html"))
  );
}

/** The file URL of a path inside the backup. */
export function fileUrl(root: string, rel: string): string {
  return pathToFileURL(join(root, rel)).href;
}
