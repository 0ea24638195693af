/**
 * The terminal seam: where the CLI writes and whether a human is there.
 *
 * @module
 */

/** What `askSecret` needs of the line being typed. */
export interface TypedLine {
  text: string;
  done: boolean;
  cancelled: boolean;
}

/** Output streams and TTY facts of the process. */
export interface Terminal {
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** True when stdin is a terminal (prompts are allowed). */
  stdinIsTty: boolean;
  /** True when stderr is a terminal (a progress bar is allowed). */
  stderrIsTty: boolean;
  /** Reads one line from stdin (for scripted input), or undefined at EOF. */
  readLine(): Promise<string | undefined>;
}

const encoder = new TextEncoder();

/**
 * Asks for a line on the terminal, showing `defaultValue`; empty input
 * takes the default. Undefined when stdin ends or the user cancels.
 */
export function askLine(
  message: string,
  defaultValue?: string,
): Promise<string | undefined> {
  const suffix = defaultValue ? ` (${defaultValue})` : "";
  const answer = prompt(`${message}${suffix}`);
  if (answer === null) return Promise.resolve(undefined);
  return Promise.resolve(answer.trim() || defaultValue || "");
}

/**
 * Asks for a secret with echo off (raw mode), one character at a time
 * through `typeChar`. Undefined when the user cancels (Ctrl-C / Ctrl-D).
 */
export async function askSecret<S extends TypedLine>(
  message: string,
  typeChar: (state: S, char: string) => S,
  start: S,
): Promise<string | undefined> {
  writeAll(Deno.stdout, `${message} `);
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64);
  let state = start;
  Deno.stdin.setRaw(true);
  try {
    while (!state.done && !state.cancelled) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (
        const char of decoder.decode(buffer.subarray(0, n), { stream: true })
      ) {
        state = typeChar(state, char);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    writeAll(Deno.stdout, "\n");
  }
  return state.done ? state.text : undefined;
}

/** The process's real terminal. */
export function systemTerminal(): Terminal {
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
    stdinIsTty: Deno.stdin.isTerminal(),
    stderrIsTty: Deno.stderr.isTerminal(),
    readLine: () => readStdinLine(),
  };
}

function writeAll(
  stream: { writeSync(data: Uint8Array): number },
  text: string,
): void {
  let data = encoder.encode(text);
  while (data.length > 0) data = data.subarray(stream.writeSync(data));
}

async function readStdinLine(): Promise<string | undefined> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1);
  let line = "";
  let sawAny = false;
  // Byte by byte so nothing after the first line is consumed.
  while (true) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) break;
    sawAny = true;
    const char = decoder.decode(buffer.subarray(0, n), { stream: true });
    if (char === "\n") return line.replace(/\r$/, "");
    line += char;
  }
  return sawAny ? line : undefined;
}
