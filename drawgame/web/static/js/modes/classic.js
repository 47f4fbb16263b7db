// The classic game's screens: choosing a word, drawing and guessing on the shared
// canvas, hints, the reveal, reactions, and the results with their podium and album.
// The room shell (room.js) runs the connection, the players, the chat and the lobby;
// it calls this module through the mode interface described in modes/index.js.

import { h, $, show, secondsLeft } from "../dom.js";
import { icon } from "../icons.js";
import * as api from "../api.js";
import * as sound from "../sound.js";
import { announce } from "../announce.js";
import { C, S, PHASE } from "../protocol.js";
import { choosingOverlay, revealOverlay, renderRanking, rankingFromPlayers } from "../panels.js";
import { renderAlbum, closeReplay } from "../album.js";
import { t } from "../i18n.js";
import { graphemes } from "../hud.js";

/** Build the classic mode on the room shell `shell` (see modes/index.js). */
export function createClassic(shell) {
  const { st, board, input, hud, chat } = shell;
  const cs = {
    choices: null,
    reveal: null,
    results: null,
    showResults: false,
    album: { status: "idle", game: null },
    reactions: { likes: 0, dislikes: 0, mine: null },
    overlayKey: "",
    startPending: false,
    warned: false,
  };
  const phase = () => st.room.phase;
  const relaxed = () => Boolean(st.room.settings.relaxed);
  const isDrawer = () => st.meId !== null && st.room.drawer_id === st.meId;
  const roundsTotal = () => (phase() === PHASE.LOBBY ? st.room.settings.rounds : st.room.rounds || st.room.settings.rounds);

  $("#play-again").addEventListener("click", playAgain);
  $("#results-close").addEventListener("click", () => { cs.showResults = false; closeReplay(); shell.renderStage(); });
  $("#react-like").addEventListener("click", () => react("like"));
  $("#react-dislike").addEventListener("click", () => react("dislike"));

  // --- actions -----------------------------------------------------------------------

  function react(value) {
    if (cs.reactions.mine || !shell.send({ type: C.REACT, value })) return;
    cs.reactions.mine = value;
    renderReactions();
  }

  /** Start a new game; during `results` the start waits for the room to reach the lobby. */
  function playAgain() {
    if (phase() === PHASE.LOBBY) {
      shell.send({ type: C.START });
      return;
    }
    cs.startPending = true;
    renderResults();
  }

  function choose(index) {
    shell.send({ type: C.CHOOSE, index });
  }

  // --- snapshot and phases ---------------------------------------------------------------

  function welcome(room) {
    if (room.phase !== PHASE.CHOOSING) cs.choices = null;
    if (room.phase === PHASE.RESULTS && !cs.results) {
      cs.results = { game_id: room.game_id ?? null, ranking: rankingFromPlayers(st.players) };
      cs.showResults = true;
      if (room.game_id) loadAlbum(room.game_id);
    }
    board.load(room.ops ?? []);
  }

  function onPhase(m, previous) {
    if (m.phase !== PHASE.CHOOSING) cs.choices = null;
    if (m.phase === PHASE.CHOOSING) startTurn(previous);
    if (m.phase === PHASE.DRAWING) startDrawing();
    if (m.phase === PHASE.LOBBY || m.phase === PHASE.RESULTS) st.room.word = null;
    if (m.phase === PHASE.LOBBY && cs.startPending && shell.isHost()) shell.send({ type: C.START });
    if (m.phase !== PHASE.RESULTS) cs.startPending = false;
  }

  function startTurn(previous) {
    if (previous === PHASE.LOBBY || previous === PHASE.RESULTS || previous === PHASE.ALBUM) {
      cs.showResults = false;
      cs.results = null;
      st.votes.clear();
      closeReplay();
    }
    st.room.word = null;
    cs.reveal = null;
    cs.reactions = { likes: 0, dislikes: 0, mine: null };
    input.discard();
    board.load([]);
    const drawer = shell.playerName(st.room.drawer_id);
    if (isDrawer()) {
      sound.play("yourTurn");
      shell.flagTitle(t("say.yourTurnTitle"));
      announce(t("say.yourChoice", { round: st.room.round }));
    } else {
      announce(t("say.choosing", { round: st.room.round, name: drawer }));
    }
  }

  function startDrawing() {
    cs.reveal = null;
    cs.warned = false;
    input.resume();
    focusGuessInput();
    // The drawer hears the word when the `word` message brings it (onWord).
    if (isDrawer() && st.room.word) announce(t("say.draw", { word: st.room.word }));
    else if (!isDrawer()) announce(t("say.drawing", { name: shell.playerName(st.room.drawer_id), letters: describeHint(st.room.hint) }));
  }

  /** Put the caret in the guess box on desktops when nothing else has focus. */
  function focusGuessInput() {
    const busy = document.activeElement && document.activeElement !== document.body;
    if (isDrawer() || busy || !window.matchMedia("(pointer: fine)").matches) return;
    $("#chat-input").focus({ preventScroll: true });
  }

  // --- messages ------------------------------------------------------------------------

  function onChoices(m) {
    cs.choices = { words: m.words ?? [], difficulties: m.difficulties ?? [] };
    if (m.ends_in_ms !== undefined) hud.setCountdown(m.ends_in_ms);
    shell.renderStage();
  }

  function onWord(m) {
    const known = st.room.word === m.word;
    st.room.word = m.word;
    if (!known && isDrawer() && phase() === PHASE.DRAWING) announce(t("say.yourWord", { word: m.word }));
    shell.renderHud();
    shell.renderStage();
  }

  function onHint(m) {
    const before = st.room.hint;
    st.room.hint = m.hint;
    const news = revealedLetters(before, m.hint);
    if (news.length && !isDrawer() && !st.room.word) {
      announce(t("say.hint", { letters: news.join(", "), spelled: spellHint(m.hint) }));
    }
    shell.renderHud();
  }

  function onDraw(m) {
    if (m.from === st.meId) return;
    board.applyAll(m.ops ?? []);
  }

  function onCorrect(m) {
    const mine = m.player_id === st.meId;
    chat.correct(shell.playerName(m.player_id), relaxed() ? null : m.points, mine);
    sound.play(mine ? "correctMine" : "correct");
    const yours = relaxed() ? t("say.youGuessedRelaxed") : t("say.youGuessed", { points: m.points });
    announce(mine ? yours : t("say.theyGuessed", { name: shell.playerName(m.player_id) }));
  }

  function onClose(m) {
    const line = t("chat.close", { text: String(m.text ?? "") });
    chat.close(line);
    announce(line);
  }

  function onReaction(m) {
    cs.reactions.likes = m.likes ?? 0;
    cs.reactions.dislikes = m.dislikes ?? 0;
    renderReactions();
  }

  function onTurnEnd(m) {
    cs.reveal = { word: m.word, reason: m.reason, points: m.points ?? {} };
    st.room.word = m.word;
    input.discard();
    sound.play("turnEnd");
    chat.system(t("chat.wordWas", { word: m.word }));
    announce(t("say.turnOver", { word: m.word }));
    shell.renderHud();
    shell.renderStage();
  }

  function onGameOver(m) {
    cs.results = { game_id: m.game_id, ranking: m.ranking ?? [] };
    cs.showResults = true;
    cs.reveal = null;
    const winner = [...cs.results.ranking].sort((a, b) => a.rank - b.rank)[0];
    sound.play("gameOver");
    if (relaxed()) announce(t("say.gameOverRelaxed"));
    else if (winner) announce(t("say.winner", { name: winner.name, points: winner.score }));
    shell.renderStage();
    if (m.game_id) loadAlbum(m.game_id);
  }

  function onError(m) {
    if (m.ref !== C.CHOOSE) return false;
    cs.overlayKey = ""; // give the word buttons back
    renderOverlay();
    return false; // the shell still says why
  }

  // --- album -----------------------------------------------------------------------------

  async function loadAlbum(gameId) {
    cs.album = { status: "loading", game: null };
    renderAlbumState();
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        const game = await api.getGame(gameId);
        if (cs.results?.game_id !== gameId) return;
        cs.album = { status: "ready", game };
        renderAlbumState();
        return;
      } catch (err) {
        if (err.status !== 404 && err.status !== 0 && err.status < 500) break;
        await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
      }
    }
    cs.album = { status: "error", game: null };
    renderAlbumState();
  }

  // --- rendering -------------------------------------------------------------------------

  function renderHud() {
    hud.setRound(st.room.round, roundsTotal(), phase(), t("hud.round"));
    hud.setWord({ phase: phase(), hint: st.room.hint, word: st.room.word, isDrawer: isDrawer(), lang: st.room.settings.language });
  }

  /** The stage for the current phase; true when the results cover the lobby panel. */
  function render() {
    const p = phase();
    const results = cs.showResults && cs.results && (p === PHASE.RESULTS || p === PHASE.LOBBY);
    show($("#results-panel"), Boolean(results));
    show($("#play-area"), !results && p !== PHASE.LOBBY);
    show($("#canvas-wrap"), true);
    show($("#turn-info"), true);
    if (results) renderResults();
    renderOverlay();
    renderUnderCanvas();
    onSecond(secondsLeft(hud.remaining() ?? 0));
    return Boolean(results);
  }

  function hide() {
    show($("#results-panel"), false);
    replaceOverlay("", null);
  }

  function renderOverlay() {
    const p = phase();
    let key = "";
    let content = null;
    if (p === PHASE.CHOOSING) {
      key = `choosing:${st.room.drawer_id}:${isDrawer()}:${cs.choices?.words?.join("|") ?? ""}`;
      if (key !== cs.overlayKey) {
        content = choosingOverlay({ isDrawer: isDrawer(), drawerName: shell.playerName(st.room.drawer_id),
          words: cs.choices?.words ?? null, difficulties: cs.choices?.difficulties, onChoose: choose });
      }
    } else if (cs.reveal && (p === PHASE.REVEAL || p === PHASE.DRAWING)) {
      key = `reveal:${cs.reveal.word}:${JSON.stringify(cs.reveal.points)}`;
      if (key !== cs.overlayKey) {
        content = revealOverlay({ reveal: cs.reveal, players: st.players, meId: st.meId, drawerId: st.room.drawer_id,
          relaxed: relaxed() });
      }
    }
    if (key === cs.overlayKey) return;
    replaceOverlay(key, content);
    $("#canvas-overlay").querySelector("[data-testid=word-choice]")?.focus();
    onSecond(secondsLeft(hud.remaining() ?? 0));
  }

  function replaceOverlay(key, content) {
    const overlay = $("#canvas-overlay");
    cs.overlayKey = key;
    overlay.replaceChildren(...(content ? [content] : []));
    show(overlay, Boolean(content));
    overlay.dataset.kind = key.split(":")[0];
  }

  /** Every second of the countdown: the overlay's and the results' countdowns, the last ticks. */
  function onSecond(seconds) {
    const next = $("#results-next");
    next.textContent = phase() === PHASE.RESULTS && hud.remaining() !== null ? t("results.next", { seconds }) : "";
    if (phase() === PHASE.DRAWING && seconds === 10 && !cs.warned) {
      cs.warned = true;
      announce(t("say.tenSeconds"));
    }
    const el = $("#canvas-overlay .overlay-countdown");
    if (el) el.textContent = hud.remaining() === null ? "" : t("stage.seconds", { seconds });
    if (isDrawer() && phase() === PHASE.DRAWING && seconds <= 5 && seconds > 0) sound.play("tick", 0.05);
  }

  function renderUnderCanvas() {
    const p = phase();
    const drawing = p === PHASE.DRAWING;
    show($("#toolbar"), drawing && isDrawer());
    $("#canvas").classList.toggle("can-draw", drawing && isDrawer());
    $("#canvas").setAttribute("aria-label", canvasLabel());
    shell.toolbar.update();
    const caption = $("#turn-caption");
    const drawer = shell.playerName(st.room.drawer_id);
    if (p === PHASE.CHOOSING) caption.textContent = isDrawer() ? t("stage.pick") : t("stage.isChoosing", { name: drawer });
    else if (drawing) caption.textContent = isDrawer() ? "" : t("stage.isDrawing", { name: drawer });
    else if (p === PHASE.REVEAL) caption.textContent = t("stage.drewThis", { name: drawer });
    else caption.textContent = "";
    renderReactions();
  }

  function canvasLabel() {
    if (phase() !== PHASE.DRAWING) return t("stage.canvas");
    return isDrawer() ? t("stage.canvasDraw") : t("stage.canvasWatch", { name: shell.playerName(st.room.drawer_id) });
  }

  function renderReactions() {
    const { likes, dislikes, mine } = cs.reactions;
    const p = phase();
    const open = (p === PHASE.DRAWING || p === PHASE.REVEAL) && !isDrawer() && !shell.me()?.spectator;
    show($("#reactions"), p === PHASE.DRAWING || p === PHASE.REVEAL);
    reactionButton($("#react-like"), "like", likes, mine, open);
    reactionButton($("#react-dislike"), "dislike", dislikes, mine, open);
  }

  function renderResults() {
    const ranking = cs.results?.ranking ?? [];
    renderRanking($("#podium"), $("#ranking"), relaxed() ? [] : ranking, st.meId);
    show($("#podium"), !relaxed());
    show($("#ranking"), !relaxed());
    const host = shell.isHost();
    show($("#play-again"), host);
    $("#play-again").disabled = cs.startPending;
    $("#play-again").textContent = cs.startPending ? t("results.starting") : t("results.playAgain");
    show($("#results-close"), phase() === PHASE.LOBBY);
    const won = !relaxed() && ranking.length && ranking[0].id === st.meId;
    $("#results-panel .results-title").textContent = relaxed() ? t("results.wellPlayed") : (won ? t("results.youWon") : t("results.gameOver"));
    renderAlbumState();
  }

  function renderAlbumState() {
    const { status, game } = cs.album;
    const text = {
      idle: cs.results?.game_id ? "" : t("album.unavailable"),
      loading: t("album.loading"),
      error: t("album.error"),
      ready: game?.turns?.length ? "" : t("album.empty"),
    }[status];
    $("#album-status").textContent = text;
    if (status === "ready" && $("#album").dataset.gameId !== String(game.game_id)) {
      renderAlbum($("#album"), game, { link: true });
      $("#album").dataset.gameId = String(game.game_id);
    } else if (status !== "ready") {
      $("#album").replaceChildren();
      delete $("#album").dataset.gameId;
    }
  }

  /** The chat box's placeholder: guesses while someone draws, the guessed channel once guessed. */
  function chatHint() {
    const mine = shell.me();
    if (phase() === PHASE.DRAWING && (isDrawer() || mine?.guessed)) return { text: t("chat.guessers"), guessed: true };
    if (phase() === PHASE.DRAWING) return { text: t("chat.guess"), guessed: false };
    return null;
  }

  return {
    id: "classic",
    minPlayers: 2,
    handlers: {
      [S.CHOICES]: onChoices,
      [S.WORD]: onWord,
      [S.HINT]: onHint,
      [S.DRAW]: onDraw,
      [S.CORRECT]: onCorrect,
      [S.CLOSE]: onClose,
      [S.REACTION]: onReaction,
      [S.TURN_END]: onTurnEnd,
      [S.GAME_OVER]: onGameOver,
    },
    welcome,
    phase: onPhase,
    render,
    hide,
    renderHud,
    onSecond,
    onError,
    chatHint,
    drawing: () => isDrawer() && phase() === PHASE.DRAWING,
    layout: () => (isDrawer() ? "drawer" : "guesser"),
    ranked: () => phase() !== PHASE.LOBBY,
    summary: (s, language) => t("panel.summary", { rounds: s.rounds, seconds: s.draw_time_s, language, players: s.max_players }),
  };
}

function reactionButton(button, kind, count, mine, open) {
  // The name is the visible count with a hidden lead-in, so it holds what is seen.
  button.replaceChildren(icon(kind, 18),
    h("span", { class: "sr-only", text: `${t(kind === "like" ? "stage.like" : "stage.dislike")}: ` }),
    h("span", { class: "react-count", text: String(count) }));
  button.disabled = !open || Boolean(mine);
  button.setAttribute("aria-pressed", String(mine === kind));
  button.title = t(kind === "like" ? "stage.like" : "stage.dislike");
}

/** "_ _ _" in words: "3 letters", or "2 words: 3, 4 letters". */
function describeHint(hint) {
  const words = String(hint ?? "").split(" ").filter(Boolean);
  const letters = words.map((w) => graphemes(w.replace(/-/g, "")).length);
  return words.length > 1
    ? t("say.wordsOf", { words: words.length, letters: letters.join(", ") })
    : t("say.letters", { count: letters[0] ?? 0 });
}

/** Letters shown in `after` that were blanks in `before`. */
function revealedLetters(before, after) {
  const old = graphemes(before);
  return graphemes(after).filter((ch, i) => ch !== "_" && ch !== " " && old[i] === "_");
}

/** The hint as it would be spelled out: "_ a _ _" reads as "blank, a, blank, blank". */
function spellHint(hint) {
  const words = String(hint ?? "").split(" ").filter(Boolean);
  const blank = t("say.blank");
  return words.map((w) => graphemes(w).map((ch) => (ch === "_" ? blank : ch)).join(", ")).join(`; ${t("say.nextWord")} `) + ".";
}
