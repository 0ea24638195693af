/**
 * Getting a photo's or video's bytes into the backup: the best source
 * Flickr offers (video routes tried in order, the working one remembered),
 * a file an earlier run left adopted when intact, the download itself and
 * the extension the bytes call for.
 *
 * @module
 */

import { isNotFound, localFiles } from "../platform/local_files.ts";
import { basename, join } from "node:path";
import type {
  FlickrPhoto,
  PhotoSize,
  VideoStream,
} from "../flickr/api_types.ts";
import { AppError, ExitCode } from "../errors.ts";
import type { SavedVariant } from "./sidecar.ts";
import {
  type PhotoSource,
  sourceFromListing,
  sourceFromSizes,
} from "../flickr/sources.ts";
import {
  bestStreams,
  isOriginalRoute,
  originalFromSizes,
  originalFromStreams,
  routeOrder,
  type StreamSource,
  type VideoRoute,
} from "../flickr/video_source.ts";
import {
  knownExtension,
  pathInside,
  refuseLink,
} from "../platform/safe_path.ts";
import {
  chooseExtension,
  PART_META_SUFFIX,
  PART_SUFFIX,
  partPathsFor,
} from "../download/file_download.ts";
import {
  albumDir,
  type FolderListing,
  isFatal,
  type RunContext,
  type SavedFile,
} from "./run_context.ts";
import { inspectFile, servedFromSidecar } from "./file_checks.ts";
import type { DownloadOutcome } from "./backup_ports.ts";

/**
 * Bodies below this size stay in memory after download and are written
 * once, with their metadata (no part file, rename and rewrite). It is the
 * size below which a download is fetched again rather than resumed
 * (RESUME_MIN_BYTES in compose.ts), so no resume is given up.
 */
const IN_MEMORY_MAX_BYTES = 1_000_000 - 1;

/** The video route that last gave an original for this account. */
const VIDEO_ROUTE_KEY = "video_route";

/**
 * A photo's bytes: the listed original or best size, else getSizes.
 * `failed`: the photo's state says failed (a part may be left); looked up
 * when not given.
 */
export async function savePhoto(
  run: RunContext,
  photo: FlickrPhoto,
  folder: string,
  signal: AbortSignal,
  adopt: boolean,
  failed?: boolean,
): Promise<SavedFile | undefined> {
  let source = sourceFromListing(photo);
  if (!source) {
    source = sourceFromSizes(
      photo,
      await run.deps.flickr.getSizes(photo.id),
    );
  }
  if (!source) {
    throw new AppError(
      "Flickr lists no downloadable size for this photo",
      ExitCode.Partial,
    );
  }
  if (source.kind !== "original" && run.options.originalsOnly) {
    return undefined;
  }
  return await fetchSource(run, photo, folder, source, "image", signal, {
    adopt,
    ...(failed !== undefined ? { failed } : {}),
  });
}

/**
 * A video's bytes: the routes tried in order (the remembered one first),
 * each answer asked for at most once. About 90 lines: the route loop and
 * its tried/last-error bookkeeping read best as one piece.
 */
export async function saveVideo(
  run: RunContext,
  photo: FlickrPhoto,
  folder: string,
  signal: AbortSignal,
  adopt: boolean,
): Promise<SavedFile | undefined> {
  const { flickr } = run.deps;
  if (adopt) {
    const existing = await findExisting(run, folder, photo.id, "video");
    if (existing) return existing;
  }
  // Each answer is asked for at most once, and only when a route needs it.
  let sizes: Promise<PhotoSize[]> | undefined;
  let streams: Promise<VideoStream[]> | undefined;
  const getSizes = () => sizes ??= flickr.getSizes(photo.id);
  const getStreams = () =>
    streams ??= flickr.getVideoStreams(photo.id, photo.secret);
  const tried: string[] = [];
  let lastError: unknown;
  let attempted = false;
  const note = (route: VideoRoute, error: unknown) => {
    lastError = error;
    tried.push(
      `${route}: ${error instanceof Error ? error.message : String(error)}`,
    );
  };
  for (const route of routeOrder(videoRoute(run))) {
    if (route === "best-stream" && run.options.originalsOnly) break;
    let sources: PhotoSource[] | StreamSource[] = [];
    try {
      if (route === "orig-unsigned" || route === "orig-signed") {
        const original = originalFromSizes(await getSizes());
        if (original) sources = [original];
      } else if (route === "stream-orig") {
        const original = originalFromStreams(await getStreams());
        if (original) sources = [original];
      } else {
        const none = (error: unknown): PhotoSize[] & VideoStream[] => {
          if (isFatal(error)) throw error;
          return [];
        };
        const offered = await getStreams().catch(none);
        // getSizes only when getStreamInfo offered nothing to choose from.
        const known = offered.length
          ? await (sizes ?? Promise.resolve([])).catch(none)
          : await getSizes().catch(none);
        sources = bestStreams(offered, known);
      }
    } catch (error) {
      if (signal.aborted || isFatal(error)) throw error;
      note(route, error);
      continue;
    }
    if (!sources.length) tried.push(`${route}: not offered`);
    for (const source of sources) {
      attempted = true;
      try {
        const saved = await fetchSource(
          run,
          photo,
          folder,
          source,
          "video",
          signal,
          { signed: route === "orig-signed" },
        );
        videoRouteWorked(run, route);
        run.deps.reporter.detail(
          `video ${photo.id}: ${
            route === "best-stream"
              ? `no original, best stream "${source.label}"`
              : "original"
          } via ${route}${tried.length ? ` (tried ${tried.join("; ")})` : ""}`,
        );
        return saved;
      } catch (error) {
        if (signal.aborted || isFatal(error)) throw error;
        note(route, error);
      }
    }
  }
  // --originals-only: a video with no original offered is skipped.
  if (run.options.originalsOnly && !attempted) return undefined;
  throw lastError instanceof Error ? lastError : new AppError(
    "Flickr offers no downloadable stream for this video",
    ExitCode.Partial,
  );
}

/** The video route remembered for this account (state), if any. */
export function videoRoute(run: RunContext): string | undefined {
  run.rememberedRoute ??= run.store.getMeta(VIDEO_ROUTE_KEY) ?? "";
  return run.rememberedRoute || undefined;
}

/** Counts a route that worked and remembers an original one. */
export function videoRouteWorked(run: RunContext, route: VideoRoute): void {
  run.videoRoutes[route] = (run.videoRoutes[route] ?? 0) + 1;
  if (isOriginalRoute(route) && route !== videoRoute(run)) {
    run.rememberedRoute = route;
    run.store.setMeta(VIDEO_ROUTE_KEY, route);
  }
}

/** Finds an intact file left by an earlier run (or a lost state). */
export async function findExisting(
  run: RunContext,
  folder: string,
  id: string,
  expect: "image" | "video",
  extension?: string,
): Promise<SavedFile | undefined> {
  const listing = await mediaNames(run, folder);
  if (!listing) return undefined; // no folder yet: nothing to adopt
  const { dir, files } = listing;
  const names = extension
    ? [`${id}.${extension}`].filter((name) => files.has(name))
    : [...files].filter((name) =>
      name.startsWith(`${id}.`) && name.split(".").length === 2
    );
  for (const name of names) {
    const path = join(dir, name);
    const check = await inspectFile(path, expect);
    if (!check) continue;
    // The sidecar beside it remembers what Flickr served (the file may
    // hold our metadata since): keep that hash and size, not the file's.
    const served = await servedFromSidecar(`${path}.json`, id);
    return {
      relPath: `${folder}/${name}`,
      path,
      adopted: true,
      variant: served ?? {
        kind: "original",
        label: "existing",
        bytes: check.bytes,
        sha256Downloaded: check.sha256,
      },
      finalBytes: check.bytes,
      finalSha256: check.sha256,
    };
  }
  return undefined;
}

/**
 * The media file names a folder held when this run first looked (one
 * listing per folder and run instead of a failed stat per new photo), or
 * undefined when there is no such folder.
 */
export function mediaNames(
  run: RunContext,
  folder: string,
): Promise<FolderListing | undefined> {
  let listing = run.listings.get(folder);
  if (!listing) {
    listing = (async () => {
      const dir = await pathInside(run.options.root, folder);
      await refuseLink(dir, "folder");
      const files = new Set<string>();
      const sidecars = new Set<string>();
      const parts = new Set<string>();
      try {
        for await (const entry of localFiles.readDir(dir)) {
          const name = entry.name;
          if (name.endsWith(PART_SUFFIX) || name.endsWith(PART_META_SUFFIX)) {
            parts.add(name);
          } else if (name.endsWith(".json") && entry.isFile) {
            sidecars.add(name);
          } else if (
            entry.isFile && !name.endsWith(".json") &&
            !name.endsWith(".xmp") && !name.startsWith(".")
          ) files.add(name);
        }
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      return { dir, files, sidecars, parts };
    })();
    run.listings.set(folder, listing);
  }
  return listing;
}

/**
 * Downloads one source to `<folder>/<id>.<ext>` (or adopts an intact file
 * already there), named by what the bytes are.
 */
export async function fetchSource(
  run: RunContext,
  photo: FlickrPhoto,
  folder: string,
  source: PhotoSource | (Omit<PhotoSource, "kind"> & { kind: "stream" }),
  expect: "image" | "video",
  signal: AbortSignal,
  options: { signed?: boolean; adopt?: boolean; failed?: boolean } = {},
): Promise<SavedFile> {
  if (expect === "image" && options.adopt) {
    const existing = await findExisting(
      run,
      folder,
      photo.id,
      expect,
      source.extension,
    );
    if (existing) {
      existing.variant = {
        ...existing.variant,
        kind: source.kind,
        label: source.label,
      };
      return existing;
    }
  }
  // The folder was checked and made once (albumDir); the name is the
  // checked id and a known extension.
  const dir = await albumDir(run, folder);
  // A listed format that is not a known extension is not trusted: the
  // bytes name the file once they are here.
  const planned = knownExtension(source.extension);
  let relName = `${photo.id}.${planned ?? "download"}`;
  let path = join(dir, relName);
  const fresh = options.adopt === true &&
    await noPartLeft(run, folder, photo.id, path, options.failed);
  const result = await run.deps.downloader.download({
    url: source.url,
    dest: path,
    expect,
    signal,
    syncDir: false, // finishPhoto fsyncs the folder once for all its files
    memoryMaxBytes: IN_MEMORY_MAX_BYTES,
    fresh,
    onProgress: (delta) => {
      run.progress.bytes += delta;
      run.totals.bytesDownloaded += delta;
    },
    ...(options.signed
      ? {
        openResponse: (url: string) => run.deps.flickr.signedGet(url, signal),
      }
      : {}),
  });
  const finalExt = await extensionOfBytes(path, planned, result, expect);
  if (finalExt !== planned && result.body) {
    relName = `${photo.id}.${finalExt}`;
    path = join(dir, relName);
  } else if (finalExt !== planned) {
    const renamed = `${photo.id}.${finalExt}`;
    const target = join(dir, renamed);
    await localFiles.rename(path, target);
    relName = renamed;
    path = target;
  }
  run.totals.downloaded++;
  // A fresh download's folder was listed (or did not exist) when the run
  // first looked: no sidecar of its name there means none from before.
  const noSidecar = fresh &&
    !(await run.listings.get(folder))?.sidecars.has(`${relName}.json`);
  const variant: SavedVariant = {
    kind: source.kind,
    label: source.label,
    bytes: result.bytes,
    sha256Downloaded: result.sha256,
    ...(source.width ? { width: source.width } : {}),
    ...(source.height ? { height: source.height } : {}),
  };
  return {
    relPath: `${folder}/${relName}`,
    path,
    adopted: false,
    variant,
    finalBytes: result.bytes,
    finalSha256: result.sha256,
    ...(result.body ? { pending: result.body } : {}),
    ...(noSidecar ? { noSidecar } : {}),
  };
}

/**
 * True when `dest` surely has no part file or resume data: its folder was
 * listed without them (or did not exist) when the run first looked, and the
 * photo has not failed since (a failure may keep a resumable part).
 */
async function noPartLeft(
  run: RunContext,
  folder: string,
  id: string,
  dest: string,
  failed = run.store.photo(id)?.status === "failed",
): Promise<boolean> {
  if (failed) return false;
  const listing = await mediaNames(run, folder);
  const part = basename(partPathsFor(dest).part);
  return !listing?.parts.has(part) && !listing?.parts.has(`${part}.json`);
}

/**
 * The extension the downloaded bytes call for (PNG bytes at a .jpg URL are
 * a .png); a format this tool does not know removes the download and fails.
 */
async function extensionOfBytes(
  path: string,
  planned: string | undefined,
  result: DownloadOutcome,
  expect: "image" | "video",
): Promise<string> {
  const suggested = knownExtension(
    result.suggestedExtension?.replace(/^\./, ""),
  );
  const byBytes = knownExtension(
    chooseExtension(
      planned,
      result.kind as Parameters<typeof chooseExtension>[1],
    ),
  ) ?? suggested;
  const finalExt = expect === "video" && suggested && suggested !== planned
    ? suggested
    : byBytes;
  if (!finalExt) {
    await localFiles.remove(path).catch(() => undefined);
    throw new AppError(
      `the file Flickr sent is not a format flickr-backup knows (${result.kind})`,
      ExitCode.Partial,
    );
  }
  return finalExt;
}
