"""The telephone game: books of sentences and drawings passed from player to player.

Every player works at once on a book of their own. Page 1 is a sentence (or
a word picked from the room's word lists), page 2 a drawing of it by the
next player, page 3 the next player's description of that drawing, and so
on; at the end the album shows every book page by page to everyone at once.
No scores.

Phases: `writing` (page 1) → `drawing` → `describing` → `drawing` → ...
(`steps` pages in all) → `album` → lobby.

Rotation (PROTOCOL.md): at `start` the non-spectator seats in join order are
players 0..n-1; book j belongs to player j; page k (0-based) of book j is
made by player (j + k) mod n.

Choices made where PROTOCOL.md is silent:

- A step ends when every present book holder of the step has submitted
  (present: connected, or disconnected for less than AWAY_S, as in the
  classic game), or when its time is up. A holder gone longer, or whose
  seat was freed, does not hold the step up: their page keeps what they
  made, and stays empty if they made nothing.
- A sentence in progress is kept as its author types (`draft`); when the
  step ends before `submit`, the draft is the page. The chat filter applies
  when a sentence becomes a page: a `submit` the blocking filter refuses is
  refused (`filtered`); a draft it would block becomes an empty page; with
  `mask` the page is masked. Muted or kicked authors' pages stay.
- The prompt of a page is the last page of its book that is not empty: so a
  `draw` task may be shown a drawing (draw it again) and a `describe` task a
  sentence (say it again); with no such page the prompt is null ("anything
  you like").
- `draw` or `draft` on a page marked done: `page_submitted`. A task command
  from someone with no page in the step (spectator, TV screen, late joiner):
  `not_your_turn`. `unsubmit` of a page that is not done changes nothing and
  answers `progress` to the sender.
- With `first_page` `word`, `draft` is refused (`bad_message`: pick one of
  the words), and each holder is offered `word_choices` words picked as a
  classic drawer's are (packs, difficulty, custom words, recency).
- Each drawing page has its own budget (PAGE_LIMITS), and a game all its
  drawings together (GAME_MAX_STORED_BYTES): past either, `canvas_full`.
- In `album`, `react` likes or dislikes the page shown, once per page per
  seated player, never one's own page (`forbidden`); the room gets
  `reaction` with the page's tallies. The album goes back to the lobby
  after `album_next` on the last page of the last book, or after
  ALBUM_IDLE_S without `album_next`/`album_prev`.

Record kinds (Record.data fields):

- `game_started`: game_id, mode (`telephone`), settings, players [{id, name}]
- `step_started`: game_id, step, pages [{book, page, kind, owner_id,
  owner_name, author_id, author_name}]
- `page_ops`: game_id, book, page, ops (a validated batch, undo included)
- `page_text`: game_id, book, page, text (a draft, or what was submitted)
- `step_ended`: game_id, step, pages [{book, page, text, duration_ms}]
- `page_reaction`: game_id, book, page, likes, dislikes
- `game_over`: game_id, ranking [] (no scores), complete (bool)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drawgame.game.effects import Effect, Record, Send
from drawgame.game.errors import (
    AlreadyReacted,
    BadMessage,
    CanvasFull,
    Filtered,
    Forbidden,
    InvalidSettings,
    NotHost,
    NotYourTurn,
    PageSubmitted,
    WrongPhase,
)
from drawgame.game.filter import apply_filter
from drawgame.game.modes import base
from drawgame.game.modes.base import Content, ContentQuery
from drawgame.game.ops import Op, OpLimits, OpLog, stored_size
from drawgame.game.protocol import (
    AlbumNext,
    AlbumPrev,
    Command,
    Draft,
    Draw,
    React,
    Submit,
    Unsubmit,
)
from drawgame.game.state import GameState, PlayerState, RoomState
from drawgame.game.words import pick_choices, remember_offered

MIN_PLAYERS = 3
"""Connected non-spectators needed to start a telephone game."""
MIN_PRESENT = 2
"""Players present to go on with one: fewer end the game, straight to the album."""
ALBUM_IDLE_S = 300.0
"""The album goes back to the lobby after this long without `album_next`/`album_prev`."""
PAGE_MAX_OPS = 5_000
"""Ops one drawing page keeps after undo."""
PAGE_MAX_POINTS = 100_000
"""Points one drawing page keeps after undo."""
PAGE_MAX_STORED_OPS = 12_000
"""Ops one drawing page stores, undone ones and `undo` included."""
PAGE_MAX_STORED_BYTES = 1024 * 1024
"""Bytes of JSON one drawing page stores."""
PAGE_LIMITS = OpLimits(PAGE_MAX_OPS, PAGE_MAX_POINTS, PAGE_MAX_STORED_OPS, PAGE_MAX_STORED_BYTES)
"""One drawing page's budget: kept after undo, and stored (undo included)."""
GAME_MAX_STORED_BYTES = 16 * 1024 * 1024
"""Every drawing page of one game together, stored."""

STEP_PHASES = frozenset({"writing", "drawing", "describing"})
TEXT_PHASES = frozenset({"writing", "describing"})
TASK_KINDS = {"writing": "write", "drawing": "draw", "describing": "describe"}


@dataclass
class Page:
    """One page of a book: a sentence or a drawing, by its author."""

    author: str
    author_name: str
    kind: str
    """`text` or `drawing`."""
    started_at: float
    text: str = ""
    oplog: OpLog | None = None
    duration_ms: int | None = None
    """How long its author took (set when the step ends: to `submit`, else the step)."""
    done_at: float | None = None
    reactions: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.text if self.kind == "text" else self.oplog and self.oplog.ops)

    def tallies(self) -> tuple[int, int]:
        likes = sum(1 for v in self.reactions.values() if v == "like")
        return likes, len(self.reactions) - likes


@dataclass
class Book:
    owner: str
    owner_name: str
    pages: list[Page] = field(default_factory=list)


@dataclass
class TelephoneGame(GameState):
    """One telephone game: who holds which book, the books, the step and the album."""

    order: list[str] = field(default_factory=list)
    """The book holders at the start, in join order (player j owns book j)."""
    steps: int = 0
    step: int = 0
    """The page being made, 1-based (in `album`: the last one made)."""
    books: list[Book] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    """Holders whose page of the current step is marked done."""
    choices: dict[str, list[str]] = field(default_factory=dict)
    """Words offered to each holder on page 1 with `first_page` `word`."""
    album_book: int = 0
    album_page: int = 0
    complete: bool = True
    stored_bytes: int = 0
    """Stored drawing bytes of the whole game (GAME_MAX_STORED_BYTES)."""
    progress_sent: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def page_index(self) -> int:
        return self.step - 1

    def book_of(self, pid: str) -> int | None:
        """The book `pid` works on in the current step (None: no page in it)."""
        if pid not in self.order or self.step < 1:
            return None
        n = len(self.order)
        return (self.order.index(pid) - self.page_index) % n

    def page_of(self, pid: str) -> Page | None:
        j = self.book_of(pid)
        if j is None or len(self.books[j].pages) < self.step:
            return None
        return self.books[j].pages[self.page_index]


def game(room: RoomState) -> TelephoneGame:
    """The room's running telephone game."""
    assert isinstance(room.game, TelephoneGame)
    return room.game


class Telephone:
    """The telephone game's rules (the `ModeRules` of mode `telephone`)."""

    name = "telephone"
    phases = frozenset({*STEP_PHASES, "album"})
    playing_phases = frozenset(STEP_PHASES)
    min_players = MIN_PLAYERS
    command_types = frozenset({"draw", "submit", "unsubmit", "draft", "album_next",
                               "album_prev", "react"})

    # ------------------------------------------------------------ start and commands

    def start(self, room: RoomState, now: float) -> list[Effect]:
        order = [p.id for p in room.seated()]
        steps = room.settings.steps or len(order)
        if steps > len(order):
            raise InvalidSettings(
                f"steps ({steps}) cannot be more than the {len(order)} players", field="steps")
        base.begin_game(room)
        names = {p.id: p.name for p in room.seated()}
        room.game = TelephoneGame(order=order, steps=steps,
                                  books=[Book(pid, names[pid]) for pid in order])
        started = {"game_id": room.game_id, "mode": self.name,
                   "settings": room.settings.to_dict(),
                   "players": [{"id": pid, "name": names[pid]} for pid in order]}
        return [Record("game_started", started), *_next_step(room, now)]

    def command(self, room: RoomState, now: float, pid: str, cmd: Command) -> list[Effect]:
        match cmd:
            case Draw(ops=ops):
                return _draw(room, pid, ops)
            case Draft(text=text):
                return _draft(room, pid, text)
            case Submit(text=text):
                return _submit(room, now, pid, text)
            case Unsubmit():
                return _unsubmit(room, pid)
            case AlbumNext():
                return _album_move(room, now, pid, +1)
            case AlbumPrev():
                return _album_move(room, now, pid, -1)
            case React(value=value):
                return _react(room, pid, value)
        raise WrongPhase(f"not allowed during {room.phase}")

    def chat(self, room: RoomState, now: float, p: PlayerState, text: str) -> list[Effect] | None:
        return None

    # ------------------------------------------------------------ seats

    def joined(self, room: RoomState, now: float, p: PlayerState) -> list[Effect]:
        return []  # a late joiner waits for the next game

    def resumed(self, room: RoomState, now: float, p: PlayerState) -> list[Effect]:
        g = game(room)
        if room.phase not in STEP_PHASES or g.page_of(p.id) is None:
            return []
        return [Send((p.id,), _task_msg(room, now, p.id)), *_progress(room)]

    def removed(self, room: RoomState, now: float, p: PlayerState, reason: str) -> list[Effect]:
        game(room).done.discard(p.id)
        return []

    def settle(self, room: RoomState, now: float) -> list[Effect]:
        if room.phase not in STEP_PHASES:
            return []
        if len(room.present_players()) < MIN_PRESENT:
            return _end_step(room, now, early=True)
        if not _waiting(room):
            return _end_step(room, now)
        return _progress(room)

    # ------------------------------------------------------------ time

    def due(self, room: RoomState, now: float) -> list[Effect] | None:
        if room.deadline is None or now < room.deadline:
            return None
        if room.phase == "album":
            return base.to_lobby(room, now)
        return _end_step(room, now)

    def deadlines(self, room: RoomState) -> list[float]:
        return []

    # ------------------------------------------------------------ views

    def player_flags(self, room: RoomState, p: PlayerState) -> dict[str, bool]:
        done = room.phase in STEP_PHASES and p.id in game(room).done
        return {"drawer": False, "guessed": False, "done": done}

    def phase_fields(self, room: RoomState, now: float) -> dict[str, Any]:
        g = game(room)
        return {"mode": self.name, "round": g.step, "rounds": g.steps, "drawer_id": None,
                "hint": None, "step": g.step, "steps": g.steps}

    def snapshot_fields(self, room: RoomState, now: float, viewer: str | None
                        ) -> dict[str, Any]:
        g = game(room)
        in_step = room.phase in STEP_PHASES
        has_task = in_step and viewer is not None and g.page_of(viewer) is not None
        task = None
        if has_task and viewer is not None:
            task = {k: v for k, v in _task_msg(room, now, viewer).items() if k != "type"}
        progress = None
        if in_step:
            progress = {k: v for k, v in _progress_msg(room).items() if k != "type"}
        album = None
        if room.phase == "album":
            album = {k: v for k, v in _album_msg(room).items() if k != "type"}
        return {**self.phase_fields(room, now), "word": None, "ops": [], "task": task,
                "progress": progress, "album_page": album}

    # ------------------------------------------------------------ persistence

    def dump(self, room: RoomState, now: float, *, drawings: bool) -> dict[str, Any]:
        g = game(room)
        return {
            "order": list(g.order), "steps": g.steps, "step": g.step,
            "books": [{"owner": b.owner, "owner_name": b.owner_name,
                       "pages": [_dump_page(p, now, drawings) for p in b.pages]}
                      for b in g.books],
            "done": sorted(g.done), "choices": {k: list(v) for k, v in g.choices.items()},
            "album_book": g.album_book, "album_page": g.album_page, "complete": g.complete,
        }

    def load(self, room: RoomState, data: dict[str, Any], now: float) -> GameState:
        g = TelephoneGame(
            order=[str(pid) for pid in data["order"]], steps=int(data["steps"]),
            step=int(data["step"]),
            books=[Book(str(b["owner"]), str(b["owner_name"]),
                        [_load_page(p, now) for p in b["pages"]]) for b in data["books"]],
            done={str(pid) for pid in data["done"]},
            choices={str(k): [str(w) for w in v] for k, v in data["choices"].items()},
            album_book=int(data["album_book"]), album_page=int(data["album_page"]),
            complete=bool(data["complete"]),
        )
        if len(g.books) != len(g.order) or not 0 <= g.step <= g.steps:
            raise ValueError("unreadable telephone game")
        g.stored_bytes = _stored_bytes(g)
        return g

    def content_query(self, room: RoomState) -> ContentQuery | None:
        if room.game_id is None:
            return None
        return ContentQuery(room.game_id, pages=True)

    def restore(self, room: RoomState, content: Content) -> None:
        g = game(room)
        for stored in content.pages:
            if not (0 <= stored.book < len(g.books)
                    and 0 <= stored.page < len(g.books[stored.book].pages)):
                continue
            page = g.books[stored.book].pages[stored.page]
            if page.kind == "drawing":
                page.oplog = OpLog.replayed(stored.batches, PAGE_LIMITS)
            else:
                page.text = stored.text
        g.stored_bytes = _stored_bytes(g)


MODE = Telephone()
TelephoneGame.rules = MODE


def _dump_page(p: Page, now: float, drawings: bool) -> dict[str, Any]:
    ops = list(p.oplog.ops) if drawings and p.oplog is not None else None
    return {"author": p.author, "author_name": p.author_name, "kind": p.kind,
            "started_in": p.started_at - now, "text": p.text, "ops": ops,
            "duration_ms": p.duration_ms,
            "done_in": None if p.done_at is None else p.done_at - now,
            "reactions": dict(p.reactions)}


def _load_page(raw: dict[str, Any], now: float) -> Page:
    kind = str(raw["kind"])
    if kind not in ("text", "drawing"):
        raise ValueError(f"unknown page kind {kind!r}")
    oplog = None
    if kind == "drawing":
        oplog = OpLog.replayed([raw.get("ops") or []], PAGE_LIMITS)
    duration = raw.get("duration_ms")
    done_in = raw.get("done_in")
    return Page(author=str(raw["author"]), author_name=str(raw["author_name"]), kind=kind,
                started_at=now + float(raw["started_in"]), text=str(raw["text"]), oplog=oplog,
                duration_ms=None if duration is None else int(duration),
                done_at=None if done_in is None else now + float(done_in),
                reactions={str(k): str(v) for k, v in raw["reactions"].items()})


def _stored_bytes(g: TelephoneGame) -> int:
    return sum(p.oplog.stored_bytes for b in g.books for p in b.pages if p.oplog is not None)


# ---------------------------------------------------------------- steps


def _kind_of(page_index: int) -> tuple[str, str]:
    """The phase and page kind of a page: a sentence first, then drawing and sentence."""
    if page_index == 0:
        return "writing", "text"
    return ("drawing", "drawing") if page_index % 2 else ("describing", "text")


def _next_step(room: RoomState, now: float) -> list[Effect]:
    g = game(room)
    g.step += 1
    g.done = set()
    g.progress_sent = None
    phase, kind = _kind_of(g.page_index)
    n = len(g.order)
    pages = []
    for j, book in enumerate(g.books):
        author = g.order[(j + g.page_index) % n]
        seat = room.players.get(author)
        name = seat.name if seat is not None else _known_name(g, author)
        oplog = OpLog(limits=PAGE_LIMITS) if kind == "drawing" else None
        book.pages.append(Page(author, name, kind, started_at=now, oplog=oplog))
        pages.append({"book": j, "page": g.page_index, "kind": kind, "owner_id": book.owner,
                      "owner_name": book.owner_name, "author_id": author, "author_name": name})
    g.choices = _offer_words(room, g) if g.step == 1 else {}
    s = room.settings
    base.enter(room, now, phase, s.draw_time_s if kind == "drawing" else s.write_time_s)
    effects: list[Effect] = [
        Record("step_started", {"game_id": room.game_id, "step": g.step, "pages": pages}),
        base.phase(room, now),
    ]
    for pid in g.order:
        if pid in room.players and room.players[pid].connected:
            effects.append(Send((pid,), _task_msg(room, now, pid)))
    return [*effects, *_progress(room, force=True), base.players(room)]


def _known_name(g: TelephoneGame, pid: str) -> str:
    return next((b.owner_name for b in g.books if b.owner == pid), "")


def _offer_words(room: RoomState, g: TelephoneGame) -> dict[str, list[str]]:
    """Page 1 with `first_page` `word`: `word_choices` words for each holder, none twice."""
    s = room.settings
    if s.first_page != "word":
        return {}
    offered: set[str] = set()
    choices: dict[str, list[str]] = {}
    for pid in g.order:
        picks = pick_choices(
            room.rng, room.words_for(s.language), packs=s.packs, difficulty=s.difficulty,
            custom_words=s.custom_words, custom_only=s.custom_only, used=(), offered=offered,
            recent=room.recent_words, n=s.word_choices,
        )
        offered.update(w.key for w in picks)
        remember_offered(room.recent_words, (w.key for w in picks), room.games_started)
        choices[pid] = [w.text for w in picks]
    return choices


def _end_step(room: RoomState, now: float, *, early: bool = False) -> list[Effect]:
    """Close the step's pages as they are, then the next step or the album."""
    g = game(room)
    ended = []
    for j, book in enumerate(g.books):
        page = book.pages[g.page_index]
        if page.kind == "text":
            page.text = _page_text(room, page.text)
        until = page.done_at if page.done_at is not None else now
        page.duration_ms = max(0, round((until - page.started_at) * 1000))
        ended.append({"book": j, "page": g.page_index, "text": page.text,
                      "duration_ms": page.duration_ms})
    g.done = set()
    effects: list[Effect] = [
        Record("step_ended", {"game_id": room.game_id, "step": g.step, "pages": ended})]
    if early or g.step >= g.steps:
        g.complete = not early
        return effects + _begin_album(room, now)
    return effects + _next_step(room, now)


def _page_text(room: RoomState, text: str) -> str:
    """A sentence as its page keeps it: through the chat filter (blocked: empty)."""
    if not text:
        return ""
    shown = apply_filter(room.word_filter(), room.settings.chat_filter, text)
    return shown or ""


def _waiting(room: RoomState) -> list[str]:
    """Present holders of the step whose page is not done, in order."""
    g = game(room)
    return [pid for pid in g.order
            if pid in room.players and room.players[pid].present and pid not in g.done]


def _progress_msg(room: RoomState) -> dict[str, Any]:
    g = game(room)
    done = [pid for pid in g.order if pid in g.done and pid in room.players]
    return {"type": "progress", "step": g.step, "done": done, "waiting": _waiting(room)}


def _progress(room: RoomState, *, force: bool = False) -> list[Effect]:
    """`progress` to all, when it changed since last sent (or when `force`)."""
    g = game(room)
    msg = _progress_msg(room)
    key = (tuple(msg["done"]), tuple(msg["waiting"]))
    if key == g.progress_sent and not force:
        return []
    g.progress_sent = key
    return [Send(None, msg)]


def _task_msg(room: RoomState, now: float, pid: str) -> dict[str, Any]:
    g = game(room)
    j = g.book_of(pid)
    page = g.page_of(pid)
    assert j is not None and page is not None
    msg: dict[str, Any] = {
        "type": "task", "book_id": f"b{j + 1}", "step": g.step,
        "kind": TASK_KINDS[room.phase], "prompt": _prompt(g.books[j], g.page_index),
        "choices": g.choices.get(pid) if g.step == 1 and g.choices else None,
        "ends_in_ms": base.left_ms(room, now), "submitted": pid in g.done,
    }
    if page.kind == "drawing":
        msg["draft_ops"] = list(page.oplog.ops) if page.oplog is not None else []
    else:
        msg["draft_text"] = page.text
    return msg


def _prompt(book: Book, index: int) -> dict[str, Any] | None:
    """The last page before `index` that is not empty, as the next author sees it."""
    for page in reversed(book.pages[:index]):
        if page.empty:
            continue
        if page.kind == "text":
            return {"kind": "text", "text": page.text}
        assert page.oplog is not None
        return {"kind": "drawing", "ops": list(page.oplog.ops)}
    return None


# ---------------------------------------------------------------- page commands


def _my_page(room: RoomState, pid: str, *phases: str) -> tuple[TelephoneGame, Page]:
    if room.phase not in phases:
        raise WrongPhase(f"not allowed during {room.phase}")
    g = game(room)
    page = g.page_of(pid)
    if page is None:
        raise NotYourTurn("you have no page to make in this game")
    return g, page


def _draw(room: RoomState, pid: str, ops: list[Op]) -> list[Effect]:
    g, page = _my_page(room, pid, "drawing")
    if pid in g.done:
        raise PageSubmitted("your drawing is marked done: take it back to change it")
    assert page.oplog is not None
    size = stored_size(ops)
    if g.stored_bytes + size > GAME_MAX_STORED_BYTES:
        raise CanvasFull("this game's drawings have used all their room")
    before = page.oplog.stored_bytes
    page.oplog.apply(ops)
    g.stored_bytes += page.oplog.stored_bytes - before
    book = g.book_of(pid)
    return [Record("page_ops", {"game_id": room.game_id, "book": book,
                                "page": g.page_index, "ops": ops})]


def _draft(room: RoomState, pid: str, text: str) -> list[Effect]:
    g, page = _my_page(room, pid, *TEXT_PHASES)
    if pid in g.done:
        raise PageSubmitted("your page is marked done: take it back to change it")
    if g.choices.get(pid):
        raise BadMessage("pick one of the offered words", field="text")
    page.text = text
    return [_text_record(room, g, pid, text)]


def _submit(room: RoomState, now: float, pid: str, text: str | None) -> list[Effect]:
    g, page = _my_page(room, pid, *STEP_PHASES)
    if page.kind == "drawing":
        if text is not None:
            raise BadMessage("a drawing page is submitted without text", field="text")
        effects: list[Effect] = []
    else:
        if text is None:
            raise BadMessage("text is needed for a sentence page", field="text")
        offered = g.choices.get(pid)
        if offered and text not in offered:
            raise BadMessage("that word was not offered to you", field="text")
        shown = apply_filter(room.word_filter(), room.settings.chat_filter, text)
        if shown is None:
            raise Filtered("that sentence has a word this room's chat filter blocks",
                           field="text")
        page.text = shown
        effects = [_text_record(room, g, pid, shown)]
    g.done.add(pid)
    page.done_at = now
    effects += [base.players(room)]
    if not _waiting(room):
        return effects + _end_step(room, now)
    return effects + _progress(room)


def _unsubmit(room: RoomState, pid: str) -> list[Effect]:
    g, page = _my_page(room, pid, *STEP_PHASES)
    if pid not in g.done:
        return [Send((pid,), _progress_msg(room))]
    g.done.discard(pid)
    page.done_at = None
    return [base.players(room), *_progress(room)]


def _text_record(room: RoomState, g: TelephoneGame, pid: str, text: str) -> Record:
    return Record("page_text", {"game_id": room.game_id, "book": g.book_of(pid),
                                "page": g.page_index, "text": text})


# ---------------------------------------------------------------- the album


def _begin_album(room: RoomState, now: float) -> list[Effect]:
    g = game(room)
    g.album_book, g.album_page = 0, 0
    base.enter(room, now, "album", ALBUM_IDLE_S)
    over: dict[str, Any] = {"game_id": room.game_id, "ranking": []}
    return [base.phase(room, now), Send(None, {"type": "game_over", **over}),
            Send(None, _album_msg(room)), base.players(room),
            Record("game_over", {**over, "complete": g.complete})]


def _album_msg(room: RoomState) -> dict[str, Any]:
    g = game(room)
    book = g.books[g.album_book]
    page = book.pages[g.album_page]
    entry: dict[str, Any] = {"author": {"id": page.author, "name": page.author_name},
                             "kind": page.kind}
    if page.kind == "text":
        entry["text"] = page.text
    else:
        entry["ops"] = list(page.oplog.ops) if page.oplog is not None else []
    likes, dislikes = page.tallies()
    return {"type": "album_page", "book": g.album_book, "page": g.album_page,
            "books": len(g.books), "pages": len(book.pages),
            "owner": {"id": book.owner, "name": book.owner_name}, "entry": entry,
            "likes": likes, "dislikes": dislikes}


def _album_move(room: RoomState, now: float, pid: str, step: int) -> list[Effect]:
    if room.phase != "album":
        raise WrongPhase(f"not allowed during {room.phase}")
    if room.host_id != pid:
        raise NotHost("only the host can turn the album's pages")
    g = game(room)
    last_book = len(g.books) - 1
    if step > 0:
        if g.album_page < len(g.books[g.album_book].pages) - 1:
            g.album_page += 1
        elif g.album_book < last_book:
            g.album_book, g.album_page = g.album_book + 1, 0
        else:
            return base.to_lobby(room, now)
    elif g.album_page > 0:
        g.album_page -= 1
    elif g.album_book > 0:
        g.album_book -= 1
        g.album_page = len(g.books[g.album_book].pages) - 1
    room.deadline = now + ALBUM_IDLE_S
    return [Send(None, _album_msg(room))]


def _react(room: RoomState, pid: str, value: str) -> list[Effect]:
    if room.phase != "album":
        raise WrongPhase(f"not allowed during {room.phase}")
    g = game(room)
    page = g.books[g.album_book].pages[g.album_page]
    if room.players[pid].spectator:
        raise Forbidden("only players can react")
    if page.author == pid:
        raise Forbidden("you cannot react to your own page")
    if pid in page.reactions:
        raise AlreadyReacted("you already reacted to this page")
    page.reactions[pid] = value
    likes, dislikes = page.tallies()
    tallies = {"game_id": room.game_id, "book": g.album_book, "page": g.album_page,
               "likes": likes, "dislikes": dislikes}
    return [Send(None, {"type": "reaction", "likes": likes, "dislikes": dislikes,
                        "book": g.album_book, "page": g.album_page}),
            Record("page_reaction", tallies)]
