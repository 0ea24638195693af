/**
 * A small XML reader ({@link parseXml}): enough to find elements,
 * attributes and their exact positions, with namespaces. It rejects DTDs (no
 * entity expansion) and any tag mismatch.
 *
 * Pure: a string in, elements out.
 *
 * @module
 */

export interface XmlAttr {
  name: string;
  value: string;
  /** Start of the whitespace before the attribute. */
  leadStart: number;
  end: number;
}

export interface XmlElement {
  name: string;
  attrs: XmlAttr[];
  start: number;
  /** Offset just past the start tag's ">". */
  startTagEnd: number;
  /** Offset of the end tag's "<" (equals end for an empty element). */
  endTagStart: number;
  end: number;
  children: XmlElement[];
  ns: Map<string, string>;
}

/** XML the merge cannot handle. */
export class XmpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmpParseError";
  }
}

/**
 * Parses `text` into its root elements. Long (about 90 lines) because it is
 * one scanning loop, one branch per kind of markup.
 */
export function parseXml(text: string): XmlElement[] {
  const roots: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let pos = 0;
  const fail = (what: string): never => {
    throw new XmpParseError(`${what} at offset ${pos}`);
  };
  while (pos < text.length) {
    const lt = text.indexOf("<", pos);
    if (lt < 0) break;
    pos = lt;
    if (text.startsWith("<?", pos)) {
      const end = text.indexOf("?>", pos + 2);
      if (end < 0) fail("unterminated processing instruction");
      pos = end + 2;
    } else if (text.startsWith("<!--", pos)) {
      const end = text.indexOf("-->", pos + 4);
      if (end < 0) fail("unterminated comment");
      pos = end + 3;
    } else if (text.startsWith("<![CDATA[", pos)) {
      const end = text.indexOf("]]>", pos + 9);
      if (end < 0) fail("unterminated CDATA section");
      pos = end + 3;
    } else if (text.startsWith("<!", pos)) {
      fail("DTD or declaration");
    } else if (text.startsWith("</", pos)) {
      const close = /^<\/([^\s>]+)\s*>/.exec(text.slice(pos, pos + 400));
      if (!close) fail("bad end tag");
      const open = stack.pop();
      if (!open || open.name !== close![1]) fail("mismatched end tag");
      open!.endTagStart = pos;
      pos += close![0].length;
      open!.end = pos;
    } else {
      const nameMatch = /^<([^\s/>=]+)/.exec(text.slice(pos, pos + 400));
      if (!nameMatch) fail("bad start tag");
      const element: XmlElement = {
        name: nameMatch![1]!,
        attrs: [],
        start: pos,
        startTagEnd: 0,
        endTagStart: 0,
        end: 0,
        children: [],
        ns: new Map(
          stack.at(-1)?.ns ?? [["xml", "http://www.w3.org/XML/1998/namespace"]],
        ),
      };
      pos += nameMatch![0].length;
      const attrPattern = /\s+([^\s/>=]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;
      let selfClosing = false;
      while (true) {
        attrPattern.lastIndex = pos;
        const attr = attrPattern.exec(text);
        if (attr) {
          element.attrs.push({
            name: attr[1]!,
            value: attr[3] ?? attr[4] ?? "",
            leadStart: pos,
            end: attrPattern.lastIndex,
          });
          pos = attrPattern.lastIndex;
          continue;
        }
        const tail = /\s*(\/?)>/y;
        tail.lastIndex = pos;
        const closing = tail.exec(text);
        if (!closing) fail("bad attribute");
        selfClosing = closing![1] === "/";
        pos = tail.lastIndex;
        break;
      }
      element.startTagEnd = pos;
      for (const attr of element.attrs) {
        if (attr.name === "xmlns") element.ns.set("", attr.value);
        else if (attr.name.startsWith("xmlns:")) {
          element.ns.set(attr.name.slice(6), attr.value);
        }
      }
      const parent = stack.at(-1);
      (parent ? parent.children : roots).push(element);
      if (selfClosing) {
        element.endTagStart = pos;
        element.end = pos;
      } else {
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) fail("unclosed element");
  return roots;
}

export function resolve(element: XmlElement, qname: string): [string, string] {
  const colon = qname.indexOf(":");
  const prefix = colon < 0 ? "" : qname.slice(0, colon);
  const local = colon < 0 ? qname : qname.slice(colon + 1);
  return [element.ns.get(prefix) ?? "", local];
}

export function resolveAttr(
  element: XmlElement,
  qname: string,
): [string, string] {
  // Unprefixed attributes have no namespace.
  return qname.includes(":") ? resolve(element, qname) : ["", qname];
}

export function* walk(elements: XmlElement[]): Generator<XmlElement> {
  for (const element of elements) {
    yield element;
    yield* walk(element.children);
  }
}
