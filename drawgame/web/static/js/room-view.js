// The room's view: what the room page needs once it joins (the canvas and its tools,
// the players, the chat, the settings, the modes, the album), apart from what its
// name prompt needs (room.js). The page shows its name prompt with a third of the
// code; room.js imports this module when it joins, and boot.js starts loading it as
// soon as the player touches the prompt (`data-later="interaction"` in room.html), or
// at once when this browser holds a seat.

export { Board } from "./canvas.js";
export { DrawInput } from "./draw-input.js";
export { buildToolbar, bindShortcuts } from "./toolbar.js";
export { PlayerList } from "./players.js";
export { ChatLog } from "./chat.js";
export { Hud } from "./hud.js";
export { buildSettingsFields } from "./settings-form.js";
export { createModes } from "./modes/index.js";
export { renderGallery } from "./gallery.js";
