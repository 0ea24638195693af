/**
 * Terminal prompts as pure state: what a key press does to the answer being
 * typed. The terminal adapter (`src/platform/terminal.ts`) feeds it bytes.
 *
 * Why not @inquirer/prompts: under Node compatibility it reads a dozen
 * environment variables (TERM, NODE_DISABLE_COLORS, CI, …) on a terminal,
 * and the release binary only grants a short `--allow-env` list, so it
 * crashed with NotCapable exactly when a person was there to see it.
 *
 * @module
 */

/** State of a line being typed. */
export interface LineState {
  text: string;
  done: boolean;
  cancelled: boolean;
}

/** A fresh, empty line. */
export function emptyLine(): LineState {
  return { text: "", done: false, cancelled: false };
}

/**
 * Applies one input character: Enter finishes, Backspace deletes the last
 * character, Ctrl-C cancels, Ctrl-D finishes (or cancels when empty), other
 * control characters are ignored, anything else is appended.
 */
export function typeChar(state: LineState, char: string): LineState {
  if (state.done || state.cancelled) return state;
  switch (char) {
    case "\r":
    case "\n":
      return { ...state, done: true };
    case "\x7f":
    case "\b":
      return { ...state, text: [...state.text].slice(0, -1).join("") };
    case "\x03":
      return { ...state, cancelled: true };
    case "\x04":
      return state.text
        ? { ...state, done: true }
        : { ...state, cancelled: true };
  }
  if (char < " ") return state;
  return { ...state, text: state.text + char };
}
