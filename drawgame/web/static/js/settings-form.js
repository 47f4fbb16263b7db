// The Settings fields as form inputs named after the protocol's fields; shared by
// the lobby's create form and the room's host settings form.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { SETTINGS, MAX_CUSTOM_WORDS, MAX_CUSTOM_WORD_LEN, MIN_CUSTOM_ONLY_WORDS } from "./protocol.js";

/** Split a textarea's text into words: comma or newline separated, trimmed. */
export function parseWords(text) {
  return text.split(/[,\n]/).map((w) => w.trim().replace(/\s+/g, " ")).filter(Boolean);
}

function intError(spec, raw) {
  const value = Number(raw);
  if (raw === "" || !Number.isInteger(value)) return t("set.wholeNumber", { min: spec.min, max: spec.max });
  if (value < spec.min || value > spec.max) return t("set.range", { min: spec.min, max: spec.max });
  return null;
}

function wordsError(words) {
  if (words.length > MAX_CUSTOM_WORDS) return t("set.tooMany", { max: MAX_CUSTOM_WORDS });
  const long = words.find((w) => w.length > MAX_CUSTOM_WORD_LEN);
  return long ? t("set.tooLong", { word: long.slice(0, 40), max: MAX_CUSTOM_WORD_LEN }) : null;
}

function inputFor(spec, idPrefix) {
  const id = `${idPrefix}-${spec.name}`;
  const common = { id, name: spec.name, "aria-describedby": `${id}-error` };
  if (spec.kind === "int") {
    return h("input", { ...common, type: "number", inputmode: "numeric", min: spec.min, max: spec.max,
      step: spec.step ?? 1, value: String(spec.def), required: true });
  }
  if (spec.kind === "language") return h("select", common);
  if (spec.kind === "words") {
    return h("textarea", { ...common, rows: 3, spellcheck: "false", placeholder: t("set.customPlaceholder") });
  }
  return h("input", { ...common, type: "checkbox" });
}

function fieldRow(spec, input, idPrefix) {
  const id = `${idPrefix}-${spec.name}`;
  const hint = spec.kind === "int" ? `${spec.min}–${spec.max}` : null;
  const error = h("p", { id: `${id}-error`, class: "field-error", role: "alert" });
  const cls = `field field-${spec.kind}`;
  if (spec.kind === "bool") {
    return h("div", { class: cls }, h("label", { class: "check", for: id }, input, h("span", { text: t(`set.${spec.name}`) })),
      h("p", { class: "field-note", text: t("set.customOnlyNote", { min: MIN_CUSTOM_ONLY_WORDS }) }), error);
  }
  const label = h("label", { for: id }, t(`set.${spec.name}`), hint ? h("span", { class: "range-hint", text: hint }) : null);
  const extra = spec.kind === "words" ? h("p", { class: "field-note words-count", text: t("set.words", { count: 0 }) }) : null;
  return h("div", { class: cls }, label, input, extra, error);
}

/**
 * Build the settings fields inside `container`.
 * `onField(name, value)` is called when a field holds a new valid value.
 */
export function buildSettingsFields(container, { idPrefix = "set", onField = null } = {}) {
  const inputs = {};
  const errors = {};
  for (const spec of SETTINGS) {
    const input = inputFor(spec, idPrefix);
    inputs[spec.name] = input;
    const row = fieldRow(spec, input, idPrefix);
    errors[spec.name] = row.querySelector(".field-error");
    container.append(row);
  }
  const form = new SettingsFields(inputs, errors);
  inputs.custom_words.addEventListener("input", () => form.updateWordCount());
  if (onField) form.listen(onField);
  return form;
}

class SettingsFields {
  constructor(inputs, errors) {
    this.inputs = inputs;
    this.errors = errors;
    this.timers = {};
  }

  /** The field's value, or {error} when it is not valid. */
  readField(name) {
    const spec = SETTINGS.find((s) => s.name === name);
    const input = this.inputs[name];
    if (spec.kind === "int") {
      const error = intError(spec, input.value.trim());
      return error ? { error } : { value: Number(input.value) };
    }
    if (spec.kind === "bool") return { value: input.checked };
    if (spec.kind === "words") {
      const words = parseWords(input.value);
      const error = wordsError(words);
      return error ? { error } : { value: words };
    }
    return { value: input.value };
  }

  /** All fields as a Settings object, or null after marking the invalid ones. */
  read() {
    const settings = {};
    let ok = true;
    for (const spec of SETTINGS) {
      const { value, error } = this.readField(spec.name);
      this.setError(spec.name, error);
      if (error) ok = false;
      else settings[spec.name] = value;
    }
    if (ok && settings.custom_only && settings.custom_words.length < MIN_CUSTOM_ONLY_WORDS) {
      this.setError("custom_only", t("set.needCustom", { min: MIN_CUSTOM_ONLY_WORDS }));
      ok = false;
    }
    return ok ? settings : null;
  }

  /** Show settings from the server; the field being edited keeps what is typed. */
  write(settings, { keepFocused = true } = {}) {
    for (const [name, value] of Object.entries(settings ?? {})) {
      const input = this.inputs[name];
      if (!input || (keepFocused && document.activeElement === input)) continue;
      if (input.type === "checkbox") input.checked = Boolean(value);
      else if (Array.isArray(value)) input.value = value.join("\n");
      else {
        if (input.tagName === "SELECT") this.ensureOption(input, value);
        input.value = String(value);
      }
      this.setError(name, null);
    }
    this.updateWordCount();
  }

  ensureOption(select, value) {
    if (![...select.options].some((o) => o.value === value)) select.append(h("option", { value, text: value }));
  }

  setLanguages(languages, selected) {
    const select = this.inputs.language;
    const current = selected ?? select.value;
    select.replaceChildren(...languages.map((l) =>
      h("option", { value: l.code, text: l.words ? t("set.languageWords", { name: l.name, count: l.words }) : l.name })));
    this.ensureOption(select, current || "en");
    select.value = current || "en";
  }

  setError(name, message) {
    const box = this.errors[name] ?? null;
    const input = this.inputs[name];
    if (box) box.textContent = message ?? "";
    if (input) input.toggleAttribute("aria-invalid", Boolean(message));
  }

  clearErrors() {
    for (const name of Object.keys(this.inputs)) this.setError(name, null);
  }

  setDisabled(disabled) {
    for (const input of Object.values(this.inputs)) input.disabled = disabled;
  }

  updateWordCount() {
    const note = this.inputs.custom_words.parentElement.querySelector(".words-count");
    const n = parseWords(this.inputs.custom_words.value).length;
    if (note) note.textContent = t("set.words", { count: n });
  }

  /** Call onField for valid edits: at once on change, after a pause while typing. */
  listen(onField) {
    for (const [name, input] of Object.entries(this.inputs)) {
      const emit = () => this.emit(name, onField);
      input.addEventListener("change", () => { clearTimeout(this.timers[name]); emit(); });
      input.addEventListener("input", () => {
        clearTimeout(this.timers[name]);
        this.timers[name] = setTimeout(emit, name === "custom_words" ? 900 : 500);
      });
    }
  }

  emit(name, onField) {
    const { value, error } = this.readField(name);
    this.setError(name, error);
    if (!error) onField(name, value);
  }
}
