// The interface's language: every text the client shows comes from a table in
// locales/<code>.js, looked up with t("key", {params}). The language is the one
// picked before (localStorage `drawgame.lang`), else the browser's first that
// we have, else English; English fills any key a table lacks. Arabic, Hebrew
// and Persian are written right to left: <html dir="rtl"> mirrors the layout.

import en from "./locales/en.js";

/** The languages the interface speaks, each named in itself. */
export const LANGUAGES = Object.freeze([
  ["en", "English"], ["de", "Deutsch"], ["fr", "Français"], ["es", "Español"], ["it", "Italiano"],
  ["pt", "Português"], ["nl", "Nederlands"], ["pl", "Polski"], ["sv", "Svenska"], ["tr", "Türkçe"],
  ["ru", "Русский"], ["uk", "Українська"], ["el", "Ελληνικά"], ["ar", "العربية"], ["he", "עברית"],
  ["fa", "فارسی"],
]);

/** Languages written right to left (interface and word lists alike). */
const RTL = new Set(["ar", "he", "fa"]);

/** "rtl" or "ltr": the direction a language is written in (its code or a BCP 47 tag). */
export const direction = (lang) => (RTL.has(String(lang ?? "").toLowerCase().split("-")[0]) ? "rtl" : "ltr");

const STRONG = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]|(\p{L})/u;

/**
 * The direction of a word or hint: that of its first letter, else (a hint of blanks
 * only) that of `lang`, the room's word language. A hint's blanks must run the way
 * its word is written, which they cannot tell by themselves.
 */
export function textDirection(text, lang) {
  const first = STRONG.exec(String(text ?? ""));
  if (!first) return direction(lang);
  return first[1] === undefined ? "rtl" : "ltr";
}

// First strong isolate ... pop directional isolate: a name or word put into a sentence
// of a right-to-left page keeps its own order ("Bob!" stays "Bob!") and moves nothing
// around it.
const FSI = "\u2068";
const PDI = "\u2069";

const KEY = "drawgame.lang";
let code = "en";
let table = en;
let plurals = new Intl.PluralRules("en");

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

const known = (c) => LANGUAGES.some(([k]) => k === c);

/** The language to use: the stored choice, else the browser's first known one, else English. */
export function detect(choice = stored(), preferred = navigator.languages ?? [navigator.language]) {
  if (choice && known(choice)) return choice;
  for (const tag of preferred ?? []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (known(base)) return base;
  }
  return "en";
}

/** Load the table of `lang` (English stays the fallback) and put it in force. */
export async function use(lang) {
  code = known(lang) ? lang : "en";
  table = code === "en" ? en : (await import(`./locales/${code}.js`)).default;
  plurals = new Intl.PluralRules(code);
  document.documentElement.lang = code;
  document.documentElement.dir = direction(code);
}

/** Pick a language for good: remembered in this browser. */
export function choose(lang) {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
}

export const language = () => code;

/**
 * The text of `key` with {name} placeholders filled from `params`. With a
 * numeric `count`, the key's plural form is used (`key.one`, `key.few`, ...,
 * `key.other`, as Intl.PluralRules names them for the language). On a
 * right-to-left page each text param is a bidi isolate (names, words and room
 * codes in any script stay whole); numbers are left as they are.
 */
export function t(key, params = {}) {
  let text;
  if (typeof params.count === "number") {
    const form = `${key}.${plurals.select(params.count)}`;
    text = table[form] ?? table[`${key}.other`] ?? en[`${key}.${new Intl.PluralRules("en").select(params.count)}`];
  }
  text ??= table[key] ?? en[key];
  if (text === undefined) {
    console.warn("no text for", key);
    return key;
  }
  const isolate = direction(code) === "rtl";
  return text.replace(/\{(\w+)\}/g, (all, name) => {
    if (!(name in params)) return all;
    const value = String(params[name]);
    return isolate && typeof params[name] === "string" ? FSI + value + PDI : value;
  });
}

/**
 * Fill the page's own text: `data-i18n="key"` sets an element's text,
 * `data-i18n-attr="attr:key attr:key"` its attributes.
 */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key));
    }
  }
}

/** A <select> of the interface's languages; picking one remembers it and reloads the page. */
export function languagePicker(select) {
  select.replaceChildren(...LANGUAGES.map(([value, name]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = name;
    option.lang = value;
    option.dir = direction(value);
    return option;
  }));
  select.value = code;
  select.addEventListener("change", () => {
    choose(select.value);
    window.location.reload();
  });
}

/** A list of names the language's way: "Ada, Bob, Cy", "آدا، وBob، وCy", "Ada, Bob und Cy". */
export const listOf = (items) => new Intl.ListFormat(code, { type: "unit", style: "short" }).format(items);

/** Format a number the language's way. */
export const num = (n) => new Intl.NumberFormat(code).format(n);
