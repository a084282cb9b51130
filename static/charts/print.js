/* The print page (/d/<slug>/print/): every chart loads at once, not only those scrolled to, so
 * that printing from the browser shows them all (charts/render.py does the same for exports). */
document.querySelectorAll("iframe[loading=lazy]").forEach((frame) => {
  frame.loading = "eager";
});
