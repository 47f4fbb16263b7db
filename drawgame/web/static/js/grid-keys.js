// One Tab stop for a grid of tiles (an album, a gallery): Tab enters the grid at the
// control last used and leaves it at once; inside, the arrow keys move. Left and Right
// go to the previous and next control (next and previous on a right-to-left page, where
// the grid is mirrored), Up and Down to the same control of the tile a row above or
// below (tiles without controls are passed over), Home and End to the first and last
// control. Controls are the grid's buttons and links; the grid may be
// re-rendered at any time (call refresh()).

const CONTROLS = "button, a[href]";

/** Make `root` (a list of tiles) one Tab stop moved through by arrows; returns {refresh}. */
export function gridKeys(root, tileSelector = ":scope > li") {
  let current = null;
  const tiles = () => [...root.querySelectorAll(tileSelector)];
  const controls = () => [...root.querySelectorAll(CONTROLS)].filter((el) => !el.disabled && !el.closest("[hidden]"));

  function refresh() {
    const all = controls();
    if (!all.includes(current)) current = all[0] ?? null;
    for (const el of all) el.tabIndex = el === current ? 0 : -1;
  }

  function focus(el) {
    if (!el) return;
    current = el;
    refresh();
    el.focus();
  }

  /** The tiles of the row above (-1) or below (+1) in the layout, in order. */
  function neighbour(tile, direction) {
    const list = tiles();
    const top = (el) => Math.round(el.getBoundingClientRect().top);
    const rows = [];
    for (const el of list) {
      const row = rows.at(-1);
      if (row && top(row[0]) === top(el)) row.push(el);
      else rows.push([el]);
    }
    const r = rows.findIndex((row) => row.includes(tile));
    const column = rows[r].indexOf(tile);
    for (let i = r + direction; i >= 0 && i < rows.length; i += direction) {
      const row = rows[i];
      const ordered = [...row.slice(0, column + 1).reverse(), ...row.slice(column + 1)];
      const target = ordered.find((el) => el.querySelector(CONTROLS));
      if (target) return target;
    }
    return null;
  }

  root.addEventListener("focusin", (e) => {
    if (controls().includes(e.target)) {
      current = e.target;
      refresh();
    }
  });

  root.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const all = controls();
    const i = all.indexOf(e.target);
    if (i < 0) return;
    let next = null;
    const ahead = getComputedStyle(root).direction === "rtl" ? -1 : 1; // a mirrored grid runs right to left
    if (e.key === "ArrowRight") next = all[Math.min(all.length - 1, Math.max(0, i + ahead))];
    else if (e.key === "ArrowLeft") next = all[Math.min(all.length - 1, Math.max(0, i - ahead))];
    else if (e.key === "Home") next = all[0];
    else if (e.key === "End") next = all.at(-1);
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const tile = e.target.closest(tileSelector.replace(":scope > ", ""));
      const target = tile && neighbour(tile, e.key === "ArrowDown" ? 1 : -1);
      if (target) {
        const mine = [...tile.querySelectorAll(CONTROLS)].indexOf(e.target);
        const theirs = [...target.querySelectorAll(CONTROLS)];
        next = theirs[Math.min(mine, theirs.length - 1)];
      } else next = e.target;
    } else return;
    e.preventDefault();
    focus(next);
  });

  return { refresh };
}
