// Short sounds made with the Web Audio API (no audio files); muting is remembered.

import { getMuted, setMuted } from "./store.js";

const TUNES = {
  // [frequency Hz, start s, length s]
  yourTurn: [[523, 0, 0.12], [659, 0.12, 0.12], [784, 0.24, 0.22]],
  correct: [[880, 0, 0.09], [1175, 0.09, 0.16]],
  correctMine: [[659, 0, 0.1], [880, 0.1, 0.1], [1319, 0.2, 0.25]],
  turnEnd: [[587, 0, 0.14], [440, 0.14, 0.14], [349, 0.28, 0.26]],
  tick: [[1000, 0, 0.04]],
  join: [[740, 0, 0.07], [988, 0.07, 0.1]],
  gameOver: [[523, 0, 0.12], [659, 0.12, 0.12], [784, 0.24, 0.12], [1047, 0.36, 0.35]],
};

let context = null;
let muted = getMuted();

function audio() {
  const Ctor = window.AudioContext ?? window.webkitAudioContext;
  if (!Ctor) return null;
  context ??= new Ctor();
  if (context.state === "suspended") context.resume().catch(() => {});
  return context;
}

/** Browsers start audio only after a gesture: unlock on the first one. */
export function unlockOnGesture() {
  const unlock = () => {
    if (!muted) audio();
    window.removeEventListener("pointerdown", unlock);
    window.removeEventListener("keydown", unlock);
  };
  window.addEventListener("pointerdown", unlock);
  window.addEventListener("keydown", unlock);
}

function beep(ctx, freq, start, length, volume) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  const t0 = ctx.currentTime + start;
  osc.type = "sine";
  osc.frequency.setValueAtTime(freq, t0);
  gain.gain.setValueAtTime(0.0001, t0);
  gain.gain.exponentialRampToValueAtTime(volume, t0 + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, t0 + length);
  osc.connect(gain).connect(ctx.destination);
  osc.start(t0);
  osc.stop(t0 + length + 0.02);
}

/** Play one of the named tunes unless muted. */
export function play(name, volume = 0.15) {
  if (muted || !TUNES[name]) return;
  const ctx = context ?? audio();
  if (!ctx || ctx.state !== "running") return;
  for (const [freq, start, length] of TUNES[name]) beep(ctx, freq, start, length, volume);
}

export const isMuted = () => muted;

export function setMute(on) {
  muted = Boolean(on);
  setMuted(muted);
  if (!muted) audio();
}
