/* The chart frame page's own parts around the chart: its state on <body> (data-state,
 * data-error, for people's styles and for tests), the status line over the chart, the spoken
 * announcements, and the theme: its class on <body> and the ink the chart is drawn with. */
import { THEMES } from "./protocol.js";

const body = document.body;
const statusEl = document.getElementById("panes-status");
const announceEl = document.getElementById("panes-announce");

export function setState(state, error) {
  body.dataset.state = state;
  if (error) body.dataset.error = error;
  else delete body.dataset.error;
}

/** kind: "loading" (spinner, covers), "badge" (small, over a drawn chart), "error", "empty". */
export function showStatus(text, kind) {
  statusEl.hidden = false;
  statusEl.className = "frame__status" + (kind === "badge" ? " frame__status--badge" : "") + (kind === "error" ? " frame__status--error" : "");
  statusEl.textContent = "";
  if (kind === "loading") {
    const spinner = document.createElement("span");
    spinner.className = "spinner";
    spinner.setAttribute("aria-hidden", "true");
    statusEl.appendChild(spinner);
  }
  const span = document.createElement("span");
  span.className = "frame__status-text";
  span.textContent = text;
  statusEl.appendChild(span);
}

export function hideStatus() {
  statusEl.hidden = true;
}

/** Says `text` to assistive technology (a polite live region). */
export function announce(text) {
  if (announceEl) announceEl.textContent = text;
}

/** Switches <body> to `theme`; false when it is not a theme or already the one. */
export function applyTheme(theme) {
  if (!THEMES.includes(theme) || theme === body.dataset.theme) return false;
  for (const name of THEMES) body.classList.remove("theme-" + name);
  body.classList.add("theme-" + theme);
  body.dataset.theme = theme;
  return true;
}

function cssVar(name, fallback) {
  return getComputedStyle(body).getPropertyValue(name).trim() || fallback;
}

/** Whether the frame is drawn dark now (the dark theme, or "auto" on a dark system). */
export function isDark() {
  return cssVar("color-scheme", "light").includes("dark");
}

/** Chart text and lines from the page's theme, so a dark frame gets light labels. */
export function ink() {
  return {
    text: cssVar("--chart-text", "#4b5563"),
    legend: cssVar("--chart-legend", "#374151"),
    axis: cssVar("--chart-axis", "#d1d5db"),
    grid: cssVar("--chart-grid", "#eef0f3"),
    surface: cssVar("--surface", "#ffffff"),
    tooltip: cssVar("--surface", "#ffffff"),
    tooltipText: cssVar("--text", "#111827"),
    tooltipBorder: cssVar("--border-strong", "#d1d5db"),
  };
}
