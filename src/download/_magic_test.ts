import { assert, assertEquals } from "../../tests/assert.ts";
import {
  chooseExtension,
  type Expectation,
  type FileKind,
  hasJpegEnd,
  looksLikeHtml,
  matchesExpectation,
  sniff,
} from "./_magic.ts";

const enc = new TextEncoder();

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "string") out.push(...enc.encode(part));
    else out.push(...part);
  }
  while (out.length < 64) out.push(0);
  return new Uint8Array(out);
}

const SAMPLES: [string, Uint8Array, FileKind, Expectation[]][] = [
  ["jpeg", bytes([0xff, 0xd8, 0xff, 0xe1]), "jpeg", ["image", "any"]],
  [
    "png",
    bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    "png",
    ["image", "any"],
  ],
  ["gif", bytes("GIF89a"), "gif", ["image", "any"]],
  ["webp", bytes("RIFF", [1, 2, 3, 4], "WEBPVP8 "), "webp", ["image", "any"]],
  ["heic", bytes([0, 0, 0, 0x18], "ftypheic"), "heic", ["image", "any"]],
  ["mif1", bytes([0, 0, 0, 0x18], "ftypmif1"), "heic", ["image", "any"]],
  ["avif", bytes([0, 0, 0, 0x18], "ftypavif"), "other", ["image", "any"]],
  ["tiff le", bytes([0x49, 0x49, 0x2a, 0]), "tiff", ["image", "any"]],
  ["tiff be", bytes([0x4d, 0x4d, 0, 0x2a]), "tiff", ["image", "any"]],
  ["mp4", bytes([0, 0, 0, 0x20], "ftypisom"), "mp4", ["video", "any"]],
  ["m4v", bytes([0, 0, 0, 0x20], "ftypM4V "), "mp4", ["video", "any"]],
  ["mov ftyp", bytes([0, 0, 0, 0x14], "ftypqt  "), "mov", ["video", "any"]],
  ["mov moov", bytes([0, 0, 0, 0x14], "moov"), "mov", ["video", "any"]],
  ["mov wide", bytes([0, 0, 0, 0x08], "wide"), "mov", ["video", "any"]],
  ["mov mdat", bytes([0, 0, 0, 0x08], "mdat"), "mov", ["video", "any"]],
  ["avi", bytes("RIFF", [1, 2, 3, 4], "AVI LIST"), "avi", ["video", "any"]],
  [
    "wmv",
    bytes([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11]),
    "other",
    ["video", "any"],
  ],
  ["mkv", bytes([0x1a, 0x45, 0xdf, 0xa3]), "other", ["video", "any"]],
  ["mpeg-ps", bytes([0, 0, 1, 0xba]), "other", ["video", "any"]],
  ["ogg", bytes("OggS"), "other", ["video", "any"]],
  ["text", bytes("hello world"), "other", ["any"]],
];

Deno.test("sniff() and matchesExpectation() recognise images and videos", () => {
  for (const [label, head, kind, accepted] of SAMPLES) {
    const sniffed = sniff(head);
    assertEquals(sniffed.kind, kind, label);
    for (const expect of ["image", "video", "any"] as const) {
      assertEquals(
        matchesExpectation(sniffed, expect),
        accepted.includes(expect),
        `${label} as ${expect}`,
      );
    }
  }
});

Deno.test("looksLikeHtml() spots HTML pages, with BOM and whitespace", () => {
  for (
    const text of [
      "<!DOCTYPE html><html>",
      "<!doctype HTML>",
      "<html><body>429</body></html>",
      "\ufeff  \n<HTML>",
      "\r\n<head><title>x</title>",
      "<body>",
    ]
  ) {
    assert(looksLikeHtml(enc.encode(text)), text);
  }
  for (const text of ["GIF89a", "<svg", "html", ""]) {
    assert(!looksLikeHtml(enc.encode(text)), text);
  }
});

Deno.test("hasJpegEnd() finds FFD9 anywhere in the tail", () => {
  assert(hasJpegEnd(new Uint8Array([1, 2, 0xff, 0xd9])));
  assert(
    hasJpegEnd(new Uint8Array([0xff, 0xd9, 9, 9, 9])),
    "trailer after EOI",
  );
  assert(!hasJpegEnd(new Uint8Array([1, 2, 0xff, 0xd8, 0xd9])));
  assert(!hasJpegEnd(new Uint8Array([0xff])));
});

Deno.test("chooseExtension() keeps agreeing extensions and fixes wrong ones", () => {
  assertEquals(chooseExtension("jpg", "jpeg"), "jpg");
  assertEquals(chooseExtension("jpeg", "jpeg"), "jpeg");
  assertEquals(chooseExtension("jpg", "png"), "png");
  assertEquals(chooseExtension(undefined, "jpeg"), "jpg");
  assertEquals(chooseExtension("mov", "mov"), "mov");
  assertEquals(chooseExtension("3gp", "mp4"), "3gp");
  assertEquals(chooseExtension("wmv", "other"), "wmv");
  assertEquals(chooseExtension(undefined, "other"), undefined);
  assertEquals(chooseExtension("jpg", "mp4"), "mp4");
});
