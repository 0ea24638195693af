import MiniSearch from "minisearch";
import { assertEquals } from "../../tests/assert.ts";
import { SEARCH_OPTIONS } from "./assets.ts";
import { serializeIndex, shardScript } from "./search_index.ts";

const DOCS = [
  {
    id: "101",
    title: `Quotes " and \\ back\u2028slash`,
    text: "Harbour at dawn, harbour at dusk",
    tags: "sea Sea boats",
    thumb: "../th/101.jpg",
    date: "1 May 2020",
  },
  {
    id: "102",
    title: "Café crème",
    text: "",
    tags: "",
    thumb: "",
    date: "date unknown",
  },
  {
    id: "103",
    title: "Boats",
    text: "Zürich, 東京 and boats",
    tags: "boats",
    thumb: "../../Unsorted/103.jpg",
    date: "2020",
  },
];

Deno.test("serializeIndex() gives what JSON.stringify gives MiniSearch's index", () => {
  const index = new MiniSearch({ ...SEARCH_OPTIONS });
  index.addAll(DOCS);
  index.discard("102"); // dirtCount and a gap in the document ids
  assertEquals(
    JSON.parse([...serializeIndex(index)].join("")),
    JSON.parse(JSON.stringify(index)),
  );
});

Deno.test("shardScript() adds an index MiniSearch.loadJS reads and finds photos in", () => {
  const window: { FLICKR_BACKUP_SEARCH?: { options: object; shards: [] } } = {};
  for (const docs of [DOCS.slice(0, 2), DOCS.slice(2)]) {
    new Function("window", [...shardScript(docs)].join(""))(window);
  }
  const data = window.FLICKR_BACKUP_SEARCH!;
  assertEquals(data.options, SEARCH_OPTIONS);
  assertEquals(data.shards.length, 2);
  const [first, second] = data.shards.map((shard) =>
    MiniSearch.loadJS(shard, { ...SEARCH_OPTIONS })
  );
  assertEquals(first!.search("harbour").map((hit) => hit.id), ["101"]);
  assertEquals(first!.search("crème").map((hit) => hit.title), [
    "Café crème",
  ]);
  assertEquals(second!.search("zürich").map((hit) => hit.id), ["103"]);
  assertEquals(first!.search("zürich"), []);
});
