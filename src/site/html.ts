/**
 * HTML for pages built from untrusted strings: escaping, and the safe subset
 * of a Flickr description (titles and descriptions are user-controlled HTML).
 *
 * @module
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A relative URL for a path with "/" separators (each part encoded). */
export function urlPath(path: string): string {
  return path.split("/").map((part) => encodeURIComponent(part)).join("/");
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

/** Decodes the common entities (text is escaped again when written). */
export function decodeEntities(text: string): string {
  return text.replace(
    /&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi,
    (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X"
          ? parseInt(name.slice(2), 16)
          : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff &&
            !(code >= 0xd800 && code <= 0xdfff)
          ? String.fromCodePoint(code)
          : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    },
  );
}

/** Formatting a description may keep (without attributes, except a href). */
const KEPT = new Set([
  "a",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "s",
  "strike",
  "blockquote",
  "code",
  "pre",
]);
/** Elements dropped together with everything inside them. */
const DROPPED_WITH_CONTENT = new Set([
  "script",
  "style",
  "iframe",
  "object",
  "embed",
  "noscript",
  "template",
  "svg",
  "math",
  "textarea",
  "title",
  "head",
]);

const BARE_URL = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Text with line breaks as <br> and bare web addresses as links. */
function textToHtml(text: string, linkify: boolean): string {
  let out = "";
  let last = 0;
  if (linkify) {
    for (const match of text.matchAll(BARE_URL)) {
      out += esc(text.slice(last, match.index)).replace(/\r?\n/g, "<br>\n");
      const href = safeLink(match[0]);
      out += href
        ? `<a href="${esc(href)}" rel="nofollow noopener noreferrer">${
          esc(match[0])
        }</a>`
        : esc(match[0]);
      last = match.index + match[0].length;
    }
  }
  return out + esc(text.slice(last)).replace(/\r?\n/g, "<br>\n");
}

/** A link target allowed in a description: web and mail addresses only. */
export function safeLink(href: string): string {
  const value = decodeEntities(href).trim();
  try {
    const url = new URL(value);
    if (["http:", "https:", "mailto:"].includes(url.protocol)) return url.href;
  } catch {
    // not an absolute URL: Flickr-relative links make no sense offline
  }
  return "";
}

/**
 * The safe subset of a description: text (entities decoded, escaped again),
 * line breaks, a few formatting elements without attributes, and links to
 * http(s)/mailto addresses. Every other tag is dropped (its text kept),
 * script-like elements with their content; open elements are closed.
 */
export function sanitizeDescription(input: string): string {
  const tokens =
    /<!--[\s\S]*?(?:-->|$)|<\/?([a-zA-Z][a-zA-Z0-9]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  const open: string[] = [];
  let out = "";
  let last = 0;
  let skipUntil = "";
  const inLink = () => open.includes("a");
  for (const match of input.matchAll(tokens)) {
    const text = input.slice(last, match.index);
    last = match.index + match[0].length;
    if (!skipUntil) out += textToHtml(decodeEntities(text), !inLink());
    const name = (match[1] ?? "").toLowerCase();
    if (!name) continue; // a comment
    const closing = match[0][1] === "/";
    if (skipUntil) {
      if (closing && name === skipUntil) skipUntil = "";
      continue;
    }
    if (DROPPED_WITH_CONTENT.has(name)) {
      if (!closing && !/\/\s*$/.test(match[2] ?? "")) skipUntil = name;
      continue;
    }
    if (name === "br") {
      out += "<br>";
      continue;
    }
    if (name === "p" || name === "div") {
      if (closing) out += "<br>";
      continue;
    }
    if (!KEPT.has(name)) continue;
    if (closing) {
      const at = open.lastIndexOf(name);
      if (at < 0) continue;
      while (open.length > at) out += `</${open.pop()}>`;
      continue;
    }
    if (name === "a") {
      if (inLink()) continue;
      const href = /\bhref\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(
        match[2] ?? "",
      );
      const target = safeLink(href?.[2] ?? href?.[3] ?? href?.[4] ?? "");
      out += target
        ? `<a href="${esc(target)}" rel="nofollow noopener noreferrer">`
        : "<a>";
    } else out += `<${name}>`;
    open.push(name);
  }
  if (!skipUntil) {
    out += textToHtml(decodeEntities(input.slice(last)), !inLink());
  }
  while (open.length) out += `</${open.pop()}>`;
  return out;
}

/** Plain text of a description (for search and alt text). */
export function descriptionText(input: string): string {
  return decodeEntities(
    input.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ").replace(
      /<[^>]*>/g,
      " ",
    ),
  ).replace(/\s+/g, " ").trim();
}
