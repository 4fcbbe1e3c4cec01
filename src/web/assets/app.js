// Progressive enhancement of the pages: each works without this script.
// A live character counter under every <textarea data-counter>.
for (const area of document.querySelectorAll("textarea[data-counter]")) {
  const max = Number(area.getAttribute("maxlength")) || 280;
  const output = document.createElement("p");
  output.className = "hint";
  output.setAttribute("aria-live", "polite");
  const update = () => {
    output.textContent = `${[...area.value].length} / ${max}`;
  };
  area.after(output);
  area.addEventListener("input", update);
  update();
}

// A « Copier » button beside every read-only field marked data-copy (a handle to copy).
for (const field of document.querySelectorAll("input[data-copy]")) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = field.dataset.copy;
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = field.dataset.copied || field.dataset.copy;
    } catch {
      // Without clipboard access the handle stays selected, ready to copy by hand.
    }
  });
  field.after(" ", button);
}
