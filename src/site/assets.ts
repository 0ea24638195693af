/**
 * The site's stylesheet and script, and the search library copied from its
 * npm package when the site is generated.
 *
 * @module
 */

/** Light and dark follow the system; tiles keep their size while loading. */
export const SITE_CSS =
  `:root { color-scheme: light dark; --bg: #fff; --fg: #1b1b1b; --muted: #666; --line: #ddd; --tile: #eee; --link: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --bg: #121212; --fg: #e8e8e8; --muted: #a0a0a0; --line: #333; --tile: #222; --link: #8ab4f8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); }
main { padding: 0 1rem 2rem; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; overflow-wrap: anywhere; }
.bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
.bar .home { font-weight: 600; text-decoration: none; color: var(--fg); }
.bar nav a { margin-right: .75rem; }
.bar .find { margin-left: auto; }
input[type=search] { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); max-width: 60vw; }
.meta, .n, .pos, .off { color: var(--muted); }
.n { font-size: .85em; }
.albums { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 1rem; margin-top: 1rem; }
.album { text-decoration: none; color: var(--fg); display: flex; flex-direction: column; }
.album img, .nocover { width: 100%; height: auto; aspect-ratio: 1; object-fit: cover; background: var(--tile); border-radius: 4px; display: block; }
.album .name { font-weight: 600; margin-top: .3rem; overflow-wrap: anywhere; }
.album .meta { font-size: .85rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: 4px; margin-top: 1rem; }
.tile { display: block; aspect-ratio: 1; background: var(--tile); overflow: hidden; position: relative; text-decoration: none; color: var(--muted); }
.tile img { width: 100%; height: 100%; object-fit: cover; display: block; }
.tile.none { display: flex; flex-direction: column; justify-content: center; align-items: center; padding: .3rem; font-size: .8rem; text-align: center; overflow-wrap: anywhere; }
.tile.video::after { content: "▶"; position: absolute; right: 6px; bottom: 4px; color: #fff; text-shadow: 0 0 3px #000; }
.r90 { transform: rotate(90deg); } .r180 { transform: rotate(180deg); } .r270 { transform: rotate(270deg); }
.picture { margin: 1rem 0; text-align: center; }
.picture img, .picture video { max-width: 100%; max-height: 85vh; width: auto; height: auto; image-orientation: from-image; }
.seq { display: flex; flex-wrap: wrap; gap: .5rem 1rem; margin-top: .75rem; align-items: baseline; }
.seq .up { font-weight: 600; }
.desc { overflow-wrap: anywhere; max-width: 70ch; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; max-width: 70ch; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.tag { display: inline-block; margin: 0 .4rem .3rem 0; }
.months { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
#results .tile { position: relative; }
.tile .cap { font-size: .75rem; }
`;

/**
 * Keyboard navigation on photo pages (← → between photos of the album the
 * visitor came from, Esc back to it) and the search page. Reads nothing but
 * the page itself and the two scripts beside it; builds results with the DOM
 * (textContent), never with HTML strings.
 */
export const SITE_JS = `"use strict";
(function () {
  var page = document.body.getAttribute("data-page");
  function albumNav() {
    var m = /(?:^#|&)a=([0-9A-Za-z_-]+)/.exec(location.hash);
    var navs = document.querySelectorAll("nav.seq");
    for (var i = 0; m && i < navs.length; i++) {
      if (navs[i].getAttribute("data-album") === m[1]) return navs[i];
    }
    return navs[0] || null;
  }
  if (page === "photo") {
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var target = event.target;
      if (target && /^(INPUT|TEXTAREA|SELECT|VIDEO)$/.test(target.tagName)) return;
      var nav = albumNav();
      if (!nav) return;
      var link = null;
      if (event.key === "ArrowLeft") link = nav.querySelector("a[rel=prev]");
      else if (event.key === "ArrowRight") link = nav.querySelector("a[rel=next]");
      else if (event.key === "Escape") link = nav.querySelector("a.up");
      if (link) {
        event.preventDefault();
        location.href = link.href;
      }
    });
  }
  if (page === "search") {
    var input = document.getElementById("q");
    var status = document.getElementById("status");
    var results = document.getElementById("results");
    var data = window.FLICKR_BACKUP_SEARCH;
    var expected = Number(results.getAttribute("data-shards"));
    if (typeof MiniSearch === "undefined" || !data || data.shards.length !== expected) {
      status.textContent = "The search index is missing: run flickr-backup site again.";
      return;
    }
    var shards = data.shards.map(function (index) {
      return MiniSearch.loadJS(index, data.options);
    });
    var run = function () {
      var query = input.value.trim();
      while (results.firstChild) results.removeChild(results.firstChild);
      if (!query) { status.textContent = ""; return; }
      var found = [];
      shards.forEach(function (shard) {
        found = found.concat(shard.search(query, { prefix: true, fuzzy: 0.15, combineWith: "AND" }));
      });
      found.sort(function (a, b) { return b.score - a.score; });
      status.textContent = found.length + (found.length === 1 ? " photo" : " photos");
      found.slice(0, 500).forEach(function (hit) {
        var a = document.createElement("a");
        a.className = "tile" + (hit.thumb ? "" : " none");
        a.href = "../p/" + encodeURIComponent(hit.id) + ".html";
        a.title = (hit.title || "Untitled") + " · " + hit.date;
        if (hit.thumb) {
          var img = document.createElement("img");
          img.src = hit.thumb;
          img.alt = hit.title || "Untitled";
          img.loading = "lazy";
          img.width = 160;
          img.height = 160;
          a.appendChild(img);
        } else {
          var span = document.createElement("span");
          span.className = "cap";
          span.textContent = hit.title || "Untitled";
          a.appendChild(span);
        }
        results.appendChild(a);
      });
    };
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    input.addEventListener("input", run);
    run();
  }
})();
`;

/** Search options shared by the index builder and the page. */
export const SEARCH_OPTIONS = {
  fields: ["title", "text", "tags"],
  storeFields: ["title", "thumb", "date"],
};

/**
 * The browser build of MiniSearch, read from the locked npm package next to
 * the module the generator itself imports (`dist/es/index.js` →
 * `dist/umd/index.js`). A classic script: pages opened from `file://` cannot
 * load ES modules.
 */
export async function miniSearchBrowserBuild(): Promise<string> {
  const esm = new URL(import.meta.resolve("minisearch"));
  const umd = new URL("../umd/index.js", esm);
  const source = await Deno.readTextFile(umd);
  if (!source.includes("MiniSearch")) {
    throw new Error(`"${umd.pathname}" is not MiniSearch's browser build`);
  }
  return `/* MiniSearch (MIT licence, Luca Ongaro), copied from its npm package by flickr-backup */\n${source}`;
}
