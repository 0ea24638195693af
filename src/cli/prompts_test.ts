import { assertEquals } from "../../tests/assert.ts";
import { emptyLine, type LineState, typeChar } from "./prompts.ts";

function type(keys: string[]): LineState {
  return keys.reduce(typeChar, emptyLine());
}

Deno.test("typeChar() builds the answer and finishes on Enter", () => {
  assertEquals(type(["a", "b", "c", "\r"]), {
    text: "abc",
    done: true,
    cancelled: false,
  });
});

Deno.test("typeChar() handles Backspace, ignores control keys, keeps unicode", () => {
  assertEquals(type(["s", "é", "🙂", "\x7f", "\x1b", "x", "\n"]).text, "séx");
});

Deno.test("typeChar() cancels on Ctrl-C and on Ctrl-D with nothing typed", () => {
  assertEquals(type(["a", "\x03"]).cancelled, true);
  assertEquals(type(["\x04"]).cancelled, true);
  assertEquals(type(["a", "\x04"]), {
    text: "a",
    done: true,
    cancelled: false,
  });
});

Deno.test("typeChar() ignores keys after the line is finished", () => {
  assertEquals(type(["a", "\r", "b"]).text, "a");
});
