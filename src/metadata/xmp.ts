/**
 * XMP packets: building ours and merging it into an existing packet.
 *
 * Our properties live in one `rdf:Description` that declares the
 * flickr-backup namespace ({@link FLICKR_BACKUP_NS}); that declaration is how
 * a later run finds and replaces it.
 *
 * Merge rule for a packet written by someone else (camera, phone, Lightroom):
 * every other property is kept byte for byte (motion-photo and depth-map
 * descriptors live here), each property we are about to write is removed from
 * the other descriptions (XMP allows one value per property; ExifTool flags
 * duplicates), and our description is added at the end of `rdf:RDF`. A packet
 * that does not parse as plain XML, or has an unusual RDF shape, is not
 * touched at all: the caller keeps it and reports a warning.
 *
 * Size rule for JPEG (one APP1 segment, {@link MAX_JPEG_XMP_PACKET_BYTES}):
 * the packet's trailing padding goes first, then the description is cut on a
 * UTF-8 boundary with {@link TRUNCATION_MARKER}; the JSON and XMP sidecars
 * keep the full text. If it still does not fit, XMP is not written.
 *
 * Pure: strings in, strings out.
 *
 * @module
 */

import { utf8 } from "./_bytes.ts";
import { type PreparedFields, TRUNCATION_MARKER } from "./fields.ts";

/** Namespace that marks flickr-backup's own rdf:Description. */
export const FLICKR_BACKUP_NS = "http://ns.flickr-backup.invalid/xmp/1.0/";
/** Largest XMP packet stored in one JPEG APP1 segment (Adobe XMP Part 3). */
export const MAX_JPEG_XMP_PACKET_BYTES = 65502;

const NS = {
  x: "adobe:ns:meta/",
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  dc: "http://purl.org/dc/elements/1.1/",
  photoshop: "http://ns.adobe.com/photoshop/1.0/",
  xmp: "http://ns.adobe.com/xap/1.0/",
  exif: "http://ns.adobe.com/exif/1.0/",
  flickrbackup: FLICKR_BACKUP_NS,
} as const;

/** Escapes text for XML content and double-quoted attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"\r]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      default:
        // A raw CR would be normalised to LF by every XML parser.
        return "&#xD;";
    }
  });
}

/** Formats a coordinate the XMP way: "DDD,MM.mmmmmmK" (K is N/S or E/W). */
export function formatXmpCoordinate(
  value: number,
  axis: "latitude" | "longitude",
): string {
  const abs = Math.abs(value);
  let degrees = Math.floor(abs);
  let minutes = Number(((abs - degrees) * 60).toFixed(6));
  if (minutes >= 60) {
    degrees += 1;
    minutes -= 60;
  }
  const ref = axis === "latitude"
    ? (value < 0 ? "S" : "N")
    : (value < 0 ? "W" : "E");
  return `${degrees},${minutes.toFixed(6)}${ref}`;
}

/** The values that go into our rdf:Description. */
export interface XmpFields {
  /** dc:title (x-default). */
  title?: string;
  /** dc:description (x-default). */
  description?: string;
  /** dc:subject. */
  tags: string[];
  /** dc:creator. */
  creator?: string;
  /** dc:rights (x-default). */
  rights?: string;
  /** photoshop:DateCreated and xmp:CreateDate, XMP date form. */
  date?: string;
  /** exif:GPSLatitude / exif:GPSLongitude. */
  gps?: { latitude: number; longitude: number };
  /**
   * exif:DateTimeOriginal, XMP date form: set by the merge when the packet
   * already holds one, so that copy tells the same date.
   */
  dateTimeOriginal?: string;
  /** flickrbackup:PhotoPage. */
  flickrUrl?: string;
}

/** Maps prepared fields to XMP fields. */
export function xmpFieldsFrom(fields: PreparedFields): XmpFields {
  const out: XmpFields = { tags: fields.tags };
  if (fields.title !== undefined) out.title = fields.title;
  if (fields.description !== undefined) out.description = fields.description;
  if (fields.creator !== undefined) out.creator = fields.creator;
  if (fields.rights !== undefined) out.rights = fields.rights;
  if (fields.date.xmpDate !== undefined) out.date = fields.date.xmpDate;
  if (fields.gps) out.gps = fields.gps;
  if (fields.flickrUrl !== undefined) out.flickrUrl = fields.flickrUrl;
  return out;
}

/** The properties (namespace, local name) we are writing for `fields`. */
function ownedProperties(fields: XmpFields): Array<[string, string]> {
  const owned: Array<[string, string]> = [];
  if (fields.title !== undefined) owned.push([NS.dc, "title"]);
  if (fields.description !== undefined) owned.push([NS.dc, "description"]);
  if (fields.tags.length > 0) owned.push([NS.dc, "subject"]);
  if (fields.creator !== undefined) owned.push([NS.dc, "creator"]);
  if (fields.rights !== undefined) owned.push([NS.dc, "rights"]);
  if (fields.date !== undefined) {
    owned.push([NS.photoshop, "DateCreated"], [NS.xmp, "CreateDate"]);
  }
  if (fields.gps) {
    owned.push([NS.exif, "GPSLatitude"], [NS.exif, "GPSLongitude"]);
  }
  if (fields.dateTimeOriginal !== undefined) {
    owned.push([NS.exif, "DateTimeOriginal"]);
  }
  return owned;
}

function hasProperties(fields: XmpFields): boolean {
  return ownedProperties(fields).length > 0 || fields.flickrUrl !== undefined;
}

/**
 * Builds our rdf:Description. `about` is the rdf:about value of the packet's
 * other descriptions (already escaped); `declareRdf` adds an rdf namespace
 * declaration when the enclosing packet binds "rdf" to something else.
 */
export function buildDescription(
  fields: XmpFields,
  about = "",
  declareRdf = false,
): string {
  const used = new Set<keyof typeof NS>(["flickrbackup"]);
  const body: string[] = [];
  const alt = (name: string, value: string) =>
    body.push(
      `   <${name}>`,
      "    <rdf:Alt>",
      `     <rdf:li xml:lang="x-default">${escapeXml(value)}</rdf:li>`,
      "    </rdf:Alt>",
      `   </${name}>`,
    );
  if (fields.title !== undefined) {
    used.add("dc");
    alt("dc:title", fields.title);
  }
  if (fields.description !== undefined) {
    used.add("dc");
    alt("dc:description", fields.description);
  }
  if (fields.tags.length > 0) {
    used.add("dc");
    body.push("   <dc:subject>", "    <rdf:Bag>");
    for (const tag of fields.tags) {
      body.push(`     <rdf:li>${escapeXml(tag)}</rdf:li>`);
    }
    body.push("    </rdf:Bag>", "   </dc:subject>");
  }
  if (fields.creator !== undefined) {
    used.add("dc");
    body.push(
      "   <dc:creator>",
      "    <rdf:Seq>",
      `     <rdf:li>${escapeXml(fields.creator)}</rdf:li>`,
      "    </rdf:Seq>",
      "   </dc:creator>",
    );
  }
  if (fields.rights !== undefined) {
    used.add("dc");
    alt("dc:rights", fields.rights);
  }
  if (fields.date !== undefined) {
    used.add("photoshop").add("xmp");
    body.push(
      `   <photoshop:DateCreated>${fields.date}</photoshop:DateCreated>`,
      `   <xmp:CreateDate>${fields.date}</xmp:CreateDate>`,
    );
  }
  if (fields.gps) {
    used.add("exif");
    body.push(
      `   <exif:GPSLatitude>${
        formatXmpCoordinate(fields.gps.latitude, "latitude")
      }</exif:GPSLatitude>`,
      `   <exif:GPSLongitude>${
        formatXmpCoordinate(fields.gps.longitude, "longitude")
      }</exif:GPSLongitude>`,
    );
  }
  if (fields.dateTimeOriginal !== undefined) {
    used.add("exif");
    body.push(
      `   <exif:DateTimeOriginal>${fields.dateTimeOriginal}</exif:DateTimeOriginal>`,
    );
  }
  if (fields.flickrUrl !== undefined) {
    body.push(
      `   <flickrbackup:PhotoPage>${
        escapeXml(fields.flickrUrl)
      }</flickrbackup:PhotoPage>`,
    );
  }
  const order: Array<keyof typeof NS> = [
    "rdf",
    "flickrbackup",
    "dc",
    "photoshop",
    "xmp",
    "exif",
  ];
  if (declareRdf) used.add("rdf");
  const declarations = order.filter((prefix) => used.has(prefix)).map((
    prefix,
  ) => `\n    xmlns:${prefix}="${NS[prefix]}"`).join("");
  return `<rdf:Description rdf:about="${about}"${declarations}>\n` +
    body.join("\n") + (body.length > 0 ? "\n" : "") + "  </rdf:Description>";
}

const PACKET_HEAD =
  '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
  `<x:xmpmeta xmlns:x="${NS.x}" x:xmptk="flickr-backup">\n` +
  ` <rdf:RDF xmlns:rdf="${NS.rdf}">\n </rdf:RDF>\n</x:xmpmeta>\n`;
const PACKET_TAIL = '<?xpacket end="w"?>';

/** An empty packet, the starting point when a file has no XMP. */
export const EMPTY_PACKET = PACKET_HEAD + PACKET_TAIL;

// ---------------------------------------------------------------------------
// A small XML reader: enough to find elements, attributes and their exact
// positions, with namespaces. It rejects DTDs (no entity expansion) and any
// tag mismatch.

interface XmlAttr {
  name: string;
  value: string;
  /** Start of the whitespace before the attribute. */
  leadStart: number;
  end: number;
}

interface XmlElement {
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

function parseXml(text: string): XmlElement[] {
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

function resolve(element: XmlElement, qname: string): [string, string] {
  const colon = qname.indexOf(":");
  const prefix = colon < 0 ? "" : qname.slice(0, colon);
  const local = colon < 0 ? qname : qname.slice(colon + 1);
  return [element.ns.get(prefix) ?? "", local];
}

function resolveAttr(element: XmlElement, qname: string): [string, string] {
  // Unprefixed attributes have no namespace.
  return qname.includes(":") ? resolve(element, qname) : ["", qname];
}

function* walk(elements: XmlElement[]): Generator<XmlElement> {
  for (const element of elements) {
    yield element;
    yield* walk(element.children);
  }
}

interface RdfShape {
  rdf: XmlElement;
  descriptions: XmlElement[];
}

function rdfShape(text: string): RdfShape {
  const roots = parseXml(text);
  const rdfs = [...walk(roots)].filter((e) => {
    const [uri, local] = resolve(e, e.name);
    return uri === NS.rdf && local === "RDF";
  });
  if (rdfs.length !== 1) {
    throw new XmpParseError(
      `expected one rdf:RDF element, found ${rdfs.length}`,
    );
  }
  const rdf = rdfs[0]!;
  if (rdf.end === rdf.startTagEnd) throw new XmpParseError("empty rdf:RDF");
  for (const child of rdf.children) {
    const [uri, local] = resolve(child, child.name);
    if (uri !== NS.rdf || local !== "Description") {
      throw new XmpParseError(`unsupported RDF node <${child.name}>`);
    }
  }
  return { rdf, descriptions: rdf.children };
}

function isOurs(description: XmlElement): boolean {
  return description.attrs.some((a) =>
    (a.name === "xmlns" || a.name.startsWith("xmlns:")) &&
    a.value === FLICKR_BACKUP_NS
  );
}

/** Start of the run of whitespace that ends at `pos`. */
function whitespaceStart(text: string, pos: number): number {
  let at = pos;
  while (at > 0 && /\s/.test(text[at - 1]!)) at--;
  return at;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

/**
 * Merges our description for `fields` into `packet` (see the module doc for
 * the rule). Throws {@link XmpParseError} when the packet cannot be merged
 * safely. The result is the same for the same inputs, and merging twice gives
 * the same packet as merging once.
 */
export function mergeXmpPacket(packet: string, fields: XmpFields): string {
  const shape = rdfShape(packet);
  // A camera's exif:DateTimeOriginal must tell the same date as the rest:
  // when the packet has one (ours included, on a rerun), we write it too.
  const isDto = (uri: string, local: string) =>
    uri === NS.exif && local === "DateTimeOriginal";
  const hasDto = fields.date !== undefined &&
    shape.descriptions.some((d) =>
      d.attrs.some((a) => isDto(...resolveAttr(d, a.name))) ||
      d.children.some((c) => isDto(...resolve(c, c.name)))
    );
  const withDto: XmpFields = hasDto
    ? { ...fields, dateTimeOriginal: fields.date! }
    : fields;
  const owned = ownedProperties(withDto);
  const isOwned = (uri: string, local: string) =>
    owned.some(([u, l]) => u === uri && l === local);

  // Phase 1: remove our old description and the properties we now own.
  const edits: Edit[] = [];
  let about: string | undefined;
  for (const description of shape.descriptions) {
    if (isOurs(description)) {
      edits.push({
        start: whitespaceStart(packet, description.start),
        end: description.end,
        text: "",
      });
      continue;
    }
    about ??= description.attrs.find((a) => {
      const [uri, local] = resolveAttr(description, a.name);
      // Old writers put an unprefixed about=, which readers take as
      // rdf:about.
      return (uri === NS.rdf && local === "about") || a.name === "about";
    })?.value;
    for (const attr of description.attrs) {
      const [uri, local] = resolveAttr(description, attr.name);
      if (isOwned(uri, local)) {
        edits.push({ start: attr.leadStart, end: attr.end, text: "" });
      }
    }
    for (const property of description.children) {
      const [uri, local] = resolve(property, property.name);
      if (isOwned(uri, local)) {
        edits.push({
          start: whitespaceStart(packet, property.start),
          end: property.end,
          text: "",
        });
      }
    }
  }
  const stripped = applyEdits(packet, edits);
  if (!hasProperties(withDto)) return stripped;

  // Phase 2: add ours as the last child of rdf:RDF.
  const { rdf } = rdfShape(stripped);
  const insertAt = whitespaceStart(stripped, rdf.endTagStart);
  const declareRdf = rdf.ns.get("rdf") !== NS.rdf;
  const ours = buildDescription(withDto, about ?? "", declareRdf);
  return stripped.slice(0, insertAt) + "\n  " + ours +
    stripped.slice(insertAt);
}

/** Builds a fresh packet holding only our description. */
export function buildXmpPacket(fields: XmpFields): string {
  return mergeXmpPacket(EMPTY_PACKET, fields);
}

/** Removes the padding whitespace before `<?xpacket end=...?>`. */
function stripPadding(packet: string): string {
  const end = packet.lastIndexOf("<?xpacket end=");
  if (end < 0) return packet;
  const start = whitespaceStart(packet, end);
  return packet.slice(0, start) + "\n" + packet.slice(end);
}

/** Result of {@link fitXmpPacket}. */
export type XmpFit =
  | { kind: "ok"; packet: string; warnings: string[] }
  | { kind: "failed"; reason: string };

/**
 * Merges `fields` into `existing` (or a fresh packet) and enforces
 * `maxBytes` (see the module doc's size rule).
 */
export function fitXmpPacket(
  existing: string | undefined,
  fields: XmpFields,
  maxBytes: number = MAX_JPEG_XMP_PACKET_BYTES,
): XmpFit {
  const base = existing ?? EMPTY_PACKET;
  const size = (text: string) => utf8(text).length;
  let merged: string;
  try {
    merged = mergeXmpPacket(base, fields);
  } catch (error) {
    return {
      kind: "failed",
      reason: `existing XMP cannot be merged (${(error as Error).message})`,
    };
  }
  if (size(merged) <= maxBytes) {
    return { kind: "ok", packet: merged, warnings: [] };
  }
  const unpadded = stripPadding(base);
  const merge = (f: XmpFields) => stripPadding(mergeXmpPacket(unpadded, f));
  merged = merge(fields);
  if (size(merged) <= maxBytes) {
    return { kind: "ok", packet: merged, warnings: [] };
  }
  const description = fields.description;
  if (description !== undefined) {
    // Binary search on the number of UTF-16 units kept (whole code points).
    const points = Array.from(description);
    let low = 0;
    let high = points.length;
    let best: string | undefined;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const cut = points.slice(0, mid).join("") + TRUNCATION_MARKER;
      const candidate = merge({ ...fields, description: cut });
      if (size(candidate) <= maxBytes) {
        best = candidate;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (best !== undefined) {
      return {
        kind: "ok",
        packet: best,
        warnings: [
          `Truncated the XMP description to fit the ${maxBytes}-byte XMP ` +
          "segment (the sidecar keeps the full text)",
        ],
      };
    }
  }
  return {
    kind: "failed",
    reason: `XMP would exceed ${maxBytes} bytes even without the description`,
  };
}

/**
 * Returns our rdf:Description from a packet, exactly as stored, or undefined
 * when the packet has none (used to verify a written file).
 */
export function findOurDescription(packet: string): string | undefined {
  try {
    const { descriptions } = rdfShape(packet);
    const ours = descriptions.find(isOurs);
    return ours ? packet.slice(ours.start, ours.end) : undefined;
  } catch {
    // A packet we cannot read has no description of ours.
    return undefined;
  }
}
