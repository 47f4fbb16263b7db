// The chat log: player lines, the `guessed` channel, system, correct and close lines.
// All player text is set with textContent.

import { h } from "./dom.js";
import { CHANNEL } from "./protocol.js";
import { t } from "./i18n.js";
import { avatarEl } from "./avatars.js";

const MAX_LINES = 300;

// The server's own system lines, put in the page's language: [ending, key].
const SERVER_LINES = [
  [" was kicked", "chat.kicked"], // the server's words
  [" joined", "chat.joined"],
  [" left", "chat.left"],
];

/** A system line from the server in the page's language (unknown ones as they came). */
export function serverLine(text) {
  const line = String(text ?? "");
  for (const [ending, key] of SERVER_LINES) {
    if (line.endsWith(ending) && line.length > ending.length) return t(key, { name: line.slice(0, -ending.length) });
  }
  return line;
}

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
    if (channel === CHANNEL.SYSTEM || !from) return this.system(serverLine(text));
    const guessed = channel === CHANNEL.GUESSED;
    return this.add("chat", channel, [
      guessed ? h("span", { class: "channel-tag", title: t("chat.guessedTitle"), text: t("chat.guessedTag") }) : null,
      avatarEl(from, name, { cls: "avatar-sm" }),
      h("span", { class: `msg-name${from === meId ? " is-me" : ""}` }, h("bdi", { text: name ?? "?" })),
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
    const who = isMe ? t("chat.youGuessed") : t("chat.theyGuessed", { name });
    const li = this.add("correct", CHANNEL.SYSTEM, [
      h("span", { class: "msg-text", text: who }),
      points ? h("span", { class: "msg-points", text: `+${points}` }) : null,
    ], "msg-correct");
    if (isMe) li.dataset.mine = "";
    return li;
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
