// The telephone game's screens: everyone works at once on a page of a book. A sentence
// page shows what to describe (a drawing, replayed from its ops, or nothing on page 1)
// and a text box whose draft goes to the server about a second after typing stops; a
// drawing page shows the sentence above the shared canvas and its tools. "Done" can be
// taken back while the step lasts, and everyone sees who the room is waiting for. The
// album (the books shown page by page) is in telephone-album.js. The room shell calls
// this module through the mode interface described in modes/index.js.

import { h, $, show, toast } from "../dom.js";
import { icon } from "../icons.js";
import * as sound from "../sound.js";
import { announce } from "../announce.js";
import { C, S, PHASE, TASK, MAX_PAGE_TEXT } from "../protocol.js";
import { Board } from "../canvas.js";
import { t } from "../i18n.js";
import { createAlbum } from "./telephone-album.js";
import { listNames } from "./book.js";

/** How long typing must pause before the sentence so far is sent as the page's draft. */
const DRAFT_DELAY_MS = 1000;
/** With this little time left, a draft waiting for its pause goes out at once. */
const DRAFT_FLUSH_S = 2;

/** Connected players a telephone game needs to start. */
const MIN_PLAYERS = 3;
const STEPS = new Set([PHASE.WRITING, PHASE.DRAWING, PHASE.DESCRIBING]);
const taskKey = (task) => (task ? `${task.book_id}:${task.step}` : "");

/** Build the telephone mode on the room shell `shell` (see modes/index.js). */
export function createTelephone(shell) {
  const { st, board, input, hud } = shell;
  const ts = {
    task: null, // the viewer's task in this step: the `task` message's fields
    submitted: false, // whether the viewer's page of this step is done
    progress: null, // {step, done: [ids], waiting: [ids]}
    shownKey: "", // the task whose prompt and text box are on screen
    draft: { timer: 0, sent: null },
    warned: false,
    error: "",
  };
  const phase = () => st.room.phase;
  const inStep = () => STEPS.has(phase());
  const task = () => (inStep() && ts.task && ts.task.step === st.room.step ? ts.task : null);
  const drawing = () => phase() === PHASE.DRAWING && task()?.kind === TASK.DRAW && !ts.submitted;
  const album = createAlbum(shell);

  // --- the task's parts: built once, updated in place (typing is never interrupted) ----

  const title = h("h2", { class: "task-title", id: "task-title" });
  const prompt = h("div", { class: "task-prompt", dataset: { testid: "task-prompt" } });
  const promptCanvas = h("canvas", { class: "task-drawing-canvas", role: "img" });
  const promptFrame = h("div", { class: "task-drawing" }, promptCanvas);
  const promptBoard = new Board(promptCanvas, { checkpoints: false });
  new ResizeObserver(() => sizeBoard(promptBoard, promptFrame)).observe(promptFrame);
  const head = h("div", { class: "task-head" }, title, prompt);

  const text = h("input", { id: "task-text", class: "task-text", maxlength: MAX_PAGE_TEXT, autocomplete: "off",
    spellcheck: "true", enterkeyhint: "done", dataset: { testid: "task-text" }, "aria-describedby": "task-count task-error" });
  const textLabel = h("label", { for: "task-text", class: "task-label" });
  const count = h("p", { id: "task-count", class: "task-count", "aria-live": "off" });
  const form = h("form", { class: "task-form", autocomplete: "off", novalidate: true }, textLabel, text, count);
  const choices = h("div", { class: "task-choices", role: "group" });
  const submit = h("button", { type: "button", class: "btn btn-primary btn-lg task-submit", dataset: { testid: "task-submit" } });
  const unsubmit = h("button", { type: "button", class: "btn btn-secondary task-unsubmit", dataset: { testid: "task-unsubmit" } });
  const status = h("p", { class: "task-status", role: "status" });
  const error = h("p", { id: "task-error", class: "form-error task-error", role: "alert" });
  const actions = h("div", { class: "task-actions" }, submit, unsubmit);
  const progress = h("section", { class: "progress-box", dataset: { testid: "progress" }, "aria-labelledby": "progress-title" });
  const controls = h("div", { class: "task-controls" }, form, choices, actions, error, status);

  text.addEventListener("input", onTyping);
  form.addEventListener("submit", (e) => { e.preventDefault(); done(); });
  submit.addEventListener("click", done);
  unsubmit.addEventListener("click", takeBack);

  // --- actions -----------------------------------------------------------------------------

  /** The page is done: the sentence (or the drawing so far) goes to the server. */
  function done() {
    const current = task();
    if (!current) return;
    if (current.kind === TASK.DRAW) {
      input.tick(); // strokes still queued go first, so the page is whole
      if (shell.send({ type: C.SUBMIT })) markSubmitted(true);
      return;
    }
    const value = text.value.trim().slice(0, MAX_PAGE_TEXT);
    if (!value) {
      setError(t("tel.writeFirst"));
      text.focus();
      return;
    }
    clearTimeout(ts.draft.timer);
    if (shell.send({ type: C.SUBMIT, text: value })) {
      ts.draft.sent = value;
      markSubmitted(true);
    }
  }

  function pickWord(word) {
    if (shell.send({ type: C.SUBMIT, text: word })) {
      text.value = word;
      markSubmitted(true);
    }
  }

  /** Reopen the page while the step lasts (its text becomes the draft again). */
  function takeBack() {
    if (task() && shell.send({ type: C.UNSUBMIT })) markSubmitted(false);
  }

  function markSubmitted(on) {
    ts.submitted = on;
    setError("");
    shell.renderStage();
    shell.renderLayout();
    if (on) announce(t("tel.doneSaid"));
    else if (task()?.kind !== TASK.DRAW) text.focus({ preventScroll: true });
  }

  function setError(message) {
    ts.error = message;
    error.textContent = message;
  }

  /** Typing: the sentence so far goes out as the draft once typing pauses. */
  function onTyping() {
    setError("");
    renderCount();
    markDraft();
    clearTimeout(ts.draft.timer);
    ts.draft.timer = setTimeout(sendDraft, DRAFT_DELAY_MS);
  }

  function sendDraft() {
    clearTimeout(ts.draft.timer);
    ts.draft.timer = 0;
    const current = task();
    if (!current || current.kind === TASK.DRAW || current.choices || ts.submitted) return;
    const value = text.value.slice(0, MAX_PAGE_TEXT);
    if (value !== ts.draft.sent && shell.send({ type: C.DRAFT, text: value })) ts.draft.sent = value;
    markDraft();
  }

  /** `data-draft` on the box: "sent" once the server has what it shows, else "typing". */
  function markDraft() {
    text.dataset.draft = text.value === ts.draft.sent ? "sent" : "typing";
  }

  // --- messages ------------------------------------------------------------------------

  function onTask(m) {
    const fresh = taskKey(m) !== taskKey(ts.task);
    ts.task = { ...m };
    ts.submitted = Boolean(m.submitted);
    // A task resent for the page on screen (a resume) keeps what this page holds: the
    // welcome loaded the drawing, and strokes made offline were put on top of it.
    if (fresh) startTask(m.draft_text, m.draft_ops);
    shell.renderHud();
    shell.renderStage();
    shell.renderLayout();
  }

  /** A new page to make: its draft (from the server, after a reload) or nothing. */
  function startTask(draftText, draftOps) {
    const current = ts.task;
    input.discard();
    board.load(current.kind === TASK.DRAW ? (draftOps ?? []) : []);
    input.resume();
    text.value = draftText ?? "";
    ts.draft = { timer: 0, sent: draftText ?? "" };
    ts.warned = false;
    setError("");
    sound.play("yourTurn");
    shell.flagTitle(t("tel.yourPageTitle"));
    announce(`${taskTitle(current)}${current.prompt?.kind === "text" ? `: ${current.prompt.text}` : ""}`);
  }

  /** Who is done in this step (a `progress` of another step is kept for when it is this one). */
  const currentProgress = () => {
    const prog = ts.progress;
    return prog && (prog.step === null || prog.step === st.room.step) ? prog : null;
  };

  function onProgress(m) {
    ts.progress = { step: m.step ?? null, done: m.done ?? [], waiting: m.waiting ?? [] };
    const prog = currentProgress();
    if (prog && st.meId && prog.done.includes(st.meId)) ts.submitted = true;
    else if (prog && st.meId && prog.waiting.includes(st.meId)) ts.submitted = false;
    renderProgress();
    renderTask();
    shell.renderLayout();
  }

  function onError(m) {
    if (m.ref === C.SUBMIT || m.ref === C.UNSUBMIT || m.ref === C.DRAFT) {
      if (m.ref === C.SUBMIT) ts.submitted = false;
      const known = { filtered: "error.filtered", bad_message: "tel.badText", page_submitted: "error.page_submitted" };
      setError(known[m.code] ? t(known[m.code]) : (m.message ?? t("error.refused")));
      renderTask();
      return true;
    }
    if (m.code === "not_enough_players") {
      toast(t("panel.needPlayers", { count: MIN_PLAYERS }), "warn");
      return true;
    }
    if (m.code === "page_submitted") {
      // A stroke that raced the "done": the page is done, so nothing more is drawn on it.
      input.discard();
      return true;
    }
    return album.onError(m);
  }

  // --- snapshot and phases -----------------------------------------------------------------

  function welcome(room) {
    ts.progress = room.progress ? { step: room.step ?? null, ...room.progress } : null;
    const resumed = Boolean(room.task) && ts.shownKey === taskKey(room.task);
    const typed = text.value;
    ts.task = room.task ? { ...room.task } : null;
    ts.submitted = Boolean(room.task?.submitted);
    // Strokes drawn offline belong to the page they were drawn on: they go out (the
    // shell's input.resume) only when this is still that page.
    if (!resumed) input.discard();
    if (ts.task) {
      board.load(ts.task.kind === TASK.DRAW ? (ts.task.draft_ops ?? []) : []);
      // Back from a dropped connection: what was typed meanwhile stays, and goes out as the draft.
      text.value = resumed && typed ? typed : (ts.task.draft_text ?? "");
      ts.draft = { timer: 0, sent: ts.task.draft_text ?? "" };
      if (resumed && typed !== ts.draft.sent && !ts.submitted) ts.draft.timer = setTimeout(sendDraft, 50);
    } else {
      board.load([]);
    }
    album.welcome(room);
  }

  function onPhase(m, previous) {
    if (m.phase === PHASE.WRITING && m.step === 1 && !STEPS.has(previous)) album.reset();
    if (STEPS.has(m.phase)) {
      if (ts.task && ts.task.step !== m.step) {
        ts.task = null;
        ts.submitted = false;
        input.discard();
        board.load([]);
      }
      ts.warned = false;
      announce(t("tel.pageOf", { step: m.step, steps: m.steps }));
    } else {
      ts.task = null;
      ts.submitted = false;
      ts.progress = null;
      input.discard();
      clearTimeout(ts.draft.timer);
    }
    album.phase(m, previous);
  }

  // --- rendering -------------------------------------------------------------------------

  function render() {
    const step = inStep();
    show($("#play-area"), step);
    if (step) renderStep();
    return album.render();
  }

  function hide() {
    const area = $("#play-area");
    delete area.dataset.testid;
    area.classList.remove("is-telephone", "is-drawing");
    shell.el.top.replaceChildren();
    shell.el.bottom.replaceChildren();
    show(shell.el.top, false);
    show(shell.el.bottom, false);
    show($("#canvas-wrap"), true);
    show($("#turn-info"), true);
    album.hide();
  }

  function renderStep() {
    const area = $("#play-area");
    const current = task();
    area.classList.add("is-telephone");
    if (current) area.dataset.testid = "task";
    else delete area.dataset.testid;
    if (!shell.el.top.contains(head)) shell.el.top.replaceChildren(head);
    if (!shell.el.bottom.contains(controls)) shell.el.bottom.replaceChildren(controls, progress);
    show(shell.el.top, true);
    show(shell.el.bottom, true);
    show($("#turn-info"), false);
    $("#canvas-overlay").hidden = true;
    renderTask();
    renderProgress();
  }

  function renderTask() {
    if (!inStep()) return;
    const current = task();
    const kind = current?.kind ?? null;
    title.textContent = current ? taskTitle(current) : watchTitle();
    renderPrompt(current);
    const draws = kind === TASK.DRAW;
    $("#play-area").classList.toggle("is-drawing", draws);
    show($("#canvas-wrap"), draws);
    show($("#toolbar"), drawing());
    const canvas = $("#canvas");
    canvas.classList.toggle("can-draw", drawing());
    canvas.setAttribute("aria-label", draws ? t(ts.submitted ? "tel.canvasDone" : "tel.canvasDraw") : t("stage.canvas"));
    shell.toolbar.update();
    const words = kind === TASK.WRITE && Array.isArray(current.choices) && current.choices.length > 0;
    show(form, Boolean(current) && !draws && !words);
    text.disabled = ts.submitted;
    textLabel.textContent = current?.prompt?.kind === "drawing" ? t("tel.describeLabel") : t("tel.sentenceLabel");
    renderCount();
    renderChoices(words ? current.choices : null);
    show(actions, Boolean(current));
    status.textContent = statusLine(current);
    show(status, Boolean(status.textContent));
    show(submit, Boolean(current) && !ts.submitted && !words);
    show(unsubmit, Boolean(current) && ts.submitted);
    submit.textContent = t("tel.done");
    unsubmit.textContent = draws ? t("tel.takeBackDrawing") : t("tel.takeBack");
    error.textContent = ts.error;
    shell.resizeCanvas();
  }

  function renderCount() {
    markDraft();
    count.textContent = t("tel.count", { count: [...text.value].length, max: MAX_PAGE_TEXT });
  }

  function renderPrompt(current) {
    const key = taskKey(current);
    show(prompt, Boolean(current));
    if (key === ts.shownKey) return;
    ts.shownKey = key;
    prompt.dataset.kind = current?.prompt?.kind ?? "none";
    if (!current) return void prompt.replaceChildren();
    const p = current.prompt;
    if (p?.kind === "drawing") {
      promptBoard.load(p.ops ?? []);
      promptCanvas.setAttribute("aria-label", current.kind === TASK.DRAW ? t("tel.promptCopy") : t("tel.promptDrawing"));
      prompt.replaceChildren(promptFrame);
      promptFrame.classList.toggle("is-small", current.kind === TASK.DRAW);
      requestAnimationFrame(() => sizeBoard(promptBoard, promptFrame));
    } else if (p?.kind === "text") {
      prompt.replaceChildren(h("p", { class: "task-sentence" }, h("q", { text: p.text })));
    } else {
      prompt.replaceChildren(h("p", { class: "task-free", text: freeLine(current) }));
    }
  }

  function renderChoices(words) {
    show(choices, Boolean(words));
    if (!words) return void choices.replaceChildren();
    choices.setAttribute("aria-label", t("tel.wordsGroup"));
    const picked = ts.submitted ? text.value : null;
    const now = [...choices.querySelectorAll("button")].map((b) => b.dataset.word).join("\n");
    if (now !== words.join("\n")) {
      choices.replaceChildren(...words.map((word, index) => h("button", {
        type: "button", class: "word-choice task-choice", dataset: { testid: "task-choice", index: String(index), word },
        on: { click: () => pickWord(word) },
      }, h("span", { class: "word-text", text: word }))));
    }
    for (const b of choices.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.word === picked));
  }

  function renderProgress() {
    if (!inStep()) return;
    const prog = currentProgress() ?? { done: [], waiting: [] };
    const ids = [...prog.done, ...prog.waiting];
    const done = new Set(prog.done);
    const waiting = prog.waiting.map(shell.playerName);
    const heading = h("h3", { id: "progress-title", class: "progress-title",
      text: ids.length ? t("tel.doneCount", { done: prog.done.length, count: ids.length }) : t("tel.starting") });
    const note = h("span", { class: "progress-waiting",
      text: !ids.length ? "" : (waiting.length ? t("tel.waitingFor", { names: listNames(waiting) }) : t("tel.allDone")) });
    const items = ids.map((id) => h("li", {
      class: `progress-player${done.has(id) ? " is-done" : ""}${id === st.meId ? " is-me" : ""}`,
      dataset: { playerId: id, done: String(done.has(id)) },
    },
    h("span", { class: "progress-mark", "aria-hidden": "true" }, done.has(id) ? icon("check", 14) : icon("pen", 14)),
    h("span", { class: "progress-name", text: shell.playerName(id) }),
    h("span", { class: "sr-only", text: `: ${done.has(id) ? t("tel.isDone") : t("tel.isWorking")}` })));
    progress.replaceChildren(h("div", { class: "progress-head" }, heading, note), h("ul", { class: "progress-list" }, items));
  }

  function statusLine(current) {
    const mine = shell.me();
    if (!current) return mine && !mine.spectator ? t("tel.nextGame") : "";
    return ts.submitted ? t("tel.submitted") : "";
  }

  function renderHud() {
    hud.setRound(inStep() ? st.room.step : null, st.room.steps ?? st.room.settings.steps ?? "–", phase(), t("hud.page"));
    hud.setLabel(hudLabel());
  }

  function hudLabel() {
    if (phase() === PHASE.ALBUM) return t("tel.albumLabel");
    if (!inStep()) return t("hud.waiting");
    const current = task();
    if (!current) return watchTitle();
    return t(`tel.hud.${current.kind}`);
  }

  function taskTitle(current) {
    const p = current.prompt;
    if (current.kind === TASK.DRAW) return p?.kind === "drawing" ? t("tel.copyThis") : (p ? t("tel.drawThis") : t("tel.drawAnything"));
    if (Array.isArray(current.choices) && current.choices.length) return t("tel.pickWord");
    if (p?.kind === "drawing") return t("tel.describeThis");
    if (p?.kind === "text") return t("tel.sayAgain");
    return current.step === 1 ? t("tel.writeFirstPage") : t("tel.writeAnything");
  }

  function freeLine(current) {
    return current.kind === TASK.DRAW ? t("tel.freeDraw") : t("tel.freeWrite");
  }

  function watchTitle() {
    const key = { [PHASE.WRITING]: "tel.everyoneWrites", [PHASE.DRAWING]: "tel.everyoneDraws", [PHASE.DESCRIBING]: "tel.everyoneDescribes" }[phase()];
    return t(key ?? "tel.everyoneWrites");
  }

  function onSecond(seconds) {
    if (!inStep()) return album.onSecond(seconds);
    if (seconds <= DRAFT_FLUSH_S && ts.draft.timer) sendDraft();
    if (task() && !ts.submitted && seconds === 10 && !ts.warned) {
      ts.warned = true;
      announce(t("say.tenSeconds"));
    }
    if (task() && !ts.submitted && seconds <= 5 && seconds > 0) sound.play("tick", 0.05);
  }

  /** The phone layout beside a TV: a writer's page, a drawer's canvas, or the album's remote. */
  function layout() {
    if (phase() === PHASE.ALBUM) return "remote";
    const current = task();
    if (!current) return null;
    return current.kind === TASK.DRAW ? "drawer" : "writer";
  }

  function players() {
    if (inStep()) renderProgress();
    album.players();
  }

  return {
    id: "telephone",
    minPlayers: MIN_PLAYERS,
    handlers: {
      [S.TASK]: onTask,
      [S.PROGRESS]: onProgress,
      [S.DRAW]: () => {}, // telephone pages are relayed to nobody
      ...album.handlers,
    },
    welcome,
    phase: onPhase,
    render,
    hide,
    renderHud,
    onSecond,
    onError,
    players,
    chatHint: () => null,
    drawing,
    layout,
    ranked: () => false,
    summary: (s, language) => t("panel.summaryTelephone", {
      write: s.write_time_s, draw: s.draw_time_s, language, players: s.max_players }),
  };
}

function sizeBoard(board, frame) {
  if (!frame.clientWidth) return;
  const ratio = window.devicePixelRatio || 1;
  board.setSize(frame.clientWidth * ratio, frame.clientHeight * ratio);
}
