// The report subscription form: only the schedule fields the chosen frequency uses, and the
// period list only when a rolling period is chosen. Without this script every field shows, and
// the server ignores the ones that do not apply.
const form = document.querySelector("[data-report-form]");

function sync() {
  const frequency = form.elements.namedItem("frequency")?.value;
  for (const field of form.querySelectorAll("[data-when]")) {
    field.hidden = field.dataset.when !== frequency;
  }
  const period = form.elements.namedItem("period");
  const preset = form.querySelector("input[name=dates][value=preset]");
  if (period && preset) period.closest(".field").hidden = !preset.checked;
}

if (form) {
  form.addEventListener("change", sync);
  sync();
}
