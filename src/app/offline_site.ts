/**
 * The offline site of a backup (`index.html` + `.flickr_site/`), as a use
 * case: the albums come from the state, everything else from the sidecars.
 *
 * @module
 */

import { join } from "node:path";
import type { Clock } from "../platform/clock.ts";
import { acquireLock } from "../platform/lock.ts";
import { readAlbumIndex } from "../state/album_index.ts";
import { STATE_FILE } from "../state/state_store.ts";
import { generateSite, type SiteResult } from "../site/generate_site.ts";

export type { SiteResult };

/**
 * Writes or refreshes the site; call it under the run lock (after a backup
 * or import run, which holds it).
 *
 * @param generator The program's version: a new version rewrites the pages.
 */
export async function refreshOfflineSite(
  root: string,
  generator: string,
): Promise<SiteResult> {
  const state = readAlbumIndex(join(root, STATE_FILE));
  return await generateSite(root, { generator, state });
}

/** {@link refreshOfflineSite} under the folder's run lock (`site` command). */
export async function writeOfflineSite(
  root: string,
  options: { clock: Clock; generator: string },
): Promise<SiteResult> {
  await using _lock = await acquireLock(root, { clock: options.clock });
  return await refreshOfflineSite(root, options.generator);
}
