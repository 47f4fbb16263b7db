// The interface's language: every text the client shows comes from a table in
// locales/<code>.js, looked up with t("key", {params}). The language is the one
// picked before (localStorage `drawgame.lang`), else the browser's first that
// we have, else English; English fills any key a table lacks. Arabic, Hebrew
// and Persian are written right to left: <html dir="rtl"> mirrors the layout.
// The server writes each page in that language already (drawgame/web/locales.py):
// it reads the pick from the `drawgame.lang` cookie, kept here beside localStorage,
// and puts the language's table in the page (`#drawgame-texts`, English filling what
// it lacks), so that no table comes over the network unless another language is used.

import { url } from "./paths.js";

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

/** The texts the server put in the page: {lang, texts}, or null. */
function embedded() {
  const el = document.getElementById("drawgame-texts");
  if (!el) return null;
  try {
    const given = JSON.parse(el.textContent);
    return given && typeof given.texts === "object" ? given : null;
  } catch {
    return null;
  }
}

const KEY = "drawgame.lang";
const given = embedded();
let code = given?.lang ?? "en";
let table = given?.texts ?? {};
let en = table; // English, for what the table lacks (the page's own table holds it already)
let plurals = new Intl.PluralRules(code);

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

const known = (c) => LANGUAGES.some(([k]) => k === c);

/** The language the server wrote this page in (from the browser's languages), or null. */
function served() {
  const lang = document.documentElement.lang;
  return document.querySelector('meta[name="drawgame-root"]') && known(lang) ? lang : null;
}

/**
 * The language to use: the stored choice, else the one the server chose for this page
 * (the browser's first known one, as the server saw them), else the browser's first
 * known one, else English.
 */
export function detect(choice = stored(), preferred = navigator.languages ?? [navigator.language]) {
  if (choice && known(choice)) {
    keepCookie(choice);
    return choice;
  }
  const page = served();
  if (page) return page;
  for (const tag of preferred ?? []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (known(base)) return base;
  }
  return "en";
}

/** Load the table of `lang` (English stays the fallback) and put it in force. */
export async function use(lang) {
  const wanted = known(lang) ? lang : "en";
  if (given?.lang === wanted) {
    table = given.texts;
    en = table;
  } else {
    const [own, english] = await Promise.all([import(`./locales/${wanted}.js`), import("./locales/en.js")]);
    table = own.default;
    en = english.default;
  }
  code = wanted;
  plurals = new Intl.PluralRules(code);
  document.documentElement.lang = code;
  document.documentElement.dir = direction(code);
}

/** Pick a language for good: remembered in this browser (and told to the server). */
export function choose(lang) {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
  keepCookie(lang);
}

const COOKIE_MAX_AGE_S = 365 * 24 * 3600;

/** The `drawgame.lang` cookie holding `lang`, so that the server writes pages in it. */
function keepCookie(lang) {
  if (document.cookie.split("; ").includes(`${KEY}=${lang}`)) return;
  document.cookie = `${KEY}=${lang}; path=${url("/")}; max-age=${COOKIE_MAX_AGE_S}; samesite=lax`;
}

export const language = () => code;

/** The language the server wrote this page's text in (null: a page with no texts of its own). */
export const pageLanguage = () => given?.lang ?? null;

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
  if (root === document && given?.lang === code) return; // the server wrote the page in it
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
  // The server writes the options into its pages; a page without them gets them here.
  if (select.options.length !== LANGUAGES.length) select.replaceChildren(...LANGUAGES.map(([value, name]) => {
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
