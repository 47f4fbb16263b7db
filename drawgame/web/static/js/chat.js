// The chat log: player lines, the `guessed` channel, system, correct and close lines.
// All player text is set with textContent.

import { h } from "./dom.js";
import { CHANNEL } from "./protocol.js";

const MAX_LINES = 300;

export class ChatLog {
  /**
   * @param {HTMLElement} root the scrolling `role=log` box
   * @param {HTMLElement} list the <ol> inside it that holds the lines
   */
  constructor(root, list) {
    this.root = root;
    this.list = list;
  }

  clear() {
    this.list.replaceChildren();
  }

  /** A chat message from the server: {from, name, text, channel}. */
  chat({ from, name, text, channel }, meId) {
    if (channel === CHANNEL.SYSTEM || !from) return this.system(text);
    const guessed = channel === CHANNEL.GUESSED;
    return this.add("chat", channel, [
      guessed ? h("span", { class: "channel-tag", title: "Only the drawer and players who guessed see this", text: "guessed" }) : null,
      h("span", { class: `msg-name${from === meId ? " is-me" : ""}`, text: name ?? "?" }),
      h("span", { class: "msg-text", text }),
    ], guessed ? "msg-guessed" : "");
  }

  system(text) {
    return this.add("system", CHANNEL.SYSTEM, [h("span", { class: "msg-text", text })], "msg-system");
  }

  notice(text) {
    return this.add("notice", CHANNEL.SYSTEM, [h("span", { class: "msg-text", text })], "msg-notice");
  }

  correct(name, points, isMe) {
    const who = isMe ? "You guessed the word!" : `${name} guessed the word!`;
    return this.add("correct", CHANNEL.SYSTEM, [
      h("span", { class: "msg-text", text: who }),
      points ? h("span", { class: "msg-points", text: `+${points}` }) : null,
    ], "msg-correct");
  }

  close(text) {
    return this.add("close", CHANNEL.SYSTEM, [h("span", { class: "msg-text", text })], "msg-close");
  }

  add(kind, channel, children, cls) {
    const stick = this.nearBottom();
    const li = h("li", { class: `msg ${cls}`.trim(), dataset: { kind, channel } }, children);
    this.list.append(li);
    while (this.list.childElementCount > MAX_LINES) this.list.firstElementChild.remove();
    if (stick) this.root.scrollTop = this.root.scrollHeight;
    return li;
  }

  nearBottom() {
    const r = this.root;
    return r.scrollHeight - r.scrollTop - r.clientHeight < 60;
  }
}
