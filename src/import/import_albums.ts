/**
 * Albums of an import: the export's into the state (when it is newer than
 * an API backup's), and their folders named by the rules `backup` uses.
 *
 * @module
 */

import { pathInside } from "../platform/safe_path.ts";
import type { ExportAlbum } from "./export_json.ts";
import { exists, type ImportContext, warn } from "./import_context.ts";

export function recordAlbums(
  ctx: ImportContext,
  albums: ExportAlbum[],
  apiRun: number | undefined,
): void {
  const known = new Map(ctx.store.albums().map((a) => [a.id, a]));
  ctx.store.transaction(() => {
    let position = known.size
      ? Math.max(...[...known.values()].map((a) => a.position)) + 1
      : 0;
    if (apiRun !== undefined) {
      for (const album of known.values()) {
        if (album.deletedOnFlickr) continue;
        ctx.store.upsertAlbum(album, ctx.runId);
      }
    }
    const sorted = [...albums].sort((a, b) =>
      a.lastUpdated - b.lastUpdated || (a.id < b.id ? -1 : 1)
    );
    for (const album of sorted) {
      const existing = known.get(album.id);
      if (existing && !ctx.exportNewer) continue;
      if (!existing && apiRun !== undefined && !ctx.exportNewer) continue;
      ctx.store.upsertAlbum({
        id: album.id,
        title: album.title,
        description: album.description,
        position: existing?.position ?? position++,
        dateUpdate: existing?.dateUpdate ?? album.lastUpdated,
        expectedCount: existing?.expectedCount ?? album.photoIds.length,
      }, ctx.runId);
    }
  });
}

export async function applyFolderNames(ctx: ImportContext): Promise<void> {
  const all = ctx.store.albums();
  const alive = all.filter((album) => !album.deletedOnFlickr);
  const taken = new Set(
    all.filter((a) => a.deletedOnFlickr && a.folder).map((a) =>
      a.folder.toLowerCase()
    ),
  );
  const names = ctx.deps.files.folderNames(
    alive.map((album) => ({ id: album.id, title: album.title })),
  );
  for (const album of alive) {
    let name = names.get(album.id) ?? album.id;
    if (taken.has(name.toLowerCase()) && album.folder !== name) {
      name = `${name} (${album.id})`;
    }
    if (album.folder === name) continue;
    if (!album.folder) {
      ctx.store.setAlbumFolder(album.id, name);
      continue;
    }
    if (!ctx.exportNewer) continue;
    const from = await pathInside(ctx.options.root, album.folder);
    const to = await pathInside(ctx.options.root, name);
    if (!(await exists(from))) {
      ctx.store.renameFolder(album.id, album.folder, name);
    } else if (await exists(to)) {
      warn(
        ctx,
        `Album "${album.title}" has a new title but "${name}" already exists; keeping the folder "${album.folder}"`,
      );
    } else {
      await Deno.rename(from, to);
      ctx.store.renameFolder(album.id, album.folder, name);
      ctx.deps.reporter.info(
        `Album renamed: "${album.folder}" → "${name}"`,
      );
    }
  }
}
