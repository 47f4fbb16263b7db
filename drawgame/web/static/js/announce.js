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
