import * as path from "node:path";
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { isInside } from "../platform/fs.ts";
import {
  albumFolderNames,
  collisionKey,
  sanitizeSegment,
  truncateGraphemes,
  UNSORTED_FOLDER,
  utf8Length,
} from "./folder_names.ts";

const ROOT = path.resolve("/backup/root");
const MAX = 180;

/** Properties every produced name must have. */
function assertSafe(name: string, maxBytes = MAX): void {
  assert(name.length > 0, "empty name");
  assert(utf8Length(name) <= maxBytes, `over ${maxBytes} bytes: ${name}`);
  assert(name !== "." && name !== "..", `dot name: ${name}`);
  assert(!name.startsWith("."), `hidden name: ${name}`);
  assert(!/[<>:"/\\|?*]/.test(name), `reserved char: ${name}`);
  // deno-lint-ignore no-control-regex
  assert(!/[\u0000-\u001f\u007f-\u009f]/.test(name), `control: ${name}`);
  assert(!/[\u202a-\u202e\u2066-\u2069]/.test(name), `bidi: ${name}`);
  assert(!/[. ]$/.test(name), `trailing dot/space: ${JSON.stringify(name)}`);
  assert(!/^ /.test(name), `leading space: ${JSON.stringify(name)}`);
  assert(name === name.normalize("NFC"), `not NFC: ${name}`);
  assert(name.isWellFormed(), `lone surrogate: ${name}`);
  const stem = name.split(".")[0]?.trimEnd() ?? "";
  assert(
    !/^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[1-9¹²³]|LPT[1-9¹²³])$/i.test(stem),
    `device name: ${name}`,
  );
  const full = path.join(ROOT, name);
  assert(isInside(ROOT, full), `escapes root: ${name}`);
  assertEquals(path.dirname(full), ROOT, `not one segment: ${name}`);
  assertEquals(sanitizeSegment(name, "x", maxBytes), name, "not idempotent");
}

const e300Nfc = "é".repeat(300);
const e300Nfd = "e\u0301".repeat(300);
const emoji200 = "😀".repeat(200);

const HOSTILE: [string, string][] = [
  ["../../etc", "_.._.._etc"],
  ["..", "id1"],
  [".", "id1"],
  ["/etc/passwd", "_etc_passwd"],
  ["C:\\Windows\\x", "C__Windows_x"],
  ["a\\..\\..\\b", "a_.._.._b"],
  ["CON", "CON_"],
  ["nul.txt", "nul_.txt"],
  ["Com1.jpg", "Com1_.jpg"],
  ["lpt9", "lpt9_"],
  ["CONIN$", "CONIN$_"],
  ["conout$.log", "conout$_.log"],
  ["COM¹", "COM¹_"],
  ["NUL .txt", "NUL _.txt"],
  ["name. ", "name"],
  ["spam. . .", "spam"],
  ["   ", "id1"],
  ["", "id1"],
  ["...", "id1"],
  ["\u0000x", "x"],
  ["\u202Eevil", "evil"],
  ["a\u2066b\u2069c", "abc"],
  ["tab\there\nnewline", "tabherenewline"],
  ["\u0085next", "next"],
  ["％2e％2e", "％2e％2e"],
  [':*?|<>"', "_______"],
  [".hidden", "_.hidden"],
  ["  leading", "leading"],
  ["Holiday 2019", "Holiday 2019"],
  ["Café", "Café"],
  ["e\u0301", "é"],
  ["\ud800broken", "\ufffdbroken"],
];

Deno.test("sanitizeSegment() handles hostile titles (RELIABILITY §9.2 case 21)", () => {
  for (const [input, expected] of HOSTILE) {
    const got = sanitizeSegment(input, "id1");
    assertEquals(got, expected, `input ${JSON.stringify(input)}`);
    assertSafe(got);
  }
});

Deno.test("sanitizeSegment() truncates long names by bytes on a character boundary", () => {
  const nfc = sanitizeSegment(e300Nfc, "id");
  const nfd = sanitizeSegment(e300Nfd, "id");
  assertEquals(nfc, "é".repeat(90));
  assertEquals(nfd, nfc, "NFC and NFD give the same name");
  const emoji = sanitizeSegment(emoji200, "id");
  assertEquals(emoji, "😀".repeat(45));
  for (const name of [nfc, nfd, emoji]) assertSafe(name);
  // A ZWJ family emoji is never split.
  const family = "👨‍👩‍👧‍👦".repeat(20);
  const cut = sanitizeSegment(family, "id", 40);
  assert(cut.length > 0 && family.startsWith(cut));
  assertEquals(cut, "👨‍👩‍👧‍👦");
  // Truncation that ends on dots or spaces is stripped again.
  const dots = sanitizeSegment("a".repeat(178) + " .bc", "id");
  assertEquals(dots, "a".repeat(178));
});

Deno.test("sanitizeSegment() respects a custom byte budget and rejects tiny ones", () => {
  for (const [input] of HOSTILE) {
    assertSafe(sanitizeSegment(input, "id", 40), 40);
  }
  assertSafe(sanitizeSegment(emoji200, "id", 33), 33);
  assertThrows(() => sanitizeSegment("x", "id", 8), RangeError);
});

Deno.test("truncateGraphemes() falls back to code points for one giant grapheme", () => {
  const zalgo = "a" + "\u0301".repeat(100);
  const cut = truncateGraphemes(zalgo, 11);
  assertEquals(cut, "a" + "\u0301".repeat(5));
  assert(utf8Length(cut) <= 11);
});

Deno.test("albumFolderNames() gives every album a distinct safe folder", () => {
  const albums = HOSTILE.map(([title], i) => ({ id: `7215${i}`, title }))
    .concat([
      { id: "e1", title: e300Nfc },
      { id: "e2", title: e300Nfd },
      { id: "e3", title: emoji200 },
    ]);
  const names = albumFolderNames(albums);
  assertEquals(names.size, albums.length);
  const keys = new Set<string>();
  for (const album of albums) {
    const name = names.get(album.id);
    assert(name !== undefined);
    assertSafe(name);
    keys.add(collisionKey(name));
  }
  assertEquals(keys.size, albums.length, "names collide case-insensitively");
  // 300×é in NFC and NFD are the same title: both get their id.
  assertEquals(names.get("e1"), "é".repeat(90 - 3) + " (e1)");
  assertEquals(names.get("e2"), "é".repeat(90 - 3) + " (e2)");
});

Deno.test("albumFolderNames() suffixes every member of a collision (case 22)", () => {
  const names = albumFolderNames([
    { id: "1", title: "Trip" },
    { id: "2", title: "Trip" },
    { id: "3", title: "trip" },
    { id: "4", title: "Café" },
    { id: "5", title: "Cafe\u0301" },
    { id: "6", title: "Alone" },
    { id: "7", title: "STRASSE" },
    { id: "8", title: "straße" },
  ]);
  assertEquals(Object.fromEntries(names), {
    "1": "Trip (1)",
    "2": "Trip (2)",
    "3": "trip (3)",
    "4": "Café (4)",
    "5": "Café (5)",
    "6": "Alone",
    "7": "STRASSE (7)",
    "8": "straße (8)",
  });
});

Deno.test("albumFolderNames() does not depend on the order of albums", () => {
  const albums = [
    { id: "10", title: "Trip" },
    { id: "11", title: "trip" },
    { id: "12", title: "Trip (10)" },
    { id: "13", title: "Unsorted" },
    { id: "14", title: "unsorted" },
    { id: "15", title: "" },
    { id: "16", title: "15" },
    { id: "17", title: "CON" },
    { id: "18", title: "Summer" },
  ];
  const forward = albumFolderNames(albums);
  const backward = albumFolderNames([...albums].reverse());
  const shuffled = albumFolderNames([
    albums[4]!,
    albums[0]!,
    albums[8]!,
    albums[2]!,
    albums[6]!,
    albums[1]!,
    albums[7]!,
    albums[3]!,
    albums[5]!,
  ]);
  assertEquals(Object.fromEntries(backward), Object.fromEntries(forward));
  assertEquals(Object.fromEntries(shuffled), Object.fromEntries(forward));
  assertEquals(Object.fromEntries(forward), {
    "10": "Trip (10)",
    "11": "trip (11)",
    // Its title looks like album 10's suffixed name, so it gets its own id.
    "12": "Trip (10) (12)",
    "13": "Unsorted (13)",
    "14": "unsorted (14)",
    "15": "15 (15)",
    "16": "15 (16)",
    "17": "CON_",
    "18": "Summer",
  });
  const keys = new Set([...forward.values()].map(collisionKey));
  assertEquals(keys.size, albums.length);
});

Deno.test("albumFolderNames() never takes the Unsorted folder name", () => {
  const names = albumFolderNames([{ id: "99", title: "UNSORTED" }]);
  assertEquals(names.get("99"), "UNSORTED (99)");
  assert(collisionKey(names.get("99")!) !== collisionKey(UNSORTED_FOLDER));
});

Deno.test("albumFolderNames() keeps suffixed names within maxBytes", () => {
  const long = "x".repeat(400);
  const names = albumFolderNames([
    { id: "72157600000000001", title: long },
    { id: "72157600000000002", title: long },
    { id: "72157600000000003", title: emoji200 },
    { id: "72157600000000004", title: emoji200 },
  ], { maxBytes: 64 });
  for (const name of names.values()) assertSafe(name, 64);
  assertEquals(
    names.get("72157600000000001"),
    "x".repeat(64 - 20) + " (72157600000000001)",
  );
  assertEquals(
    names.get("72157600000000003"),
    "😀".repeat(11) + " (72157600000000003)",
  );
});
