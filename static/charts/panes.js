/* Site-wide touches that need no framework: the organisation switcher submits on change. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) select.form.requestSubmit();
      else select.form.submit();
    });
  });
  // Links that act on "this page as it is now" (Subscribe) take the address's query string when
  // followed: the filter bar keeps it current without reloading the page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-carry-query]");
    if (!link) return;
    var url = new URL(link.href, location.href);
    url.search = location.search;
    link.href = url.toString();
  });
})();
