// The stage's panels: the choosing and reveal overlays on the canvas, and the
// results panel with its podium and ranking.

import { h, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { TURN_END_REASONS } from "./protocol.js";
import { t } from "./i18n.js";
import { avatarEl } from "./avatars.js";

/** Fill the overlay for the choosing phase (word buttons for the drawer). */
export function choosingOverlay({ isDrawer, drawerName, words, difficulties = [], onChoose }) {
  const countdown = h("span", { class: "overlay-countdown", "aria-hidden": "true" });
  if (!isDrawer) {
    return h("div", { class: "overlay-card" },
      h("p", { class: "overlay-kicker", text: t("stage.nextUp") }),
      h("h2", { class: "overlay-title", text: t("stage.isChoosing", { name: drawerName }) }),
      h("div", { class: "dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
      countdown);
  }
  // Each word says how hard it is (a custom word: "custom"), so drawers pick their challenge.
  const buttons = (words ?? []).map((word, index) => {
    const level = difficulties?.[index] ?? (difficulties?.length ? "custom" : null);
    return h("button", {
      type: "button", class: "word-choice",
      dataset: { testid: "word-choice", index: String(index), difficulty: level ?? "" },
      on: { click: (e) => { disableAll(e.currentTarget.parentElement); onChoose(index); } },
    }, h("span", { class: "word-text", text: word }),
    level ? h("span", { class: `word-level level-${level}`, text: t(`level.${level}`) }) : null);
  });
  return h("div", { class: "overlay-card" },
    h("p", { class: "overlay-kicker", text: t("stage.yourTurn") }),
    h("h2", { class: "overlay-title", text: words ? t("stage.chooseWord") : t("stage.gettingWords") }),
    h("div", { class: "word-choices", role: "group", "aria-label": t("stage.wordsGroup") }, buttons),
    countdown);
}

function disableAll(parent) {
  for (const b of parent.querySelectorAll("button")) b.disabled = true;
}

/**
 * The reveal overlay: the word, why the turn ended, and each player's points (in a
 * relaxed room only who got it, in the order they joined).
 */
export function revealOverlay({ reveal, players, meId, drawerId, relaxed = false }) {
  const byId = new Map(players.map((p) => [p.id, p]));
  const order = new Map(players.map((p, i) => [p.id, i]));
  const rows = Object.entries(reveal.points ?? {})
    .map(([id, points]) => ({ id, points, name: byId.get(id)?.name ?? t("players.someone") }))
    .sort((a, b) => (relaxed ? (order.get(a.id) ?? 99) - (order.get(b.id) ?? 99) : b.points - a.points));
  const mark = (r) => {
    if (!relaxed) return r.points > 0 ? `+${r.points}` : "0";
    if (r.id === drawerId) return "";
    return r.points > 0 ? t("stage.gotIt") : t("stage.missedIt");
  };
  return h("div", { class: "overlay-card reveal-card" },
    h("p", { class: "overlay-kicker", text: t(TURN_END_REASONS.includes(reveal.reason) ? `reason.${reveal.reason}` : "reason.other") }),
    h("h2", { class: "overlay-title" }, t("stage.theWordWas"), " ", h("strong", { class: "reveal-word", text: reveal.word })),
    h("ul", { class: "points-list" }, rows.map((r) => h("li", {
      class: `${r.points > 0 ? "got" : "missed"}${r.id === meId ? " is-me" : ""}`, dataset: { playerId: r.id },
    }, h("span", { class: "pname-text" }, h("bdi", { text: r.name }), r.id === drawerId ? h("span", { class: "muted", text: ` ${t("stage.drew")}` }) : null),
    h("span", { class: "points", text: mark(r) })))));
}

/**
 * Render the podium and the ranking of a finished game, with each player's face: from
 * `faces` (an album's `avatars`) when given, else the room's.
 */
export function renderRanking(podium, list, ranking, meId, faces = null) {
  const sorted = [...ranking].sort((a, b) => a.rank - b.rank || b.score - a.score);
  replaceChildren(podium, sorted.slice(0, 3).map((r, i) => h("li", {
    class: `podium-step place-${i + 1}`, dataset: { playerId: r.id },
  },
  avatarEl(r.id, r.name, { source: faces, cls: "avatar-lg" }),
  h("span", { class: "podium-name", text: r.name }),
  h("span", { class: "podium-score", text: t("results.pts", { count: r.score }) }),
  h("span", { class: "podium-block" }, i === 0 ? icon("crown", 22) : null, h("span", { class: "podium-rank", text: String(r.rank) })))));
  replaceChildren(list, sorted.map((r) => h("li", {
    class: `ranking-row${r.id === meId ? " is-me" : ""}`, dataset: { testid: "ranking-item", playerId: r.id, rank: String(r.rank) },
  },
  h("span", { class: "rank", text: `#${r.rank}` }),
  avatarEl(r.id, r.name, { source: faces, cls: "avatar-sm" }),
  h("span", { class: "pname-text", text: r.name }),
  h("span", { class: "points", text: t("results.pts", { count: r.score }) }))));
}

/** A ranking from the player list, for pages that missed `game_over`. */
export function rankingFromPlayers(players) {
  const sorted = players.filter((p) => !p.spectator).sort((a, b) => b.score - a.score);
  let rank = 0;
  return sorted.map((p, i) => {
    if (i === 0 || p.score !== sorted[i - 1].score) rank = i + 1;
    return { id: p.id, name: p.name, score: p.score, rank };
  });
}
