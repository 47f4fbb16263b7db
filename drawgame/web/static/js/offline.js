// The page the service worker shows when the server cannot be reached (at the
// address the player asked for). It asks the server every few seconds, and when
// the network comes back, and opens the asked page again as soon as it answers.

import { use, detect, translatePage } from "./i18n.js";
import { url } from "./paths.js";

const FIRST_WAIT_MS = 2000;
const LONGEST_WAIT_MS = 30000;
let wait = FIRST_WAIT_MS;
let timer = null;

async function answers() {
  try {
    const res = await fetch(url("/api/health"), { cache: "no-store" });
    return res.status < 500 || res.headers.get("content-type")?.startsWith("application/json");
  } catch {
    return false;
  }
}

async function check() {
  clearTimeout(timer);
  if (await answers()) {
    window.location.reload();
    return;
  }
  wait = Math.min(wait * 2, LONGEST_WAIT_MS);
  timer = setTimeout(check, wait);
}

async function main() {
  try {
    await use(detect());
  } catch {
    await use("en"); // the language's table was never kept: English it is
  }
  translatePage();
  document.getElementById("offline-retry").addEventListener("click", () => {
    wait = FIRST_WAIT_MS;
    check();
  });
  window.addEventListener("online", check);
  document.documentElement.classList.remove("is-loading");
  timer = setTimeout(check, wait);
}

main();
