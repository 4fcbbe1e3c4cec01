// Progressive enhancement of the pages: each works without this script.

// Characters as the server counts them: an emoji with its modifiers is one.
const segmenter = typeof Intl.Segmenter === "function" ? new Intl.Segmenter() : undefined;
const countCharacters = (text) =>
  segmenter ? [...segmenter.segment(text)].length : [...text].length;

// A live character counter under every <textarea data-counter="max">. Without the script the
// browser's maxlength (UTF-16 units, stricter for emoji) holds; with it, the server's count.
for (const area of document.querySelectorAll("textarea[data-counter]")) {
  const max = Number(area.dataset.counter) || Number(area.getAttribute("maxlength")) || 280;
  if (segmenter) area.removeAttribute("maxlength");
  const output = document.createElement("p");
  output.className = "hint";
  output.setAttribute("aria-live", "polite");
  const update = () => {
    const count = countCharacters(area.value);
    output.textContent = `${count} / ${max}`;
    output.classList.toggle("field-error", count > max);
  };
  area.after(output);
  area.addEventListener("input", update);
  update();
}

// The compose form: each handle looked up as it is typed, and more rows for more people.
const compose = document.querySelector("form.compose");
if (compose) {
  const HANDLE = /^@[^\s@/]+(@[^\s@/]+\.[^\s@/]+)?$|^https?:\/\/\S+$/i;
  const timers = new WeakMap();
  const statusOf = (input) => {
    let status = input.parentElement.querySelector(".lookup");
    if (!status) {
      status = document.createElement("span");
      status.className = "hint lookup";
      status.id = `${input.id}-status`;
      status.setAttribute("aria-live", "polite");
      input.after(status);
      const described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", [described, status.id].filter(Boolean).join(" "));
    }
    return status;
  };
  const lookUp = async (input) => {
    const handle = input.value.trim();
    const status = statusOf(input);
    status.classList.remove("notice", "field-error");
    if (!HANDLE.test(handle)) {
      status.textContent = "";
      return;
    }
    try {
      const response = await fetch(`/compose/lookup?handle=${encodeURIComponent(handle)}`, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      if (input.value.trim() !== handle) return;
      const answer = await response.json();
      if (response.ok && answer.found) {
        status.textContent = `✓ ${answer.name} (${answer.handle})`;
        status.classList.add("notice");
      } else if (response.status === 404) {
        status.textContent = `✗ ${answer.error}`;
        status.classList.add("field-error");
      } else {
        status.textContent = "";
      }
    } catch {
      status.textContent = "";
    }
  };
  compose.addEventListener("input", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-lookup")) return;
    clearTimeout(timers.get(input));
    timers.set(
      input,
      setTimeout(() => lookUp(input), 600),
    );
  });

  // One more person: a participant row and its circle in the private part, numbered on.
  const add = compose.querySelector("[data-add-participant]");
  if (add) {
    add.hidden = false;
    const renumber = (row, n) => {
      for (const el of row.querySelectorAll("[id]")) el.id = el.id.replace(/-\d+$/, `-${n}`);
      for (const el of row.querySelectorAll("label[for]")) {
        el.htmlFor = el.htmlFor.replace(/-\d+$/, `-${n}`);
        el.textContent = el.textContent.replace(/\d+/, String(n + 1));
      }
      for (const el of row.querySelectorAll(".field-error, .lookup")) el.remove();
      for (const el of row.querySelectorAll("input, select")) {
        el.value = "";
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      }
      row.dataset.row = String(n);
      return row;
    };
    add.addEventListener("click", () => {
      const rows = compose.querySelectorAll(".participant-row");
      const circles = compose.querySelectorAll(".circle-row");
      if (rows.length >= 20) return;
      const n = rows.length;
      const row = renumber(rows[n - 1].cloneNode(true), n);
      rows[n - 1].after(row);
      const lastCircle = circles[circles.length - 1];
      if (lastCircle) lastCircle.after(renumber(lastCircle.cloneNode(true), n));
      row.querySelector("input")?.focus();
      if (n + 1 >= 20) add.hidden = true;
    });
  }
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
