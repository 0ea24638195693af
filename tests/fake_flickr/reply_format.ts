/**
 * Encodes REST replies as Flickr does: JSON, JSONP (`jsonFlickrApi(...)`)
 * or XML (the default `format=rest`), following DOC-JSON in reverse.
 *
 * @module
 */

/**
 * Encodes a reply object as Flickr does for `format`: JSON (optionally
 * JSONP), or XML (`rest`, the default). Returns body and Content-Type.
 */
export function encodeReply(
  format: "json" | "jsonp" | "xml",
  body: Record<string, unknown>,
  callback = "jsonFlickrApi",
): { text: string; contentType: string } {
  if (format === "xml") {
    return { text: toXml(body), contentType: "text/xml; charset=utf-8" };
  }
  const json = JSON.stringify(body);
  if (format === "jsonp") {
    return {
      text: `${callback}(${json})`,
      contentType: "text/javascript; charset=utf-8",
    };
  }
  return {
    text: json,
    contentType: body.stat === "ok"
      ? "application/json; charset=utf-8"
      : "text/plain; charset=utf-8",
  };
}

function xmlEscape(v: string): string {
  return v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((v) => xmlElement(name, v)).join("");
  }
  if (value === null || typeof value !== "object") {
    return `<${name}>${xmlEscape(String(value ?? ""))}</${name}>`;
  }
  let attrs = "";
  let children = "";
  let text = "";
  for (const [k, v] of Object.entries(value)) {
    if (k === "_content") text = xmlEscape(String(v));
    else if (v !== null && typeof v === "object") children += xmlElement(k, v);
    else attrs += ` ${k}="${xmlEscape(String(v ?? ""))}"`;
  }
  return text || children
    ? `<${name}${attrs}>${text}${children}</${name}>`
    : `<${name}${attrs} />`;
}

/** DOC-JSON in reverse: the XML form of a reply. */
function toXml(body: Record<string, unknown>): string {
  const head = '<?xml version="1.0" encoding="utf-8" ?>\n';
  if (body.stat === "fail") {
    return `${head}<rsp stat="fail">\n\t<err code="${body.code}" msg="${
      xmlEscape(String(body.message))
    }" />\n</rsp>\n`;
  }
  let inner = "";
  for (const [k, v] of Object.entries(body)) {
    if (k !== "stat") inner += xmlElement(k, v);
  }
  return `${head}<rsp stat="ok">\n${inner}\n</rsp>\n`;
}
