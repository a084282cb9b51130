/* The dashboard header's "Download PDF" (charts/export_views.py draws it on the server): the PDF
 * of the page as it is now, that is the filters in its address (the filter bar keeps them there
 * without reloading) and the theme it shows ("auto" as the colours it resolved to), and a busy
 * state while the server draws it. exportHref is pure: tests/js/exports.test.mjs.
 */

/** The export's address: `href`'s path with the page's query `search`, its theme made explicit
 * when the page follows the system ("auto": `dark` says what the system chose). */
export function exportHref(href, search, theme, dark) {
  const url = new URL(href);
  url.search = search;
  if (theme === "auto") url.searchParams.set("theme", dark ? "dark" : "light");
  return url.toString();
}

const BUSY_MS = 10_000; // about the longest a render takes; the download itself cannot be watched

function wire(link) {
  link.addEventListener("click", () => {
    const theme = ["light", "dark", "auto"].find((name) => document.body.classList.contains("theme-" + name)) || "light";
    const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    link.href = exportHref(link.href, location.search, theme, dark);
    link.setAttribute("aria-busy", "true");
    setTimeout(() => link.removeAttribute("aria-busy"), BUSY_MS);
  });
}

if (typeof document !== "undefined") document.querySelectorAll("a[data-export-pdf]").forEach(wire);
