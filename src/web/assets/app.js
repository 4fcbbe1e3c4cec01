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
