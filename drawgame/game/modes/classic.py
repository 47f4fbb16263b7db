"""The classic game: one player draws a secret word, the others race to guess it.

Phases: (`choosing` → `drawing` → `reveal`) per turn → `results` → lobby.

Choices made where PROTOCOL.md is silent (the room's own are in rules.py):

- Eligible guessers are the present non-spectators other than the drawer,
  plus anyone who already guessed this turn. When fewer than 2
  non-spectators are present during a game, the game ends early: the
  running turn is closed (`turn_end`), then `results` with `game_over` as
  usual, its record marked `complete: false`.
- Turns go to connected non-spectators only; a disconnected player's slot in
  a round is skipped, and kept for the next rounds while the seat is held.
  A player who joins during a game gets a slot at the end of the order.
- A drawer gone while still choosing (no word yet) gets no `turn_end`: the
  next turn starts at once.
- Only in `drawing` are the drawer's and guessed players' lines on channel
  `guessed`; in other phases everyone talks on `all`. The drawer, who knows
  the word, may not send text containing it (`word_in_chat`); in `choosing`
  the drawer may not send any offered word.
- No refusal or hidden line may tell a seat anything about the word that one
  guess would not. So only the whole line, normalized like a guess, is ever
  compared with the word, never what the line merely contains: a guesser's
  line that is the word is a correct guess, one edit from it gets `close`
  (with the guess as `text`) and reaches nobody else, anything else (also
  "an elephant maybe") is chat to everyone. A spectator's line that is the
  word or one edit from it reaches only the spectator, as an ordinary chat
  line (no `word_in_chat`, no `close`), so the sender learns nothing and
  another seat learns no more than from one guess.

Record kinds (Record.data fields; times are on the room clock, the store
stamps wall-clock times itself):

- `game_started`: game_id, mode (`classic`), settings, players [{id, name}]
- `turn_started`: game_id, turn, round, drawer_id, word, started_at
- `ops`: game_id, turn, ops (a validated batch as relayed, undo included)
- `turn_ended`: game_id, turn, round, drawer_id, word, reason, points
  {player_id: int}, started_at, ended_at, duration_ms, ops (the effective
  drawing, undo applied)
- `scores`: game_id, scores {player_id: int} (after a start and every turn)
- `game_over`: game_id, ranking [{id, name, score, rank}], complete (bool)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drawgame.game.effects import Effect, Record, Send
from drawgame.game.errors import (
    AlreadyReacted,
    BadMessage,
    Forbidden,
    NotYourTurn,
    WordInChat,
    WrongPhase,
)
from drawgame.game.hints import hint_times, pick_hint_positions, render_hint
from drawgame.game.matching import contains_word, is_close, is_correct, normalize
from drawgame.game.modes import base
from drawgame.game.modes.base import Content, ContentQuery
from drawgame.game.ops import Op, OpLog
from drawgame.game.protocol import Choose, Command, Draw, React
from drawgame.game.scoring import drawer_points, guesser_points
from drawgame.game.state import GameState, PlayerState, RoomState
from drawgame.game.words import pick_choices, remember_offered

REVEAL_S = 5.0
"""How long the word and the turn's points are shown before the next turn."""
RESULTS_S = 15.0
"""How long the final ranking is shown before the room goes back to the lobby."""
MIN_PLAYERS = 2
"""Non-spectators needed to start, and present to go on with, a game."""

PLAYING = frozenset({"choosing", "drawing", "reveal"})
"""Phases in which a game is running (players have a place in the drawing order)."""


@dataclass
class ClassicGame(GameState):
    """One classic game: the drawing order, the running turn, and what was drawn."""

    order: list[str] = field(default_factory=list)
    position: int = -1
    round: int = 0
    turn: int = 0
    drawer_id: str | None = None
    word: str | None = None
    choices: list[str] = field(default_factory=list)
    choice_difficulties: list[str | None] = field(default_factory=list)
    """The difficulty of each offered word, in order (None: a custom word)."""
    hint_positions: list[int] = field(default_factory=list)
    hint_times: list[float] = field(default_factory=list)
    revealed: int = 0
    guess_points: dict[str, int] = field(default_factory=dict)
    """This turn's correct guessers, in guessing order, with their points."""
    guessed: set[str] = field(default_factory=set)
    """Who has guessed this turn's word (the Player flag `guessed`)."""
    reactions: dict[str, str] = field(default_factory=dict)
    used_words: set[str] = field(default_factory=set)
    """Normalized words drawn in this game: not offered again while others remain."""
    offered_words: set[str] = field(default_factory=set)
    """Normalized words offered in this game: offered again only after the others."""
    oplog: OpLog = field(default_factory=OpLog)

    def revealed_positions(self) -> list[int]:
        """Letter positions of the word revealed by hints so far."""
        return self.hint_positions[: self.revealed]


def game(room: RoomState) -> ClassicGame:
    """The room's running classic game."""
    assert isinstance(room.game, ClassicGame)
    return room.game


class Classic:
    """The classic game's rules (the `ModeRules` of mode `classic`)."""

    name = "classic"
    phases = frozenset({"choosing", "drawing", "reveal", "results"})
    playing_phases = PLAYING
    min_players = MIN_PLAYERS
    command_types = frozenset({"draw", "choose", "react"})

    # ------------------------------------------------------------ start and commands

    def start(self, room: RoomState, now: float) -> list[Effect]:
        base.begin_game(room)
        g = ClassicGame(order=[p.id for p in room.seated()], round=1)
        room.game = g
        started = {"game_id": room.game_id, "mode": self.name,
                   "settings": room.settings.to_dict(),
                   "players": [{"id": p.id, "name": p.name} for p in room.seated()]}
        return [Record("game_started", started), _scores_record(room), *_next_turn(room, now)]

    def command(self, room: RoomState, now: float, pid: str, cmd: Command) -> list[Effect]:
        match cmd:
            case Draw(ops=ops):
                return _draw(room, pid, ops)
            case Choose(index=index):
                return _choose(room, now, pid, index)
            case React(value=value):
                return _react(room, pid, value)
        raise WrongPhase(f"not allowed during {room.phase}")

    def chat(self, room: RoomState, now: float, p: PlayerState, text: str) -> list[Effect] | None:
        return _chat(room, now, p, text)

    # ------------------------------------------------------------ seats

    def joined(self, room: RoomState, now: float, p: PlayerState) -> list[Effect]:
        if not p.spectator and room.phase in PLAYING:
            game(room).order.append(p.id)
        return []

    def resumed(self, room: RoomState, now: float, p: PlayerState) -> list[Effect]:
        g = game(room)
        if room.phase == "choosing" and p.id == g.drawer_id:
            return [_choices(room, now)]
        return []

    def removed(self, room: RoomState, now: float, p: PlayerState, reason: str) -> list[Effect]:
        g = game(room)
        _drop_from_order(g, p.id)
        g.reactions.pop(p.id, None)
        if p.id == g.drawer_id and room.phase in ("choosing", "drawing"):
            return _end_turn(room, now, "drawer_kicked" if reason == "kicked" else "drawer_left")
        return []

    def settle(self, room: RoomState, now: float) -> list[Effect]:
        return _settle(room, now)

    # ------------------------------------------------------------ time

    def due(self, room: RoomState, now: float) -> list[Effect] | None:
        if _hint_due(room, now):
            return _reveal_hints(room, now)
        if room.deadline is not None and now >= room.deadline:
            return _on_deadline(room, now)
        return None

    def deadlines(self, room: RoomState) -> list[float]:
        g = game(room)
        if room.phase == "drawing" and g.revealed < len(g.hint_times):
            return [g.hint_times[g.revealed]]
        return []

    # ------------------------------------------------------------ views

    def player_flags(self, room: RoomState, p: PlayerState) -> dict[str, bool]:
        g = game(room)
        return {"drawer": p.id == g.drawer_id, "guessed": p.id in g.guessed, "done": False}

    def phase_fields(self, room: RoomState, now: float) -> dict[str, Any]:
        g = game(room)
        return {"mode": self.name, "round": g.round, "rounds": room.settings.rounds,
                "drawer_id": g.drawer_id, "hint": _public_hint(room), "step": None,
                "steps": None}

    def snapshot_fields(self, room: RoomState, now: float, viewer: str | None
                        ) -> dict[str, Any]:
        g = game(room)
        return {**self.phase_fields(room, now),
                "word": g.word if _may_see_word(room, viewer) else None,
                "ops": list(g.oplog.ops), "task": None, "progress": None, "album_page": None}

    # ------------------------------------------------------------ persistence

    def dump(self, room: RoomState, now: float, *, drawings: bool) -> dict[str, Any]:
        g = game(room)
        return {
            "ops": list(g.oplog.ops) if drawings else [],
            "order": list(g.order), "position": g.position, "round": g.round, "turn": g.turn,
            "drawer_id": g.drawer_id, "word": g.word, "choices": list(g.choices),
            "choice_difficulties": list(g.choice_difficulties),
            "hint_positions": list(g.hint_positions),
            "hint_in": [t - now for t in g.hint_times], "revealed": g.revealed,
            "guess_points": dict(g.guess_points), "guessed": sorted(g.guessed),
            "reactions": dict(g.reactions),
            "used_words": sorted(g.used_words), "offered_words": sorted(g.offered_words),
        }

    def load(self, room: RoomState, data: dict[str, Any], now: float) -> GameState:
        g = ClassicGame(
            order=[pid for pid in data["order"] if pid in room.players],
            position=int(data["position"]), round=int(data["round"]), turn=int(data["turn"]),
            drawer_id=data["drawer_id"], word=data["word"],
            choices=[str(w) for w in data["choices"]],
            hint_positions=[int(i) for i in data["hint_positions"]],
            hint_times=[now + float(t) for t in data["hint_in"]],
            revealed=int(data["revealed"]),
            guess_points={str(k): int(v) for k, v in data["guess_points"].items()},
            guessed={str(pid) for pid in data.get("guessed", ()) if pid in room.players},
            reactions={str(k): str(v) for k, v in data["reactions"].items()},
            used_words=set(data["used_words"]),
            offered_words={str(k) for k in data.get("offered_words", [])},
            oplog=OpLog(data.get("ops", [])),
        )
        g.choice_difficulties = _choice_difficulties(room, g, data.get("choice_difficulties"))
        return g

    def content_query(self, room: RoomState) -> ContentQuery | None:
        g = game(room)
        if room.phase in ("drawing", "reveal") and room.game_id is not None:
            return ContentQuery(room.game_id, turns=(g.turn,))
        return None

    def restore(self, room: RoomState, content: Content) -> None:
        g = game(room)
        g.oplog = OpLog.replayed(content.turns.get(g.turn, []))


MODE = Classic()
ClassicGame.rules = MODE


def _choice_difficulties(room: RoomState, g: ClassicGame, raw: Any) -> list[str | None]:
    if isinstance(raw, list) and len(raw) == len(g.choices):
        return [None if d is None else str(d) for d in raw]
    # a snapshot from before difficulties: look the offered words up in the list
    words = room.words_for(room.settings.language)
    found = [words.find(w) for w in g.choices]
    return [None if w is None else w.difficulty for w in found]


# ---------------------------------------------------------------- commands


def _require_phase(room: RoomState, *phases: str) -> None:
    if room.phase not in phases:
        raise WrongPhase(f"not allowed during {room.phase}")


def _require_drawer(room: RoomState, pid: str) -> None:
    if game(room).drawer_id != pid:
        raise NotYourTurn("only the drawer can do that")


def _choose(room: RoomState, now: float, pid: str, index: int) -> list[Effect]:
    _require_phase(room, "choosing")
    _require_drawer(room, pid)
    g = game(room)
    if not 0 <= index < len(g.choices):
        raise BadMessage("index is not one of the offered words", field="index")
    return _begin_drawing(room, now, g.choices[index])


def _draw(room: RoomState, pid: str, ops: list[Op]) -> list[Effect]:
    _require_phase(room, "drawing")
    _require_drawer(room, pid)
    g = game(room)
    g.oplog.apply(ops)
    effects: list[Effect] = []
    others = room.connected_ids(exclude=(pid,))
    if others:
        effects.append(Send(others, {"type": "draw", "from": pid, "ops": ops}))
    effects.append(Record("ops", {"game_id": room.game_id, "turn": g.turn, "ops": ops}))
    return effects


def _react(room: RoomState, pid: str, value: str) -> list[Effect]:
    _require_phase(room, "drawing", "reveal")
    g = game(room)
    if room.players[pid].spectator or pid == g.drawer_id:
        raise Forbidden("only guessers can react")
    if pid in g.reactions:
        raise AlreadyReacted("you already reacted to this drawing")
    g.reactions[pid] = value
    likes = sum(1 for v in g.reactions.values() if v == "like")
    return [Send(None, {"type": "reaction", "likes": likes,
                        "dislikes": len(g.reactions) - likes})]


# ---------------------------------------------------------------- chat


def _chat(room: RoomState, now: float, p: PlayerState, text: str) -> list[Effect]:
    g = game(room)
    choosing = p.id == g.drawer_id and room.phase == "choosing"
    if choosing and any(contains_word(text, w) for w in g.choices):
        raise WordInChat("you cannot say an offered word")
    if room.phase != "drawing" or g.word is None:
        return base.said(room, p, text, "all", None)
    word = g.word
    if p.id == g.drawer_id:
        if contains_word(text, word):
            raise WordInChat("you cannot give the word away")
        return _guessed_channel(room, p, text)
    if p.id in g.guessed:
        return _guessed_channel(room, p, text)
    # Only the whole line counts as a guess; what it merely contains never hides it,
    # so no seat can test many candidate words with one line.
    correct, close = is_correct(text, word), is_close(text, word)
    if p.spectator and (correct or close):
        return [base.line(room, base.chat_msg(p, text, "all"), frozenset({p.id}))]
    if correct:
        return _correct_guess(room, now, p)
    if close:
        return [Send((p.id,), {"type": "close", "text": text})]
    return base.said(room, p, text, "all", None)


def _guessed_channel(room: RoomState, p: PlayerState, text: str) -> list[Effect]:
    g = game(room)
    audience = [g.drawer_id or "", *g.guess_points, p.id]
    to = frozenset(pid for pid in audience if pid in room.players)
    return base.said(room, p, text, "guessed", to)


def _correct_guess(room: RoomState, now: float, p: PlayerState) -> list[Effect]:
    g = game(room)
    assert room.deadline is not None and g.word is not None
    draw_ms = room.settings.draw_time_s * 1000
    left_ms = round((room.deadline - now) * 1000)
    points = guesser_points(left_ms, draw_ms, first=not g.guess_points)
    g.guess_points[p.id] = points
    g.guessed.add(p.id)
    p.score += points
    effects: list[Effect] = [
        Send(None, {"type": "correct", "player_id": p.id, "points": points}),
        Send((p.id,), {"type": "word", "word": g.word}),
        base.players(room),
    ]
    return effects + _settle(room, now)


# ---------------------------------------------------------------- turns


def _next_turn(room: RoomState, now: float) -> list[Effect]:
    g = game(room)
    _reset_turn(g)
    if len(room.present_players()) < MIN_PLAYERS:
        return _end_game(room, now, complete=False)
    drawer = _advance(room, g)
    if drawer is None:
        return _end_game(room, now, complete=True)
    g.drawer_id = drawer
    g.turn += 1
    _offer_words(room, g)
    base.enter(room, now, "choosing", room.settings.choose_time_s)
    return [base.phase(room, now), _choices(room, now), base.players(room)]


def _offer_words(room: RoomState, g: ClassicGame) -> None:
    """Pick the drawer's choices and remember them, so they are not offered again soon."""
    s = room.settings
    picks = pick_choices(
        room.rng, room.words_for(s.language), packs=s.packs, difficulty=s.difficulty,
        custom_words=s.custom_words, custom_only=s.custom_only, used=g.used_words,
        offered=g.offered_words, recent=room.recent_words, n=s.word_choices,
    )
    g.choices = [w.text for w in picks]
    g.choice_difficulties = [w.difficulty for w in picks]
    g.offered_words.update(w.key for w in picks)
    remember_offered(room.recent_words, (w.key for w in picks), room.games_started)


def _reset_turn(g: ClassicGame) -> None:
    g.drawer_id, g.word, g.choices = None, None, []
    g.choice_difficulties = []
    g.hint_positions, g.hint_times, g.revealed = [], [], 0
    g.guess_points, g.reactions = {}, {}
    g.guessed = set()
    g.oplog = OpLog()


def _advance(room: RoomState, g: ClassicGame) -> str | None:
    """Move to the next connected player in the order; None when the game is over."""
    for _ in range((len(g.order) + 1) * (room.settings.rounds + 1)):
        g.position += 1
        if g.position >= len(g.order):
            g.position, g.round = 0, g.round + 1
            if g.round > room.settings.rounds or not g.order:
                return None
        p = room.players.get(g.order[g.position])
        if p is not None and p.connected:
            return p.id
    return None


def _drop_from_order(g: ClassicGame, player_id: str) -> None:
    if player_id not in g.order:
        return
    index = g.order.index(player_id)
    g.order.pop(index)
    if index <= g.position:
        g.position -= 1  # the next turn goes to whoever followed


def _choices(room: RoomState, now: float) -> Effect:
    g = game(room)
    assert g.drawer_id is not None
    msg = {"type": "choices", "words": list(g.choices),
           "difficulties": list(g.choice_difficulties), "ends_in_ms": base.left_ms(room, now)}
    return Send((g.drawer_id,), msg)


def _begin_drawing(room: RoomState, now: float, word: str) -> list[Effect]:
    g = game(room)
    assert g.drawer_id is not None
    g.word = word
    g.used_words.add(normalize(word))
    s = room.settings
    g.hint_positions = pick_hint_positions(word, s.hints, room.rng)
    g.hint_times = hint_times(word, s.hints, now, s.draw_time_s, sooner=s.relaxed)
    g.revealed = 0
    base.enter(room, now, "drawing", s.draw_time_s)
    record = {"game_id": room.game_id, "turn": g.turn, "round": g.round,
              "drawer_id": g.drawer_id, "word": word, "started_at": now}
    return [base.phase(room, now),
            Send((g.drawer_id,), {"type": "word", "word": word}),
            Record("turn_started", record)]


def _eligible(room: RoomState, g: ClassicGame) -> list[str]:
    present = [p.id for p in room.present_players() if p.id != g.drawer_id]
    return present + [pid for pid in g.guess_points if pid not in present]


def _close_turn(room: RoomState, now: float, reason: str) -> list[Effect]:
    """Score the drawer and announce the turn's end (the phase is left to the caller)."""
    g = game(room)
    assert g.word is not None and g.drawer_id is not None
    eligible = _eligible(room, g)
    points = {pid: g.guess_points.get(pid, 0) for pid in eligible}
    drawer = room.players.get(g.drawer_id)
    gained = drawer_points(list(g.guess_points.values()), len(eligible)) if drawer else 0
    if drawer is not None:
        drawer.score += gained
    points[g.drawer_id] = gained
    ended = {"game_id": room.game_id, "turn": g.turn, "round": g.round,
             "drawer_id": g.drawer_id, "word": g.word, "reason": reason,
             "points": points, "started_at": room.phase_started, "ended_at": now,
             "duration_ms": round((now - room.phase_started) * 1000),
             "ops": list(g.oplog.ops)}
    msg = {"type": "turn_end", "word": g.word, "reason": reason, "points": points}
    return [Send(None, msg), Record("turn_ended", ended), _scores_record(room),
            base.players(room)]


def _end_turn(room: RoomState, now: float, reason: str) -> list[Effect]:
    """End the running turn; a drawer gone while choosing just passes the turn on."""
    if room.phase == "choosing":
        return _next_turn(room, now)
    effects = _close_turn(room, now, reason)
    base.enter(room, now, "reveal", REVEAL_S)
    return [*effects, base.phase(room, now)]


def _end_game(room: RoomState, now: float, *, complete: bool) -> list[Effect]:
    g = game(room)
    effects: list[Effect] = []
    if room.phase == "drawing":
        drawer = room.players.get(g.drawer_id or "")
        gone = drawer is None or not drawer.present
        effects += _close_turn(room, now, "drawer_left" if gone else "time_up")
    _reset_turn(g)
    g.round = min(g.round, room.settings.rounds)
    base.enter(room, now, "results", RESULTS_S)
    ranking = rank(room)
    over = {"game_id": room.game_id, "ranking": ranking}
    return [*effects, base.phase(room, now), Send(None, {"type": "game_over", **over}),
            base.players(room), Record("game_over", {**over, "complete": complete})]


def rank(room: RoomState) -> list[dict[str, Any]]:
    """The ranking of seated players by score; ties share a rank (1, 1, 3)."""
    players = sorted(room.seated(), key=lambda p: -p.score)
    ranking: list[dict[str, Any]] = []
    for i, p in enumerate(players):
        tied = ranking and ranking[-1]["score"] == p.score
        place = ranking[-1]["rank"] if tied else i + 1
        ranking.append({"id": p.id, "name": p.name, "score": p.score, "rank": place})
    return ranking


def _settle(room: RoomState, now: float) -> list[Effect]:
    """End the turn or game when the players present no longer allow it to go on."""
    if room.phase not in PLAYING:
        return []
    if len(room.present_players()) < MIN_PLAYERS:
        return _end_game(room, now, complete=False)
    if room.phase not in ("choosing", "drawing"):
        return []
    g = game(room)
    drawer = room.players.get(g.drawer_id or "")
    if drawer is None or not drawer.present:
        return _end_turn(room, now, "drawer_left")
    if room.phase == "drawing" and _all_guessed(room, g):
        return _end_turn(room, now, "all_guessed")
    return []


def _all_guessed(room: RoomState, g: ClassicGame) -> bool:
    waiting = [p for p in room.present_players() if p.id != g.drawer_id and p.id not in g.guessed]
    return not waiting and bool(g.guess_points)


def _scores_record(room: RoomState) -> Record:
    scores = {p.id: p.score for p in room.seated()}
    return Record("scores", {"game_id": room.game_id, "scores": scores})


# ---------------------------------------------------------------- time


def _hint_due(room: RoomState, now: float) -> bool:
    g = game(room)
    return (
        room.phase == "drawing"
        and g.revealed < len(g.hint_times)
        and now >= g.hint_times[g.revealed]
    )


def _reveal_hints(room: RoomState, now: float) -> list[Effect]:
    g = game(room)
    assert g.word is not None
    while _hint_due(room, now):
        g.revealed += 1
    hint = render_hint(g.word, g.revealed_positions())
    waiting = room.connected_ids(exclude=(g.drawer_id or "", *g.guess_points))
    return [Send(waiting, {"type": "hint", "hint": hint})] if waiting else []


def _on_deadline(room: RoomState, now: float) -> list[Effect]:
    g = game(room)
    if room.phase == "choosing":
        return _begin_drawing(room, now, g.choices[0])
    if room.phase == "drawing":
        return _end_turn(room, now, "time_up")
    if room.phase == "reveal":
        return _next_turn(room, now)
    return base.to_lobby(room, now)


# ---------------------------------------------------------------- views


def _public_hint(room: RoomState) -> str | None:
    """The hint everyone may see: blanks while drawing, the whole word in reveal."""
    g = game(room)
    if g.word is None:
        return None
    if room.phase == "drawing":
        return render_hint(g.word, g.revealed_positions())
    if room.phase == "reveal":
        return g.word
    return None


def _may_see_word(room: RoomState, viewer_id: str | None) -> bool:
    """True when the viewer may know the word: drawer, guessed, or reveal/results."""
    if room.phase in ("reveal", "results"):
        return True
    g = game(room)
    viewer = room.players.get(viewer_id) if viewer_id is not None else None
    return viewer is not None and (viewer.id == g.drawer_id or viewer.id in g.guessed)
