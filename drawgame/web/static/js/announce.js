// The polite aria-live region: guesses, turn changes and results for screen readers.

let region = null;
let timer = 0;
let pending = [];

/** Queue a sentence; sentences arriving together are read as one update. */
export function announce(text) {
  region ??= document.getElementById("announcer");
  if (!region || !text) return;
  pending.push(text);
  clearTimeout(timer);
  timer = setTimeout(() => {
    region.textContent = "";
    // Setting the text after clearing makes a repeated sentence be read again.
    requestAnimationFrame(() => {
      region.textContent = pending.join(" ");
      pending = [];
    });
  }, 80);
}

// Other players' chat is read too, but at most one update every CHAT_EVERY_MS:
// lines arriving faster are gathered, and past CHAT_MAX_LINES only counted.
const CHAT_EVERY_MS = 2500;
const CHAT_MAX_LINES = 3;
let chatLines = [];
let chatMore = 0;
let chatTimer = 0;
let chatLast = 0;

/**
 * Queue a chat line for reading. `more(n)` words the count of lines left out
 * (the caller's language).
 */
export function announceChat(line, more) {
  if (!line) return;
  if (chatLines.length < CHAT_MAX_LINES) chatLines.push(line);
  else chatMore += 1;
  if (chatTimer) return;
  const wait = Math.max(0, chatLast + CHAT_EVERY_MS - performance.now());
  chatTimer = setTimeout(() => {
    const text = [...chatLines, chatMore ? more(chatMore) : ""].filter(Boolean).join(" ");
    chatLines = [];
    chatMore = 0;
    chatTimer = 0;
    chatLast = performance.now();
    announce(text);
  }, wait);
}
