// The wire contract of PROTOCOL.md, mirrored once for the whole client:
// message type names, phases, limits and the Settings table.

export const CANVAS_W = 1000;
export const CANVAS_H = 750;
export const BACKGROUND = "#ffffff";
export const MAX_OPS_PER_FRAME = 64;
export const MAX_POINTS_PER_LINE = 512;
export const MIN_WIDTH = 1;
export const MAX_WIDTH = 60;
export const MAX_CHAT_LEN = 200;
/** A telephone sentence page's longest text (`submit` and `draft`). */
export const MAX_PAGE_TEXT = 100;
export const MAX_NAME_LEN = 24;
export const MAX_CUSTOM_WORDS = 1000;
export const MAX_CUSTOM_WORD_LEN = 32;
export const MIN_CUSTOM_ONLY_WORDS = 10;

/** Drawn avatars (PROTOCOL.md "Avatars"): strokes [colour, width, x, y, ...] on a square. */
export const AVATAR_SIZE = 64;
export const AVATAR_PALETTE = Object.freeze(["#ffffff", "#1e1e1e", "#f4c7a1", "#a0673f", "#5c3b1e",
  "#e03131", "#f59f00", "#2f9e44", "#1971c2", "#9c36b5"]);
export const AVATAR_MAX_WIDTH = 48;
export const MAX_AVATAR_STROKES = 40;
export const MAX_AVATAR_BYTES = 512;

/** Client -> server message types. */
export const C = Object.freeze({
  HELLO: "hello",
  SETTINGS: "settings",
  START: "start",
  CHOOSE: "choose",
  DRAW: "draw",
  CHAT: "chat",
  REACT: "react",
  KICK: "kick",
  VOTE_KICK: "vote_kick",
  TRANSFER_HOST: "transfer_host",
  MUTE: "mute",
  PING: "ping",
  LEAVE: "leave",
  SUBMIT: "submit",
  UNSUBMIT: "unsubmit",
  DRAFT: "draft",
  ALBUM_NEXT: "album_next",
  ALBUM_PREV: "album_prev",
  AVATAR: "avatar",
  HIDE_AVATAR: "hide_avatar",
});

/** Server -> client message types. */
export const S = Object.freeze({
  WELCOME: "welcome",
  PLAYERS: "players",
  SETTINGS: "settings",
  PHASE: "phase",
  CHOICES: "choices",
  WORD: "word",
  HINT: "hint",
  DRAW: "draw",
  CHAT: "chat",
  CORRECT: "correct",
  CLOSE: "close",
  REACTION: "reaction",
  TURN_END: "turn_end",
  GAME_OVER: "game_over",
  KICK_VOTE: "kick_vote",
  ERROR: "error",
  NOTICE: "notice",
  SHUTDOWN: "shutdown",
  MUTED: "muted",
  ROOM: "room",
  PONG: "pong",
  TASK: "task",
  PROGRESS: "progress",
  ALBUM_PAGE: "album_page",
  AVATAR: "avatar",
});

/** Drawing op kinds; an op names its kind in the `op` field. */
export const OP = Object.freeze({
  LINE: "line",
  ERASE: "erase",
  FILL: "fill",
  UNDO: "undo",
  CLEAR: "clear",
});

export const PHASE = Object.freeze({
  LOBBY: "lobby",
  CHOOSING: "choosing",
  DRAWING: "drawing",
  REVEAL: "reveal",
  RESULTS: "results",
  WRITING: "writing",
  DESCRIBING: "describing",
  ALBUM: "album",
});

export const CHANNEL = Object.freeze({ ALL: "all", GUESSED: "guessed", SYSTEM: "system" });

export const CLOSE_CODE = Object.freeze({
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_LARGE: 1009,
  SERVER_ERROR: 1011,
  RESTART: 1012,
  TRY_LATER: 1013,
  KICKED: 4001,
  MOVED: 4300,
  NOT_FOUND: 4004,
  FULL: 4009,
  NO_HELLO: 4401,
  REPLACED: 4409,
});

/** Close codes after which reconnecting on our own would be wrong. */
export const FATAL_CLOSES = new Set([
  CLOSE_CODE.POLICY, CLOSE_CODE.KICKED, CLOSE_CODE.NOT_FOUND,
  CLOSE_CODE.FULL, CLOSE_CODE.REPLACED,
]);

/** Error codes that refuse a `hello` (the seat was not taken). */
export const JOIN_ERRORS = new Set(["bad_name", "name_taken", "bad_token", "room_full", "maintenance", "filtered"]);

/** `draw_time_s` may go this far in relaxed rooms (the table's max otherwise). */
export const RELAXED_MAX_DRAW_TIME_S = 600;

/** The game modes (`settings.mode`, `phase.mode`); each one's screens are in modes/<mode>.js. */
export const MODE = Object.freeze({ CLASSIC: "classic", TELEPHONE: "telephone" });

/**
 * Settings fields with their ranges and defaults (PROTOCOL.md `Settings`); labels are `set.<name>`.
 * `modes`: the modes a field applies to (all when absent); `words`: a field of the word
 * offers, which a telephone game uses only when its first page is a picked word.
 */
export const SETTINGS = Object.freeze([
  { name: "mode", kind: "choice", choices: [MODE.CLASSIC, MODE.TELEPHONE], def: MODE.CLASSIC, labels: "mode",
    testid: "setting-mode", notes: "modeNote" },
  { name: "max_players", kind: "int", min: 2, max: 16, def: 8 },
  { name: "rounds", kind: "int", min: 1, max: 10, def: 3, modes: [MODE.CLASSIC] },
  { name: "draw_time_s", kind: "int", min: 30, max: 240, def: 80, step: 10 },
  { name: "write_time_s", kind: "int", min: 10, max: 120, def: 40, step: 5, modes: [MODE.TELEPHONE] },
  { name: "steps", kind: "int", min: 2, max: 16, def: null, nullable: "set.stepsAuto", modes: [MODE.TELEPHONE] },
  { name: "first_page", kind: "choice", choices: ["write", "word"], def: "write", labels: "firstPage",
    modes: [MODE.TELEPHONE] },
  { name: "choose_time_s", kind: "int", min: 5, max: 30, def: 15, modes: [MODE.CLASSIC] },
  { name: "word_choices", kind: "int", min: 1, max: 5, def: 3, words: true },
  { name: "hints", kind: "int", min: 0, max: 5, def: 2, modes: [MODE.CLASSIC] },
  { name: "language", kind: "language", def: "en" },
  { name: "difficulty", kind: "choice", choices: ["mixed", "easy", "medium", "hard"], def: "mixed", words: true },
  { name: "packs", kind: "packs", def: [], words: true },
  { name: "custom_words", kind: "words", def: [], words: true },
  { name: "custom_only", kind: "bool", def: false, note: "set.customOnlyNote", words: true },
  { name: "relaxed", kind: "bool", def: false, note: "set.relaxedNote" },
  { name: "chat_filter", kind: "choice", choices: ["off", "mask", "block"], def: "mask", labels: "filter" },
]);

/** Word difficulties, as `choices.difficulties` names them (null: a custom word). */
export const LEVELS = Object.freeze(["easy", "medium", "hard"]);

/** The largest word file `POST /api/words/parse` reads. */
export const MAX_WORD_FILE_BYTES = 256 * 1024;

/** A telephone task's kind (`task.kind`), and a page's in the album (`entry.kind`). */
export const TASK = Object.freeze({ WRITE: "write", DRAW: "draw", DESCRIBE: "describe" });
export const PAGE = Object.freeze({ TEXT: "text", DRAWING: "drawing" });

/** Why a turn ends (`turn_end.reason`); the text is `reason.<reason>`. */
export const TURN_END_REASONS = Object.freeze(["all_guessed", "time_up", "drawer_left", "drawer_kicked"]);

/** The kind of an op, accepting `type` as an alias of `op`. */
export function opKind(op) {
  return op.op ?? op.type;
}
