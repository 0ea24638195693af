/**
 * Every licence named: `flickr.photos.licenses.getInfo` gives ids, names and
 * URLs (one call, cached in the state); this table of ids 0–16 is the
 * offline fallback (11–16 are the Creative Commons 4.0 family, 2024).
 *
 * @module
 */

/** A Flickr licence. */
export interface License {
  id: string;
  name: string;
  /** "" when there is none (All Rights Reserved). */
  url: string;
}

/** Flickr's licences as `flickr.photos.licenses.getInfo` lists them. */
export const BUILT_IN_LICENSES: readonly License[] = [
  { id: "0", name: "All Rights Reserved", url: "" },
  {
    id: "1",
    name: "Attribution-NonCommercial-ShareAlike License",
    url: "https://creativecommons.org/licenses/by-nc-sa/2.0/",
  },
  {
    id: "2",
    name: "Attribution-NonCommercial License",
    url: "https://creativecommons.org/licenses/by-nc/2.0/",
  },
  {
    id: "3",
    name: "Attribution-NonCommercial-NoDerivs License",
    url: "https://creativecommons.org/licenses/by-nc-nd/2.0/",
  },
  {
    id: "4",
    name: "Attribution License",
    url: "https://creativecommons.org/licenses/by/2.0/",
  },
  {
    id: "5",
    name: "Attribution-ShareAlike License",
    url: "https://creativecommons.org/licenses/by-sa/2.0/",
  },
  {
    id: "6",
    name: "Attribution-NoDerivs License",
    url: "https://creativecommons.org/licenses/by-nd/2.0/",
  },
  {
    id: "7",
    name: "No known copyright restrictions",
    url: "https://www.flickr.com/commons/usage/",
  },
  {
    id: "8",
    name: "United States Government Work",
    url: "http://www.usa.gov/copyright.shtml",
  },
  {
    id: "9",
    name: "Public Domain Dedication (CC0)",
    url: "https://creativecommons.org/publicdomain/zero/1.0/",
  },
  {
    id: "10",
    name: "Public Domain Mark",
    url: "https://creativecommons.org/publicdomain/mark/1.0/",
  },
  {
    id: "11",
    name: "CC BY 4.0",
    url: "https://creativecommons.org/licenses/by/4.0/",
  },
  {
    id: "12",
    name: "CC BY-SA 4.0",
    url: "https://creativecommons.org/licenses/by-sa/4.0/",
  },
  {
    id: "13",
    name: "CC BY-ND 4.0",
    url: "https://creativecommons.org/licenses/by-nd/4.0/",
  },
  {
    id: "14",
    name: "CC BY-NC 4.0",
    url: "https://creativecommons.org/licenses/by-nc/4.0/",
  },
  {
    id: "15",
    name: "CC BY-NC-SA 4.0",
    url: "https://creativecommons.org/licenses/by-nc-sa/4.0/",
  },
  {
    id: "16",
    name: "CC BY-NC-ND 4.0",
    url: "https://creativecommons.org/licenses/by-nc-nd/4.0/",
  },
];

/** Looks an id up in `table`, then in the built-in one; else a plain name. */
export function licenseFor(
  id: string,
  table: readonly License[] = BUILT_IN_LICENSES,
): License {
  return table.find((l) => l.id === id) ??
    BUILT_IN_LICENSES.find((l) => l.id === id) ??
    { id, name: `Flickr licence ${id}`, url: "" };
}

/** The rights statement written into files. */
export function rightsText(license: License, holder: string): string {
  if (license.id === "0") return `© ${holder}. All Rights Reserved`;
  return `${holder}. License: ${license.name}${
    license.url ? ` (${license.url})` : ""
  }`;
}
