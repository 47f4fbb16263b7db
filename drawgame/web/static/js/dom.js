// Small DOM helpers. Player text always goes in through textContent.

/**
 * Build an element: h("button", {class: "x", dataset: {testid: "y"}, on: {click}}, ...children).
 * String children become text nodes, so player text is never parsed as HTML.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "on") addListeners(el, value);
    else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function addListeners(el, handlers) {
  for (const [event, fn] of Object.entries(handlers)) el.addEventListener(event, fn);
}

/** Append children (nodes, strings, arrays, null) to a parent. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of an element. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** A form of the server's sent before the page's script took it (boot.js held it, marking
 * it `data-pending`): sent now, to the script's own listener. */
export function sendPending(form) {
  if (!form.hasAttribute("data-pending")) return;
  form.removeAttribute("data-pending");
  form.requestSubmit();
}

/** Show or hide an element through the `hidden` attribute. */
export function show(el, visible = true) {
  if (el) el.hidden = !visible;
}

/** A short transient message at the bottom of the screen. */
export function toast(text, kind = "info", ms = 3500) {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const item = h("div", { class: `toast toast-${kind}`, text });
  box.append(item);
  setTimeout(() => item.remove(), ms);
}

/** True when the user asked the system for less motion. */
export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/** Copy text to the clipboard, falling back to selecting an input. */
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackInput) {
      fallbackInput.select();
      return document.execCommand("copy");
    }
    // No input to show (streamer mode hides it): copy from an off-screen one, unseen.
    const hidden = h("textarea", { class: "sr-only", readonly: true, "aria-hidden": "true", tabindex: "-1" });
    hidden.value = text;
    document.body.append(hidden);
    hidden.select();
    const done = document.execCommand("copy");
    hidden.remove();
    return done;
  }
}

/** Format a count of milliseconds as whole seconds left, never negative. */
export function secondsLeft(ms) {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * Wait for a task of its own: a page that builds much at its start does it in pieces,
 * so that a tap or a key is answered between any two (a phone takes four times as long).
 */
export function nextTask() {
  if (globalThis.scheduler?.yield) return globalThis.scheduler.yield();
  return new Promise((resolve) => { setTimeout(resolve, 0); });
}
