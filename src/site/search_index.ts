/**
 * The site's search index files: MiniSearch indexes of a few hundred photos
 * each, written out as they are serialized.
 *
 * `JSON.stringify(index)` first builds MiniSearch's whole plain-object form
 * (`toJSON`: one object per term and field): ~10 MB of short-lived objects
 * for 2,000 photos, which lived long enough to be promoted and piled up in
 * V8's old space. {@link serializeIndex} gives the same JSON a term at a
 * time instead.
 *
 * @module
 */

import MiniSearch from "minisearch";
import { SEARCH_OPTIONS } from "./assets.ts";

/**
 * The fields of a MiniSearch (7.x) index that its own `toJSON` reads (they
 * are private in its types). A test checks {@link serializeIndex} against
 * `JSON.stringify` of the locked version.
 */
interface IndexFields {
  _documentCount: number;
  _nextId: number;
  _documentIds: Map<number, unknown>;
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, number[]>;
  _avgFieldLength: number[];
  _storedFields: Map<number, unknown>;
  _dirtCount: number;
  _index: Iterable<[string, Map<number, Map<number, number>>]>;
}

/** What `JSON.stringify(index)` gives, in pieces (one per term). */
export function* serializeIndex(index: MiniSearch): Generator<string> {
  const fields = index as unknown as IndexFields;
  const object = (map: Map<number, unknown>) =>
    JSON.stringify(Object.fromEntries(map));
  yield `{"documentCount":${JSON.stringify(fields._documentCount)},"nextId":${
    JSON.stringify(fields._nextId)
  },"documentIds":${object(fields._documentIds)},"fieldIds":${
    JSON.stringify(fields._fieldIds)
  },"fieldLength":${object(fields._fieldLength)},"averageFieldLength":${
    JSON.stringify(fields._avgFieldLength)
  },"storedFields":${object(fields._storedFields)},"dirtCount":${
    JSON.stringify(fields._dirtCount)
  },"index":[`;
  let comma = "";
  for (const [term, fieldIndex] of fields._index) {
    let data = "";
    for (const [fieldId, freqs] of fieldIndex) {
      data += `${data ? "," : ""}${JSON.stringify(String(fieldId))}:${
        object(freqs)
      }`;
    }
    yield `${comma}[${JSON.stringify(term)},{${data}}]`;
    comma = ",";
  }
  yield `],"serializationVersion":2}`;
}

/**
 * The text of one index file, in pieces: a classic script (pages opened
 * from `file://` cannot load modules or fetch) that adds its index to
 * `window.FLICKR_BACKUP_SEARCH.shards`, for `MiniSearch.loadJS`.
 */
export function* shardScript(documents: object[]): Generator<string> {
  const index = new MiniSearch({ ...SEARCH_OPTIONS });
  index.addAll(documents);
  yield `(window.FLICKR_BACKUP_SEARCH = window.FLICKR_BACKUP_SEARCH || { options: ${
    JSON.stringify(SEARCH_OPTIONS)
  }, shards: [] }).shards.push(`;
  yield* serializeIndex(index);
  yield ");\n";
}
