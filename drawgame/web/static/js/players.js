// The player list: face, name, score, host, drawer, guessed, done (a telephone page),
// disconnected, muted (for the host), and a menu for kick, mute, hide face, vote kick and
// transfer host where the viewer may use them. Relaxed rooms show no scores or ranks and
// keep the join order.

import { h, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { avatarEl } from "./avatars.js";

/** Players sorted for display: players by score (by joining in relaxed rooms), spectators last. */
export function sortPlayers(players, relaxed = false) {
  return players
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.spectator - b.p.spectator) || (relaxed ? 0 : b.p.score - a.p.score) || (a.i - b.i))
    .map(({ p }) => p);
}

export class PlayerList {
  /**
   * @param {HTMLElement} root the <ul data-testid="player-list">
   * @param {{kick, voteKick, transferHost, mute, hideAvatar}} actions each takes a player id
   *   (mute and hideAvatar: and on/off)
   */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.menu = null;
    this.muted = new Set();
    this.relaxed = false;
    document.addEventListener("click", (e) => {
      if (this.menu && !this.menu.contains(e.target) && !e.target.closest(".pmenu-btn")) this.closeMenu();
    });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") this.closeMenu(true); });
  }

  /**
   * Render from the current state: {players, meId, votes: Map, ranked, relaxed, muted: Set};
   * ranks only when `ranked`, no scores at all when `relaxed`.
   */
  render({ players, meId, votes, ranked, relaxed = false, muted = new Set() }) {
    this.closeMenu();
    this.muted = muted;
    this.relaxed = relaxed;
    if (relaxed) ranked = false;
    const me = players.find((p) => p.id === meId);
    let rank = 0;
    let lastScore = null;
    const items = sortPlayers(players, relaxed).map((p, i) => {
      if (!p.spectator && p.score !== lastScore) rank = i + 1;
      lastScore = p.score;
      return this.item(p, ranked && !p.spectator ? rank : null, me, votes?.get(p.id), ranked);
    });
    replaceChildren(this.root, items);
  }

  /** One player: the name on its own line; rank, score and small badges below it. */
  item(p, rank, me, vote, ranked) {
    const isMe = me && p.id === me.id;
    const classes = ["player", isMe && "is-me", p.drawer && "is-drawer", p.guessed && "is-guessed",
      !p.connected && "is-offline", p.spectator && "is-spectator"].filter(Boolean).join(" ");
    const avatar = avatarEl(p.id, p.name);
    let score = null;
    if (p.spectator) score = t("players.watching");
    else if (ranked) score = t("players.points", { count: p.score });
    const li = h("li", {
      class: classes, title: p.name,
      dataset: { testid: "player-item", playerId: p.id, score: this.relaxed ? "" : String(p.score), host: String(p.host),
        drawer: String(p.drawer), guessed: String(p.guessed), done: String(Boolean(p.done)), connected: String(p.connected),
        muted: String(this.muted.has(p.id)) },
    },
    avatar,
    h("span", { class: "pname" }, h("span", { class: "pname-text", text: p.name }),
      isMe ? h("span", { class: "you", text: ` ${t("players.you")}` }) : null),
    h("span", { class: "pmeta" },
      rank ? h("span", { class: "rank", text: `#${rank}` }) : null,
      score ? h("span", { class: "pscore", text: score }) : null,
      this.badges(p, vote)),
    this.menuButton(p, me));
    li.setAttribute("aria-label", describe(p, isMe, rank, ranked));
    return li;
  }

  badges(p, vote) {
    const list = [];
    if (p.host) list.push(badge("crown", "host", t("players.host")));
    if (p.drawer) list.push(badge("pen", "drawer", t("players.drawing")));
    if (p.guessed) list.push(badge("check", "guessed", t("players.guessed")));
    if (p.done) list.push(badge("check", "done", t("players.done")));
    if (!p.connected) {
      list.push(h("span", { class: "badge badge-text badge-offline", title: t("players.disconnected"), text: t("players.offline") }));
    }
    if (this.muted.has(p.id)) {
      list.push(h("span", { class: "badge badge-text badge-muted", title: t("players.mutedNote"), text: t("players.muted") }));
    }
    if (vote) {
      list.push(h("span", { class: "badge badge-text badge-vote", title: t("players.votes"),
        text: t("players.kickVotes", { votes: vote.votes, needed: vote.needed }) }));
    }
    return list;
  }

  allowed(p, me) {
    if (!me || p.id === me.id) return [];
    const out = [];
    if (me.host) {
      const muted = this.muted.has(p.id);
      out.push([muted ? t("players.unmute") : t("players.mute"), () => this.actions.mute(p.id, !muted)]);
      out.push([t("players.kick"), () => this.actions.kick(p.id), "danger"]);
      if (!p.spectator) out.push([t("players.makeHost"), () => this.actions.transferHost(p.id)]);
      // A drawing cannot be filtered like a word: the host may hide a face for the room.
      if (this.actions.hideAvatar && (p.avatar === "shown" || p.avatar === "hidden")) {
        const hidden = p.avatar === "hidden";
        out.push([hidden ? t("players.showAvatar") : t("players.hideAvatar"), () => this.actions.hideAvatar(p.id, !hidden)]);
      }
    } else if (!me.spectator) {
      out.push([t("players.voteKick"), () => this.actions.voteKick(p.id), "danger"]);
    }
    return out;
  }

  menuButton(p, me) {
    const actions = this.allowed(p, me);
    if (!actions.length) return null;
    const button = h("button", { type: "button", class: "icon-btn pmenu-btn", "aria-haspopup": "menu",
      "aria-expanded": "false", "aria-label": t("players.actionsFor", { name: p.name }), title: t("players.actions") },
    icon("more", 18));
    button.addEventListener("click", () => this.toggleMenu(button, actions));
    return button;
  }

  toggleMenu(button, actions) {
    const open = this.menu?.owner === button;
    this.closeMenu();
    if (open) return;
    const items = actions.map(([label, run, kind]) => h("button", {
      type: "button", role: "menuitem", class: `menu-item${kind ? ` menu-${kind}` : ""}`, text: label,
      on: { click: () => { this.closeMenu(true); run(); } },
    }));
    this.menu = h("div", { class: "pmenu", role: "menu" }, items);
    this.menu.owner = button;
    button.setAttribute("aria-expanded", "true");
    button.closest("li").append(this.menu);
    items[0].focus();
    this.menu.addEventListener("keydown", (e) => moveFocus(e, items));
  }

  closeMenu(refocus = false) {
    if (!this.menu) return;
    const owner = this.menu.owner;
    owner.setAttribute("aria-expanded", "false");
    this.menu.remove();
    this.menu = null;
    if (refocus && owner.isConnected) owner.focus();
  }
}

function badge(iconName, kind, label) {
  return h("span", { class: `badge badge-${kind}`, title: label }, icon(iconName, 12), h("span", { class: "sr-only", text: label }));
}

function describe(p, isMe, rank, ranked) {
  const bits = [p.name + (isMe ? ` ${t("players.you")}` : "")];
  if (p.spectator) bits.push(t("players.describeSpectator"));
  else if (ranked && rank) bits.push(t("players.describeRank", { rank }), t("players.points", { count: p.score }));
  else if (ranked) bits.push(t("players.points", { count: p.score }));
  if (p.host) bits.push(t("players.describeHost"));
  if (p.drawer) bits.push(t("players.describeDrawing"));
  if (p.guessed) bits.push(t("players.describeGuessed"));
  if (p.done) bits.push(t("players.describeDone"));
  if (!p.connected) bits.push(t("players.describeOffline"));
  return bits.join(", ");
}

function moveFocus(e, items) {
  const i = items.indexOf(document.activeElement);
  if (e.key === "ArrowDown") items[(i + 1) % items.length].focus();
  else if (e.key === "ArrowUp") items[(i - 1 + items.length) % items.length].focus();
  else return;
  e.preventDefault();
}
