// The Settings fields as form inputs named after the protocol's fields; shared by
// the lobby's create form and the room's host settings form.

import { h } from "./dom.js";
import { t, language, pageLanguage } from "./i18n.js";
import * as api from "./api.js";
import {
  SETTINGS, MODE, RELAXED_MAX_DRAW_TIME_S, MAX_CUSTOM_WORDS, MAX_CUSTOM_WORD_LEN, MIN_CUSTOM_ONLY_WORDS, MAX_WORD_FILE_BYTES,
} from "./protocol.js";

const REFUSALS_SHOWN = 8;

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

/** Whether a field applies to the settings `mode` and `first_page` (a hidden field is kept, not sent). */
export function applies(spec, mode, firstPage) {
  if (spec.modes && !spec.modes.includes(mode ?? MODE.CLASSIC)) return false;
  return !(spec.words && mode === MODE.TELEPHONE && firstPage !== "word");
}

function inputFor(spec, idPrefix) {
  const id = `${idPrefix}-${spec.name}`;
  const described = spec.notes ? `${id}-note ${id}-error` : `${id}-error`;
  const common = { id, name: spec.name, "aria-describedby": described, dataset: spec.testid ? { testid: spec.testid } : null };
  if (spec.kind === "int") {
    return h("input", { ...common, type: "number", inputmode: "numeric", min: spec.min, max: spec.max,
      step: spec.step ?? 1, value: spec.def === null ? "" : String(spec.def), required: !spec.nullable,
      placeholder: spec.nullable ? t(spec.nullable) : null });
  }
  if (spec.kind === "language") return h("select", common);
  if (spec.kind === "choice") {
    return h("select", common, spec.choices.map((c) => h("option", { value: c, text: t(`${spec.labels ?? "level"}.${c}`),
      selected: c === spec.def })));
  }
  if (spec.kind === "packs") return h("fieldset", { ...common, class: "packs" }, h("legend", { text: t("set.packs") }));
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
  const note = spec.notes ? h("p", { id: `${id}-note`, class: "field-note", dataset: { notes: spec.notes } }) : null;
  if (spec.kind === "bool") {
    return h("div", { class: `${cls} field-${spec.name}`, dataset: { field: spec.name } }, h("label", { class: "check", for: id }, input, h("span", { text: t(`set.${spec.name}`) })),
      spec.note ? h("p", { class: "field-note", text: t(spec.note, { min: MIN_CUSTOM_ONLY_WORDS }) }) : null, error);
  }
  if (spec.kind === "packs") return h("div", { class: cls, dataset: { field: spec.name } }, input, error);
  const label = h("label", { for: id }, t(`set.${spec.name}`), hint ? h("span", { class: "range-hint", text: hint }) : null);
  const extra = spec.kind === "words" ? [wordTools(id), h("p", { class: "field-note streamer-only", text: t("streamer.wordsHidden") })] : null;
  return h("div", { class: cls, dataset: { field: spec.name } }, label, input, note, extra, error);
}

/** Under the custom words: their count, loading a word file, downloading the list, the file's report. */
function wordTools(id) {
  // The file input stays hidden: its button opens it (and says what it does).
  const file = h("input", { type: "file", id: `${id}-file`, accept: ".txt,text/plain", hidden: true,
    dataset: { testid: "word-file" } });
  return h("div", { class: "word-tools" },
    h("p", { class: "field-note words-count", text: t("set.words", { count: 0 }) }),
    h("div", { class: "word-buttons" },
      h("button", { type: "button", class: "btn btn-ghost btn-sm load-words", dataset: { testid: "load-words" },
        text: t("words.load") }),
      h("button", { type: "button", class: "btn btn-ghost btn-sm download-words", dataset: { testid: "download-words" },
        text: t("words.download") }),
      file),
    h("div", { class: "word-report", role: "status", dataset: { testid: "word-report" } }));
}

/**
 * Build the settings fields inside `container`, or take the ones the server wrote there
 * (the lobby's, drawgame/web/prerender.py: the same elements this would build, at their
 * defaults) as they are, with whatever the player did with them before this script ran.
 * `onField(name, value)` is called when a field holds a new valid value.
 */
export function buildSettingsFields(container, { idPrefix = "set", onField = null } = {}) {
  const inputs = {};
  const errors = {};
  // (Written in another language than this browser's choice: built again in that one.)
  const rows = container.querySelectorAll(":scope > [data-field]");
  const written = rows.length > 0 && pageLanguage() === language();
  if (!written) for (const row of rows) row.remove();
  for (const spec of SETTINGS) {
    let input;
    let row;
    if (written) {
      row = container.querySelector(`:scope > [data-field="${spec.name}"]`);
      input = row.querySelector(`#${idPrefix}-${spec.name}`);
    } else {
      input = inputFor(spec, idPrefix);
      row = fieldRow(spec, input, idPrefix);
      container.append(row);
    }
    inputs[spec.name] = input;
    errors[spec.name] = row.querySelector(".field-error");
  }
  const form = new SettingsFields(inputs, errors, container);
  if (written) form.packs = form.readField("packs").value ?? [];
  inputs.custom_words.addEventListener("input", () => form.updateWordCount());
  inputs.language.addEventListener("change", () => form.renderPacks());
  inputs.difficulty.addEventListener("change", () => form.renderPacks());
  inputs.relaxed.addEventListener("change", () => form.renderDrawTime());
  inputs.mode.addEventListener("change", () => form.renderApplies());
  inputs.first_page.addEventListener("change", () => form.renderApplies());
  const tools = inputs.custom_words.parentElement;
  const file = tools.querySelector("[data-testid=word-file]");
  tools.querySelector("[data-testid=load-words]").addEventListener("click", () => file.click());
  file.addEventListener("change", (e) => form.loadFile(e.target));
  tools.querySelector("[data-testid=download-words]").addEventListener("click", () => form.download());
  // (What the player changed in written fields before this script ran follows now.)
  form.renderApplies();
  if (written) {
    form.renderDrawTime();
    form.updateWordCount();
  }
  if (onField) form.listen(onField);
  return form;
}

class SettingsFields {
  constructor(inputs, errors, container) {
    this.inputs = inputs;
    this.errors = errors;
    this.container = container;
    this.timers = {};
    this.languages = [];
    this.packs = []; // the setting as last read or written: [] means every pack
    this.hiddenWords = null; // custom_words_count when this page is not given the words
  }

  /** The field's value, or {error} when it is not valid. */
  readField(name) {
    const spec = SETTINGS.find((s) => s.name === name);
    const input = this.inputs[name];
    if (spec.kind === "int") {
      if (spec.nullable && input.value.trim() === "") return { value: null };
      const error = intError(this.limits(spec), input.value.trim());
      return error ? { error } : { value: Number(input.value) };
    }
    if (spec.kind === "bool") return { value: input.checked };
    if (spec.kind === "words") {
      const words = parseWords(input.value);
      const error = wordsError(words);
      return error ? { error } : { value: words };
    }
    if (spec.kind === "packs") {
      const boxes = [...input.querySelectorAll("input[type=checkbox]")];
      const on = boxes.filter((b) => b.checked).map((b) => b.value);
      if (boxes.length && !on.length) return { error: t("set.packsNone") };
      return { value: on.length === boxes.length ? [] : on };
    }
    return { value: input.value };
  }

  /** An int field's range: a relaxed room's draw time goes further. */
  limits(spec) {
    if (spec.name !== "draw_time_s" || !this.inputs.relaxed.checked) return spec;
    return { ...spec, max: RELAXED_MAX_DRAW_TIME_S };
  }

  /** The draw time's range as the relaxed box says; a long time is cut when it is unticked. */
  renderDrawTime() {
    const spec = this.limits(SETTINGS.find((s) => s.name === "draw_time_s"));
    const input = this.inputs.draw_time_s;
    input.max = String(spec.max);
    const hint = input.parentElement.querySelector(".range-hint");
    if (hint) hint.textContent = `${spec.min}–${spec.max}`;
    if (Number(input.value) > spec.max) input.value = String(spec.max);
  }

  /** Whether a field applies to the mode (and first page) the form shows now. */
  applies(spec) {
    return applies(spec, this.inputs.mode.value, this.inputs.first_page.value);
  }

  /**
   * All fields as a Settings object, or null after marking the invalid ones. A field that
   * does not apply to the chosen mode is sent when valid and left out (unmarked) when not.
   */
  read() {
    const settings = {};
    let ok = true;
    for (const spec of SETTINGS) {
      if (spec.name === "custom_words" && this.hiddenWords !== null) continue;
      const { value, error } = this.readField(spec.name);
      const counts = this.applies(spec);
      this.setError(spec.name, counts ? error : null);
      if (error && counts) ok = false;
      else if (!error) settings[spec.name] = value;
    }
    const customOnly = SETTINGS.find((spec) => spec.name === "custom_only");
    if (ok && this.applies(customOnly) && settings.custom_only
        && (settings.custom_words?.length ?? 0) < MIN_CUSTOM_ONLY_WORDS) {
      this.setError("custom_only", t("set.needCustom", { min: MIN_CUSTOM_ONLY_WORDS }));
      ok = false;
    }
    return ok ? settings : null;
  }

  /** Show settings from the server; the field being edited keeps what is typed. */
  write(settings, { keepFocused = true } = {}) {
    // Only the host is given the custom words; others get their count.
    const hidden = settings && !("custom_words" in settings) && "custom_words_count" in settings;
    this.hiddenWords = hidden ? settings.custom_words_count : null;
    if (hidden) this.inputs.custom_words.value = "";
    for (const [name, value] of Object.entries(settings ?? {})) {
      const input = this.inputs[name];
      if (name === "packs") {
        this.packs = Array.isArray(value) ? value : [];
        continue;
      }
      if (!input || (keepFocused && (document.activeElement === input))) continue;
      if (input.type === "checkbox") input.checked = Boolean(value);
      else if (Array.isArray(value)) input.value = value.join("\n");
      else {
        if (input.tagName === "SELECT") this.ensureOption(input, value);
        input.value = value === null ? "" : String(value);
      }
      this.setError(name, null);
    }
    this.renderApplies();
    this.renderPacks();
    this.renderDrawTime();
    this.updateWordCount();
  }

  ensureOption(select, value) {
    if (![...select.options].some((o) => o.value === value)) select.append(h("option", { value, text: value }));
  }

  setLanguages(languages, selected) {
    this.languages = languages;
    const select = this.inputs.language;
    const current = selected ?? select.value;
    const codes = languages.map((l) => l.code);
    // (Options the server wrote are these already.)
    if ([...select.options].map((o) => o.value).join() !== codes.join()) {
      select.replaceChildren(...languages.map((l) =>
        h("option", { value: l.code, text: l.words ? t("set.languageWords", { name: l.name, count: l.words }) : l.name })));
    }
    this.ensureOption(select, current || "en");
    select.value = current || "en";
    this.renderPacks();
  }

  /** Show the fields that apply to the chosen mode, and the chosen mode's one-line explanation. */
  renderApplies() {
    for (const spec of SETTINGS) {
      const row = this.container.querySelector(`[data-field="${spec.name}"]`);
      if (row && spec.kind !== "packs") row.hidden = !this.applies(spec);
    }
    for (const note of this.container.querySelectorAll("[data-notes]")) {
      const input = this.inputs[note.closest("[data-field]").dataset.field];
      const text = t(`${note.dataset.notes}.${input.value}`);
      if (note.textContent !== text) note.textContent = text;
    }
    this.renderPacks();
  }

  /** The pack checkboxes of the chosen language, with their word counts at the chosen difficulty. */
  renderPacks() {
    const box = this.inputs.packs;
    const before = [...box.querySelectorAll("input[type=checkbox]")];
    // The word lists not known yet: the packs the server wrote (if any) stay as they are.
    if (!this.languages.length && before.length) return;
    if (before.length && box.contains(document.activeElement)) this.packs = this.readField("packs").value ?? this.packs;
    const language = this.languages.find((l) => l.code === this.inputs.language.value);
    const level = this.inputs.difficulty.value;
    const packs = (language?.packs ?? []).map((p) => {
      const words = p.words ?? {};
      const count = level === "mixed" ? Object.values(words).reduce((a, b) => a + b, 0) : (words[level] ?? 0);
      return { ...p, count, checked: !this.packs.length || this.packs.includes(p.id) };
    });
    box.closest(".field").hidden = !packs.length || !this.applies(SETTINGS.find((spec) => spec.name === "packs"));
    const shown = before.map((b) => `${b.value} ${b.dataset.count} ${b.checked} ${b.disabled}`).join();
    if (shown === packs.map((p) => `${p.id} ${p.count} ${p.checked} ${box.disabled}`).join()) {
      return; // (as shown already: the focus stays where it is)
    }
    const id = box.id;
    const items = packs.map((p) => {
      const name = t(`pack.${p.id}`) === `pack.${p.id}` ? p.name : t(`pack.${p.id}`);
      return h("label", { class: "check pack", for: `${id}-${p.id}` },
        h("input", { type: "checkbox", id: `${id}-${p.id}`, value: p.id, checked: p.checked, disabled: box.disabled,
          dataset: { testid: "pack-option", count: String(p.count) } }),
        h("span", { text: t("set.packCount", { name, count: p.count }) }));
    });
    box.replaceChildren(h("legend", { text: t("set.packs") }), ...items);
  }

  /** Read a chosen word file through the server and add its words to the custom words. */
  async loadFile(input) {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    const report = this.inputs.custom_words.parentElement.querySelector("[data-testid=word-report]");
    if (file.size > MAX_WORD_FILE_BYTES) {
      report.replaceChildren(h("p", { class: "field-error", text: t("words.tooBig") }));
      return;
    }
    let answer;
    try {
      answer = await api.parseWordFile(await file.text());
    } catch (err) {
      report.replaceChildren(h("p", { class: "field-error", text: t("words.failed", { message: err.message }) }));
      return;
    }
    const have = parseWords(this.inputs.custom_words.value);
    const known = new Set(have.map((w) => w.toLocaleLowerCase()));
    const added = answer.words.filter((w) => !known.has(w.toLocaleLowerCase()));
    const room = Math.max(0, MAX_CUSTOM_WORDS - have.length);
    const taken = added.slice(0, room);
    this.inputs.custom_words.value = [...have, ...taken].join("\n");
    this.inputs.custom_words.dispatchEvent(new Event("input", { bubbles: true }));
    this.inputs.custom_words.dispatchEvent(new Event("change", { bubbles: true }));
    report.replaceChildren(...fileReport(file.name, answer, taken.length, added.length - taken.length,
      answer.words.length - added.length));
  }

  /** Save the custom words as a text file, one a line. */
  download() {
    const words = parseWords(this.inputs.custom_words.value);
    const blob = new Blob([`${words.join("\n")}\n`], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: "drawgame-words.txt" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
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
    for (const button of this.inputs.custom_words.parentElement.querySelectorAll(".word-buttons button")) {
      button.disabled = disabled;
    }
  }

  updateWordCount() {
    const note = this.inputs.custom_words.parentElement.querySelector(".words-count");
    const n = parseWords(this.inputs.custom_words.value).length;
    const hidden = this.hiddenWords;
    const text = hidden === null ? t("set.words", { count: n }) : t("set.customHidden", { count: hidden });
    if (note && note.textContent !== text) note.textContent = text;
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

/** What a word file gave: how many words were taken, and which entries were refused and why. */
function fileReport(name, answer, taken, overLimit, known) {
  const out = [h("p", { class: "word-taken", dataset: { taken: String(taken) }, text: t("words.taken", { count: taken, file: name }) })];
  if (known) out.push(h("p", { class: "field-note", text: t("words.known", { count: known }) }));
  const refused = answer.refused ?? [];
  const total = (answer.refused_total ?? refused.length) + overLimit;
  if (!total) return out;
  out.push(h("p", { class: "word-refused-title", text: t("words.refused", { count: total }) }));
  out.push(h("ul", { class: "word-refused" }, refused.slice(0, REFUSALS_SHOWN).map((r) => h("li", {
    dataset: { code: r.code, line: String(r.line) },
  }, h("span", { class: "muted", text: `${t("words.line", { line: r.line })}: ` }), h("q", { text: r.text }), " ",
  t(`wordfile.${r.code}`) === `wordfile.${r.code}` ? r.message : t(`wordfile.${r.code}`)))));
  const rest = total - Math.min(refused.length, REFUSALS_SHOWN);
  if (rest > 0) out.push(h("p", { class: "field-note", text: t("words.more", { count: rest }) }));
  return out;
}
