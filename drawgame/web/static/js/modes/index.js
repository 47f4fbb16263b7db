// The game modes the room page knows, and which one is on.
//
// A mode is one module holding its screens. The room shell (room.js) owns what every
// room has (the connection, players, chat, host menus, settings, the lobby panel, the
// TV and controller layouts, the shared canvas with its tools) and knows a mode only
// through the object its factory returns:
//
//   id                  the protocol's `mode` value
//   minPlayers          connected non-spectators the host needs to start
//   handlers            {type: (msg) => void}: server messages this mode handles (looked
//                       up before the shell's own; only the current mode's are asked)
//   welcome(room)       a welcome snapshot in this mode, after the shell took the shared fields
//   phase(msg, prev)    a `phase` message, after the shell stored its shared fields
//   render()            draw the stage for the current phase: show or hide #play-area and
//                       the mode's own panels; true when the mode covers the lobby panel
//   hide()              another mode took the stage: hide this mode's panels and put the
//                       shared surface (#canvas-wrap, #turn-info, the slots) back
//   renderHud()         the top bar: round or step, and the word box
//   onSecond(s)         each second of the countdown
//   onError(msg)        an error answered to this page; true when the mode said it all
//   chatHint()          {text, guessed} for the chat box, or null for the shell's own
//   drawing()           whether this player draws on the shared canvas right now
//   layout()            the controller layout's variant on a phone: "drawer", "guesser",
//                       "writer" (a sentence page) or "remote" (the album's buttons)
//   ranked()            whether the player list shows ranks and scores
//   summary(s, lang)    the one-line description of the settings shown to guests
//   players()           (optional) the player list changed
//
// The factory gets the shell: {st (room, players, meId, votes), send(msg), me(),
// isHost(), playerName(id), board, input, toolbar, hud, chat, flagTitle(note),
// renderStage(), renderHud(), renderPlayers(), renderLayout(), resizeCanvas(),
// el: {stage, top, bottom}}.
// To add a mode: write modes/<id>.js exporting its factory and list it here.

import { createClassic } from "./classic.js";
import { createTelephone } from "./telephone.js";

const FACTORIES = [["classic", createClassic], ["telephone", createTelephone]];

/** Every mode, built once on the shell: {modes: Map(id -> mode), of(room) -> mode}. */
export function createModes(shell) {
  const modes = new Map(FACTORIES.map(([id, make]) => [id, make(shell)]));
  const fallback = modes.get("classic");
  return {
    all: [...modes.values()],
    /** The mode a room plays: the running game's (`phase.mode`), else the settings'. */
    of(room) {
      const running = room.phase !== "lobby" && room.mode ? room.mode : null;
      return modes.get(running ?? room.settings?.mode ?? "classic") ?? fallback;
    },
  };
}
