/**
 * Our XMP rdf:Description ({@link buildDescription}): the values it holds
 * ({@link XmpFields}), the namespaces and the properties we own, escaped
 * and formatted the XMP way.
 *
 * Pure: values in, a string out.
 *
 * @module
 */

/** Namespace that marks flickr-backup's own rdf:Description. */
export const FLICKR_BACKUP_NS = "http://ns.flickr-backup.invalid/xmp/1.0/";

export const NS = {
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

/** The properties (namespace, local name) we are writing for `fields`. */
export function ownedProperties(fields: XmpFields): Array<[string, string]> {
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

export function hasProperties(fields: XmpFields): boolean {
  return ownedProperties(fields).length > 0 || fields.flickrUrl !== undefined;
}

/**
 * Builds our rdf:Description. `about` is the rdf:about value of the packet's
 * other descriptions (already escaped); `declareRdf` adds an rdf namespace
 * declaration when the enclosing packet binds "rdf" to something else.
 *
 * Long (about 90 lines) because it is one flat list, a few lines per
 * property, in the order the description is written.
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
