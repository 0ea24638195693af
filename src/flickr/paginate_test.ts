import { assertEquals, assertRejects } from "../../tests/assert.ts";
import {
  type ListingVerdict,
  type Page,
  paginate,
  readPage,
} from "./paginate.ts";

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

Deno.test("paginate() does not stop on one empty page before the last", async () => {
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
  let n = 0;
  const requested: number[] = [];
  const endless = (page: number) => {
    requested.push(page);
    return Promise.resolve({ items: ids(String(++n)), pages: 1e9 });
  };
  await collect(paginate(endless, { maxPages: 4 }));
  assertEquals(requested, [1, 2, 3, 4]);
});

Deno.test("paginate() ends on a page that adds nothing new: pages=1000000 of repeats costs 2 calls, not 10,000", async () => {
  const { fetchPage, requested } = list([
    { items: ids("1", "2"), pages: 1_000_000, total: 2_000_000, perPage: 2 },
  ]);
  const verdicts: ListingVerdict[] = [];
  const items = await collect(
    paginate(fetchPage, { onVerdict: (v) => verdicts.push(v) }),
  );
  assertEquals(items.map((i) => i.id), ["1", "2"]);
  assertEquals(requested, [1, 2]);
  assertEquals(verdicts.length, 1);
  assertEquals(verdicts[0]!.complete, false);
  assertEquals(verdicts[0]!.seen, 2);
  assertEquals(verdicts[0]!.declared, 2_000_000);
});

Deno.test("paginate() asks a short page again and ends complete when the re-ask fills it", async () => {
  let firstAsk = true;
  const requested: number[] = [];
  const fetchPage = (page: number) => {
    requested.push(page);
    if (page === 1) {
      const items = firstAsk ? ids("1", "2") : ids("1", "2", "3");
      firstAsk = false;
      return Promise.resolve({ items, pages: 2, total: 5, perPage: 3 });
    }
    return Promise.resolve({ items: ids("4", "5"), pages: 2, total: 5 });
  };
  const verdicts: ListingVerdict[] = [];
  const items = await collect(
    paginate(fetchPage, { onVerdict: (v) => verdicts.push(v) }),
  );
  assertEquals(items.map((i) => i.id).sort(), ["1", "2", "3", "4", "5"]);
  assertEquals(requested, [1, 1, 2]);
  assertEquals(verdicts[0]!.complete, true, verdicts[0]!.reason);
});

Deno.test("paginate() calls a listing incomplete when a page stays short and the union is below total", async () => {
  const requested: number[] = [];
  const fetchPage = (page: number) => {
    requested.push(page);
    return Promise.resolve(
      page === 1
        ? { items: ids("1", "2"), pages: 2, total: 5, perPage: 3 }
        : { items: ids("4", "5"), pages: 2, total: 5, perPage: 3 },
    );
  };
  const verdicts: ListingVerdict[] = [];
  await collect(paginate(fetchPage, { onVerdict: (v) => verdicts.push(v) }));
  // Page 1 asked 3 times (2 re-asks), page 2 once, then one second pass.
  assertEquals(requested, [1, 1, 1, 2, 1, 1, 1, 2]);
  assertEquals(verdicts[0]!.complete, false);
  assertEquals(verdicts[0]!.reason, "Flickr declared 5 but listed 4");
});

Deno.test("paginate() finds an item that shifted past a page boundary with its second pass", async () => {
  // "3" moves from page 2 to page 1 after page 1 was read (a deletion at
  // the top): the first walk misses it, the union is short of total.
  let pass = 0;
  const fetchPage = (page: number) => {
    if (page === 1) pass++;
    const first = pass === 1 ? ids("1", "2") : ids("2", "3");
    const second = pass === 1 ? ids("4") : ids("4");
    return Promise.resolve({
      items: page === 1 ? first : second,
      pages: 2,
      total: 4,
      perPage: 2,
    });
  };
  const verdicts: ListingVerdict[] = [];
  const items = await collect(
    paginate(fetchPage, { onVerdict: (v) => verdicts.push(v) }),
  );
  assertEquals(items.map((i) => i.id).sort(), ["1", "2", "3", "4"]);
  assertEquals(verdicts[0]!.complete, true, verdicts[0]!.reason);
});

Deno.test("paginate() checks the abort signal between pages", async () => {
  const controller = new AbortController();
  const requested: number[] = [];
  const fetchPage = (page: number) => {
    requested.push(page);
    if (page === 2) controller.abort(new Error("SIGTERM"));
    return Promise.resolve({ items: ids(String(page)), pages: 100 });
  };
  await assertRejects(
    () => collect(paginate(fetchPage, { signal: controller.signal })),
    Error,
    "SIGTERM",
  );
  assertEquals(requested, [1, 2]);
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
      { items: [{ id: "1" }], pages: 3, total: 1200, perPage: 500 },
    ],
    [
      { page: "1", pages: "2", total: 600, photo: [] },
      "photo",
      { items: [], pages: 2, total: 600 },
    ],
    [
      { page: 1, pages: 0, perpage: 100, total: "0", photo: [] },
      "photo",
      { items: [], pages: 0, total: 0, perPage: 100 },
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
      { items: [{ id: "a" }, { id: "b" }], pages: 1, total: 2, perPage: 500 },
    ],
  ];
  for (const [container, key, expected] of cases) {
    assertEquals(readPage(container, key), expected, JSON.stringify(container));
  }
});
