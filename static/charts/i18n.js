// Translation helpers for Panes' scripts.
//
// Django's JavaScript catalogue (/jsi18n/<lang>/, a classic script loaded before the modules) defines
// globalThis.django with gettext, ngettext and interpolate for the page's language. These wrappers
// delegate to it when it is there and fall back to English (the msgid itself, n == 1 for the singular)
// when it is not: Node tests, or a page served without the catalogue.
//
// xgettext reads these calls in static/charts/*.js (makemessages -d djangojs), so always pass string
// literals: gettext("Download CSV"), never gettext(variable).

/** @returns {{gettext?: Function, ngettext?: Function, interpolate?: Function} | undefined} */
function catalogue() {
  const django = globalThis.django;
  return django && typeof django === "object" ? django : undefined;
}

/** The translation of msgid in the page's language. */
export function gettext(msgid) {
  const django = catalogue();
  return django && typeof django.gettext === "function" ? django.gettext(msgid) : msgid;
}

/** The singular or plural translation for the count n. */
export function ngettext(singular, plural, n) {
  const django = catalogue();
  if (django && typeof django.ngettext === "function") return django.ngettext(singular, plural, n);
  return n == 1 ? singular : plural;
}

/**
 * Django's interpolate: with named true, fmt's "%(name)s" take values[name]; else each "%s" takes the
 * next item of the array values.
 */
export function interpolate(fmt, values, named = false) {
  if (named) {
    return fmt.replace(/%\(\w+\)s/g, (match) => String(values[match.slice(2, -2)]));
  }
  const queue = Array.from(values);
  return fmt.replace(/%s/g, () => String(queue.shift()));
}

/**
 * The page's language ("en", "de", "pl"): <html lang>, lower-cased, without region; "en" when there
 * is no document (Node) or no lang attribute.
 */
export function locale() {
  const doc = globalThis.document;
  const lang = doc && doc.documentElement ? doc.documentElement.lang : "";
  return (lang || "en").toLowerCase().split(/[-_]/)[0] || "en";
}
