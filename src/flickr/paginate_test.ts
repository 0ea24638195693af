import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { type Page, paginate, readPage } from "./paginate.ts";

interface Item {
  id: string;
}

/** A fake list: `pages[n-1]` answers page n; later pages repeat the last. */
function list(pages: Page<Item>[]) {
  const requested: number[] = [];
  const fetchPage = (page: number) => {
    requested.push(page);
    const answer = pages[Math.min(page, pages.length) - 1];
    return Promise.resolve(answer ?? { items: [], pages: 0 });
  };
  return { fetchPage, requested };
}

const ids = (...values: string[]) => values.map((id) => ({ id }));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

Deno.test("paginate() stops at page >= pages", async () => {
  const { fetchPage, requested } = list([
    { items: ids("1", "2"), pages: 3 },
    { items: ids("3", "4"), pages: 3 },
    { items: ids("5"), pages: 3 },
  ]);
  assertEquals(
    (await collect(paginate(fetchPage))).map((i) => i.id),
    ["1", "2", "3", "4", "5"],
  );
  assertEquals(requested, [1, 2, 3]);
});

Deno.test("paginate() asks once for an empty list with pages 0", async () => {
  const { fetchPage, requested } = list([{ items: [], pages: 0 }]);
  assertEquals(await collect(paginate(fetchPage)), []);
  assertEquals(requested, [1]);
});

Deno.test("paginate() does not stop on an empty page before the last", async () => {
  const { fetchPage, requested } = list([
    { items: ids("1"), pages: 3 },
    { items: [], pages: 3 },
    { items: ids("2"), pages: 3 },
  ]);
  assertEquals((await collect(paginate(fetchPage))).map((i) => i.id), [
    "1",
    "2",
  ]);
  assertEquals(requested, [1, 2, 3]);
});

Deno.test("paginate() yields an item once when the list shifts between pages", async () => {
  const { fetchPage } = list([
    { items: ids("1", "2", "3"), pages: 2 },
    // A photo was added at the top: "3" slides onto page 2.
    { items: ids("3", "4"), pages: 2 },
  ]);
  assertEquals((await collect(paginate(fetchPage))).map((i) => i.id), [
    "1",
    "2",
    "3",
    "4",
  ]);
});

Deno.test("paginate() follows pages as reported by the latest page", async () => {
  const grows = list([
    { items: ids("1"), pages: 1 },
    { items: ids("2"), pages: 2 },
  ]);
  assertEquals((await collect(paginate(grows.fetchPage))).length, 1);
  const shrinks = list([
    { items: ids("1"), pages: 5 },
    { items: ids("2"), pages: 2 },
  ]);
  assertEquals((await collect(paginate(shrinks.fetchPage))).length, 2);
  assertEquals(shrinks.requested, [1, 2]);
});

Deno.test("paginate() is bounded by maxPages even if pages never ends", async () => {
  const { fetchPage, requested } = list([{ items: ids("1"), pages: 1e9 }]);
  await collect(paginate(fetchPage, { maxPages: 4 }));
  assertEquals(requested, [1, 2, 3, 4]);
});

Deno.test("paginate() stops fetching when the consumer stops", async () => {
  const { fetchPage, requested } = list([
    { items: ids("1", "2"), pages: 3 },
    { items: ids("3"), pages: 3 },
    { items: ids("4"), pages: 3 },
  ]);
  for await (const item of paginate(fetchPage)) {
    if (item.id === "1") break;
  }
  assertEquals(requested, [1]);
});

Deno.test("paginate() passes a page error to the consumer", async () => {
  let calls = 0;
  const failing = (page: number) => {
    calls++;
    return page === 2
      ? Promise.reject(new Error("stat fail on page 2"))
      : Promise.resolve({ items: ids(String(page)), pages: 3 });
  };
  await assertRejects(() => collect(paginate(failing)), Error, "page 2");
  assertEquals(calls, 2);
});

Deno.test("readPage() reads Flickr's page shapes (table)", () => {
  const cases: [unknown, string, Page<unknown>][] = [
    [
      { page: 1, pages: 3, perpage: 500, total: "1200", photo: [{ id: "1" }] },
      "photo",
      { items: [{ id: "1" }], pages: 3 },
    ],
    [
      { page: "1", pages: "2", total: 600, photo: [] },
      "photo",
      { items: [], pages: 2 },
    ],
    [
      { page: 1, pages: 0, perpage: 100, total: "0", photo: [] },
      "photo",
      { items: [], pages: 0 },
    ],
    [{ page: 1, pages: 1 }, "photo", { items: [], pages: 1 }], // key missing
    [{ pages: 1, photo: { id: "9" } }, "photo", {
      items: [{ id: "9" }],
      pages: 1,
    }],
    [{ photo: [{ id: "1" }] }, "photo", { items: [{ id: "1" }], pages: 1 }],
    [{ pages: "x", photo: [] }, "photo", { items: [], pages: 1 }],
    [undefined, "photo", { items: [], pages: 1 }],
    [
      {
        cancreate: 1,
        page: 1,
        pages: 1,
        perpage: 500,
        total: 2,
        photoset: [{ id: "a" }, { id: "b" }],
      },
      "photoset",
      { items: [{ id: "a" }, { id: "b" }], pages: 1 },
    ],
  ];
  for (const [container, key, expected] of cases) {
    assertEquals(readPage(container, key), expected, JSON.stringify(container));
  }
});
