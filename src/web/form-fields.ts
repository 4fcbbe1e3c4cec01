import { escapeHtml } from "../shared/html.ts";

/** One labelled input, its error (if any) right after it and tied to it for screen readers. */
export function inputField(options: {
  id: string;
  name: string;
  label: string;
  type?: "text" | "password" | "email";
  autocomplete: string;
  value?: string;
  error?: string;
  hint?: string;
  maxlength?: number;
  required?: boolean;
}): string {
  const { id, error, hint } = options;
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean);
  const attributes = [
    `id="${escapeHtml(id)}"`,
    `name="${escapeHtml(options.name)}"`,
    `type="${options.type ?? "text"}"`,
    `autocomplete="${escapeHtml(options.autocomplete)}"`,
    options.maxlength ? `maxlength="${options.maxlength}"` : "",
    options.required === false ? "" : "required",
    options.value !== undefined ? `value="${escapeHtml(options.value)}"` : "",
    described.length > 0 ? `aria-describedby="${described.join(" ")}"` : "",
    error ? 'aria-invalid="true"' : "",
  ].filter(Boolean);
  return `<p><label for="${escapeHtml(id)}">${escapeHtml(options.label)}</label><br>
<input ${attributes.join(" ")}></p>
${hint ? `<p class="meta" id="${escapeHtml(id)}-hint">${escapeHtml(hint)}</p>\n` : ""}${error ? `<p class="field-error" id="${escapeHtml(id)}-error">${escapeHtml(error)}</p>\n` : ""}`;
}

/** A form-level message: an error read out at once, or a notice of what was done. */
export function formMessage(kind: "error" | "notice", text: string | undefined): string {
  if (!text) return "";
  return kind === "error"
    ? `<p role="alert" class="error">${escapeHtml(text)}</p>\n`
    : `<p role="status" class="notice">${escapeHtml(text)}</p>\n`;
}
