// The drawer's toolbar: tools, widths, palette, undo and clear, with shortcuts.
//
// To add a tool: add an entry to TOOLS (name, label, icon, key), teach
// DrawInput.down() what the tool does on the canvas, and give it a data-testid.

import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";

/** The tools; each is named by `tools.<name>`. */
export const TOOLS = [
  { name: "pen", icon: "pen", key: "b" },
  { name: "eraser", icon: "eraser", key: "e" },
  { name: "fill", icon: "fill", key: "f" },
];

export const WIDTHS = [3, 6, 12, 24, 44];

/** The palette: [colour, name]; each name is `colour.<name>`. */
export const PALETTE = [
  ["#ffffff", "white"], ["#c1c1c7", "lightGrey"], ["#f44336", "red"], ["#ff9800", "orange"], ["#ffeb3b", "yellow"],
  ["#8bc34a", "lightGreen"], ["#4caf50", "green"], ["#26c6da", "cyan"], ["#2196f3", "blue"], ["#7e57c2", "purple"],
  ["#ec407a", "pink"], ["#ffccbc", "peach"], ["#d7a86e", "tan"], ["#ffe0b2", "skin"],
  ["#1b1b1f", "black"], ["#5f5f68", "darkGrey"], ["#b71c1c", "darkRed"], ["#e65100", "darkOrange"], ["#f9a825", "mustard"],
  ["#558b2f", "olive"], ["#1b5e20", "darkGreen"], ["#00838f", "darkCyan"], ["#1a237e", "navy"], ["#4a148c", "darkPurple"],
  ["#ad1457", "darkPink"], ["#ff8a65", "salmon"], ["#8d6e63", "brown"], ["#4e342e", "darkBrown"],
];

/**
 * Build the toolbar into `root`, wired to a DrawInput.
 * Returns {update()} to refresh pressed states.
 */
export function buildToolbar(root, input) {
  const parts = {
    tools: TOOLS.map((t) => toolButton(t, input)),
    widths: WIDTHS.map((w, i) => widthButton(w, i, input)),
    swatches: PALETTE.map(([c, name]) => swatch(c, name, input)),
  };
  const picker = h("input", { type: "color", class: "colour-picker", value: input.colour,
    "aria-label": t("tools.custom"), title: t("tools.custom"), dataset: { testid: "color-picker" } });
  picker.addEventListener("input", () => { input.colour = picker.value; update(); });
  const undo = actionButton("tool-undo", t("tools.undo"), "undo", () => input.undo());
  const clear = actionButton("tool-clear", t("tools.clear"), "trash", () => input.clear());
  const current = h("span", { class: "current-colour", "aria-hidden": "true" });
  const groups = [
    rovingGroup("tools", t("tools.tools"), parts.tools),
    rovingGroup("widths", t("tools.sizes"), parts.widths),
    rovingGroup("palette", t("tools.colours"), [...parts.swatches, picker], { columns: PALETTE.length / 2, before: current }),
    rovingGroup("actions", t("tools.actions"), [undo, clear]),
  ];
  root.replaceChildren(...groups.map((g) => g.el));

  function update() {
    for (const b of parts.tools) b.setAttribute("aria-pressed", String(b.dataset.tool === input.tool));
    for (const b of parts.widths) b.setAttribute("aria-pressed", String(Number(b.dataset.width) === input.width));
    for (const b of parts.swatches) b.setAttribute("aria-pressed", String(b.dataset.colour === input.colour));
    current.style.background = input.colour;
    if (picker.value !== input.colour) picker.value = input.colour;
    root.dataset.tool = input.tool;
    for (const g of groups) g.settle();
  }
  root.addEventListener("click", (e) => { if (e.target.closest("button")) update(); });
  update();
  return { update };
}

/**
 * A group of the toolbar with one Tab stop: arrow keys move between its items
 * (Up and Down by a row where it has `columns`), Home and End to the ends. The
 * Tab stop is the pressed item, or the one last focused.
 */
function rovingGroup(name, label, items, { columns = 0, before = null } = {}) {
  const el = h("div", { class: `tool-group ${name}`, role: "group", "aria-label": label }, before, items);
  let current = items[0];
  const focus = (item) => {
    current = item;
    settle();
    item.focus();
  };
  function settle() {
    if (!el.contains(document.activeElement)) current = items.find((b) => b.getAttribute("aria-pressed") === "true") ?? current;
    for (const item of items) item.tabIndex = item === current ? 0 : -1;
  }
  el.addEventListener("focusin", (e) => {
    if (items.includes(e.target)) {
      current = e.target;
      settle();
    }
  });
  el.addEventListener("keydown", (e) => {
    const i = items.indexOf(e.target);
    if (i < 0) return;
    const ahead = getComputedStyle(el).direction === "rtl" ? -1 : 1; // the row runs right to left
    const step = { ArrowRight: ahead, ArrowLeft: -ahead, ArrowDown: columns || 1, ArrowUp: -(columns || 1) }[e.key];
    let next = null;
    if (step) next = items[Math.min(items.length - 1, Math.max(0, i + step))];
    else if (e.key === "Home") next = items[0];
    else if (e.key === "End") next = items.at(-1);
    if (!next) return;
    e.preventDefault();
    focus(next);
  });
  settle();
  return { el, settle };
}

function toolButton(tool, input) {
  const title = t("tools.withKey", { tool: t(`tools.${tool.name}`), key: tool.key.toUpperCase() });
  return h("button", {
    type: "button", class: "tool-btn", title, "aria-label": title,
    dataset: { testid: `tool-${tool.name}`, tool: tool.name },
    on: { click: () => { input.tool = tool.name; } },
  }, icon(tool.icon));
}

function widthButton(width, index, input) {
  const title = t("tools.size", { width, key: index + 1 });
  const dot = h("span", { class: "width-dot", "aria-hidden": "true" });
  dot.style.width = dot.style.height = `${Math.min(26, 3 + width * 0.5)}px`;
  return h("button", {
    type: "button", class: "tool-btn width-btn", title, "aria-label": title,
    dataset: { testid: "size-option", width: String(width) },
    on: { click: () => { input.width = width; if (input.tool === "fill") input.tool = "pen"; } },
  }, dot);
}

function swatch(colour, name, input) {
  const button = h("button", {
    type: "button", class: "swatch", title: t(`colour.${name}`), "aria-label": t("tools.colour", { name: t(`colour.${name}`) }),
    dataset: { testid: "color-swatch", colour },
    on: { click: () => { input.colour = colour; if (input.tool === "eraser") input.tool = "pen"; } },
  });
  button.style.setProperty("--swatch", colour);
  return button;
}

function actionButton(testid, title, iconName, action) {
  return h("button", { type: "button", class: "tool-btn", title, "aria-label": title,
    dataset: { testid }, on: { click: action } }, icon(iconName));
}

/** Keyboard shortcuts: B pen, E eraser, F fill, 1-5 widths, Ctrl+Z undo. */
export function bindShortcuts(input, toolbar, isActive) {
  document.addEventListener("keydown", (e) => {
    if (!isActive() || isTyping(e.target)) return;
    const key = shortcutKey(e);
    if ((e.ctrlKey || e.metaKey) && key === "z") {
      e.preventDefault();
      input.undo();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tool = TOOLS.find((t) => t.key === key);
    if (tool) input.tool = tool.name;
    else if (/^[1-5]$/.test(key)) input.width = WIDTHS[Number(key) - 1];
    else return;
    e.preventDefault();
    toolbar.update();
  });
}

/**
 * The shortcut a key press means: the Latin letter or digit it types, else the one printed
 * beside it on the key (KeyB, Digit1), so B, E, F and 1-5 work on Arabic, Hebrew, Persian,
 * Russian or Greek keyboards too.
 */
function shortcutKey(e) {
  const typed = e.key.toLowerCase();
  if (/^[a-z0-9]$/.test(typed)) return typed;
  const physical = /^(?:Key([A-Z])|Digit([0-9]))$/.exec(e.code ?? "");
  return physical ? (physical[1] ?? physical[2]).toLowerCase() : typed;
}

const NON_TEXT_INPUTS = new Set(["button", "checkbox", "color", "radio", "range", "submit"]);

function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === "INPUT") return !NON_TEXT_INPUTS.has(target.type);
  return target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
}
