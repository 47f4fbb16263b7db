"""Room settings: ranges, defaults and validation in one table (PROTOCOL.md `Settings`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from drawgame.game.errors import InvalidSettings
from drawgame.game.filter import DEFAULT_FILTER, FILTER_MODES
from drawgame.game.words import MAX_WORD_LEN, clean_entry, valid_pack_id

INT_LIMITS: dict[str, tuple[int, int, int]] = {
    # field: (min, max, default)
    "max_players": (2, 16, 8),
    "rounds": (1, 10, 3),
    "draw_time_s": (30, 240, 80),
    "choose_time_s": (5, 30, 15),
    "word_choices": (1, 5, 3),
    "hints": (0, 5, 2),
    "write_time_s": (10, 120, 40),
}
"""The integer settings' ranges: the single source for validation, docs and client."""

MAX_CUSTOM_WORDS = 1000
MAX_CUSTOM_WORD_LEN = MAX_WORD_LEN
MIN_CUSTOM_ONLY_WORDS = 10
DEFAULT_LANGUAGE = "en"
DIFFICULTY_CHOICES = ("mixed", "easy", "medium", "hard")
"""`difficulty`: `mixed` offers one of each level in turn; the others only that level."""
DEFAULT_DIFFICULTY = "mixed"
MAX_PACKS = 32
"""Pack ids one `packs` setting may name."""
RELAXED_MAX_DRAW_TIME_S = 600
"""`draw_time_s` may go up to this in relaxed rooms (240 otherwise)."""
MODE_CHOICES = ("classic", "telephone")
"""`mode`: the game the room plays next (game/modes/ holds one module per mode)."""
DEFAULT_MODE = "classic"
STEPS_RANGE = (2, 16)
"""`steps`: pages per telephone book, or null for as many as players at the start."""
FIRST_PAGE_CHOICES = ("write", "word")
"""`first_page`: a telephone book starts with a sentence of one's own, or a word picked
from `word_choices` offers of the room's word settings."""

SETTINGS_LIMITS: dict[str, dict[str, Any]] = {
    **{name: {"min": lo, "max": hi, "default": d} for name, (lo, hi, d) in INT_LIMITS.items()},
    "language": {"default": DEFAULT_LANGUAGE},
    "custom_words": {"min": 0, "max": MAX_CUSTOM_WORDS, "default": [],
                     "word_min": 1, "word_max": MAX_CUSTOM_WORD_LEN},
    "custom_only": {"default": False, "min_custom_words": MIN_CUSTOM_ONLY_WORDS},
    "difficulty": {"default": DEFAULT_DIFFICULTY, "choices": list(DIFFICULTY_CHOICES)},
    "packs": {"default": [], "max": MAX_PACKS},
    "relaxed": {"default": False, "draw_time_s_max": RELAXED_MAX_DRAW_TIME_S},
    "chat_filter": {"default": DEFAULT_FILTER, "choices": list(FILTER_MODES)},
    "mode": {"default": DEFAULT_MODE, "choices": list(MODE_CHOICES)},
    "steps": {"default": None, "min": STEPS_RANGE[0], "max": STEPS_RANGE[1]},
    "first_page": {"default": "write", "choices": list(FIRST_PAGE_CHOICES)},
}
"""JSON-ready limits of every field, for the API and the client's settings form."""


@dataclass(frozen=True)
class Settings:
    """One room's settings; build validated instances with `Settings.from_dict`."""

    max_players: int = INT_LIMITS["max_players"][2]
    rounds: int = INT_LIMITS["rounds"][2]
    draw_time_s: int = INT_LIMITS["draw_time_s"][2]
    choose_time_s: int = INT_LIMITS["choose_time_s"][2]
    word_choices: int = INT_LIMITS["word_choices"][2]
    hints: int = INT_LIMITS["hints"][2]
    language: str = DEFAULT_LANGUAGE
    custom_words: tuple[str, ...] = ()
    custom_only: bool = False
    difficulty: str = DEFAULT_DIFFICULTY
    packs: tuple[str, ...] = ()
    """Pack ids of the language to offer words from; empty: every pack."""
    relaxed: bool = False
    """No scores or ranks shown, draw times up to 600 s, hints sooner, no podium."""
    chat_filter: str = DEFAULT_FILTER
    """`off`, `mask` or `block`: what the filter lists do to chat, names and room names."""
    mode: str = DEFAULT_MODE
    """`classic` (draw and guess) or `telephone` (books of sentences and drawings)."""
    write_time_s: int = INT_LIMITS["write_time_s"][2]
    """Telephone: seconds for a sentence page (`draw_time_s` is a drawing page's)."""
    steps: int | None = None
    """Telephone: pages per book; None: as many as players at the start."""
    first_page: str = "write"
    """Telephone: `write` a sentence or pick a `word` on a book's first page."""

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, object],
        *,
        base: Settings | None = None,
        languages: Collection[str],
        packs_for: Callable[[str], Collection[str]] | None = None,
    ) -> Settings:
        """Apply `data`'s fields over `base` (defaults when None), validating each.

        Raises InvalidSettings naming the first bad field, so a client can point
        at it; unknown field names and wrong types (a bool is not an int, 3.0 is
        not an int) are refused rather than guessed at. With `packs_for` (a
        language's pack ids), `packs` must name packs of the room's language;
        when only the language changes, packs it lacks are dropped.
        """
        if not isinstance(data, Mapping):
            raise InvalidSettings("settings must be an object")
        changes: dict[str, Any] = {}
        for key, value in data.items():
            changes[key] = _check_field(key, value, languages)
        result = _check_draw_time(replace(base or cls(), **changes), changes)
        if packs_for is not None and result.packs:
            result = _check_packs(result, packs_for(result.language), "packs" in changes)
        if result.custom_only and len(result.custom_words) < MIN_CUSTOM_ONLY_WORDS:
            field = "custom_words" if "custom_words" in changes else "custom_only"
            raise InvalidSettings(
                f"custom_only needs at least {MIN_CUSTOM_ONLY_WORDS} custom words", field=field
            )
        return result

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready `Settings` object of the protocol."""
        data = asdict(self)
        data["custom_words"] = list(self.custom_words)
        data["packs"] = list(self.packs)
        return data


FIELD_NAMES: frozenset[str] = frozenset(f.name for f in fields(Settings))


def _check_field(key: object, value: object, languages: Collection[str]) -> Any:
    if not isinstance(key, str) or key not in FIELD_NAMES:
        raise InvalidSettings(f"unknown setting {str(key)[:40]!r}", field=str(key)[:40])
    if key in INT_LIMITS:
        return _check_int(key, value)
    if key == "language":
        return _check_language(value, languages)
    if key in ("custom_only", "relaxed"):
        if not isinstance(value, bool):
            raise InvalidSettings(f"{key} must be true or false", field=key)
        return value
    if key in _CHOICES:
        choices = _CHOICES[key]
        if not isinstance(value, str) or value not in choices:
            raise InvalidSettings(f"{key} must be one of: {', '.join(choices)}", field=key)
        return value
    if key == "steps":
        return _check_steps(value)
    if key == "difficulty":
        if value not in DIFFICULTY_CHOICES or not isinstance(value, str):
            raise InvalidSettings(
                f"difficulty must be one of: {', '.join(DIFFICULTY_CHOICES)}", field=key)
        return value
    if key == "packs":
        return _clean_packs(value)
    return clean_custom_words(value)


_CHOICES: dict[str, tuple[str, ...]] = {
    "chat_filter": FILTER_MODES, "mode": MODE_CHOICES, "first_page": FIRST_PAGE_CHOICES,
}


def _check_steps(value: object) -> int | None:
    lo, hi = STEPS_RANGE
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidSettings(f"steps must be null or {lo}..{hi}", field="steps")
    return value


def _clean_packs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or len(value) > MAX_PACKS:
        raise InvalidSettings(f"packs must be a list of at most {MAX_PACKS} pack ids",
                              field="packs")
    packs: list[str] = []
    for pid in value:
        if not valid_pack_id(pid):
            raise InvalidSettings("each pack id is 1..32 of a-z, 0-9, _ and -", field="packs")
        if pid not in packs:
            packs.append(pid)
    return tuple(packs)


def _check_packs(settings: Settings, known: Collection[str], asked: bool) -> Settings:
    if asked:
        unknown = [pid for pid in settings.packs if pid not in known]
        if unknown:
            raise InvalidSettings(
                f"no pack {unknown[0]!r} in language {settings.language!r}; "
                f"its packs: {', '.join(known)}", field="packs")
        return settings
    return replace(settings, packs=tuple(pid for pid in settings.packs if pid in known))


def _check_draw_time(settings: Settings, changes: Mapping[str, object]) -> Settings:
    """Draw times past 240 s need a relaxed room. Turning `relaxed` off shortens a long
    draw time to 240 s; asking for a long one in a room that is not relaxed is refused."""
    limit = INT_LIMITS["draw_time_s"][1]
    if settings.relaxed or settings.draw_time_s <= limit:
        return settings
    if "draw_time_s" in changes:
        raise InvalidSettings(
            f"draw_time_s must be {INT_LIMITS['draw_time_s'][0]}..{limit} "
            f"(up to {RELAXED_MAX_DRAW_TIME_S} in relaxed rooms)", field="draw_time_s")
    return replace(settings, draw_time_s=limit)


def _check_int(key: str, value: object) -> int:
    lo, hi, _ = INT_LIMITS[key]
    if key == "draw_time_s":
        hi = RELAXED_MAX_DRAW_TIME_S  # the room's own limit is checked with `relaxed`
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        if key == "draw_time_s":
            raise InvalidSettings(f"draw_time_s must be {lo}..{INT_LIMITS[key][1]} (up to "
                                  f"{hi} in relaxed rooms)", field=key)
        raise InvalidSettings(f"{key} must be {lo}..{hi}", field=key)
    return value


def _check_language(value: object, languages: Collection[str]) -> str:
    if not isinstance(value, str) or value not in languages:
        known = ", ".join(sorted(languages))
        raise InvalidSettings(f"language must be one of: {known}", field="language")
    return value


def clean_custom_words(value: object) -> tuple[str, ...]:
    """Validate a custom word list: trimmed, NFC, 1..32 chars, deduped ignoring case.

    The first spelling of a duplicate is kept, so the host's list keeps its order.
    """
    if not isinstance(value, list | tuple):
        raise InvalidSettings("custom_words must be a list of words", field="custom_words")
    if len(value) > MAX_CUSTOM_WORDS:
        raise InvalidSettings(
            f"custom_words may hold at most {MAX_CUSTOM_WORDS} words", field="custom_words"
        )
    seen: set[str] = set()
    words: list[str] = []
    for raw in value:
        word = _clean_custom_word(raw)
        key = word.casefold()
        if key not in seen:
            seen.add(key)
            words.append(word)
    return tuple(words)


def _clean_custom_word(raw: object) -> str:
    bad = InvalidSettings(
        f"each custom word must be text of 1..{MAX_CUSTOM_WORD_LEN} characters",
        field="custom_words",
    )
    if not isinstance(raw, str):
        raise bad
    word, why = clean_entry(raw)
    if not word or why == "too_long":
        raise bad
    if why == "unreadable":
        raise InvalidSettings("custom words may not hold U+FFFD (text that was not UTF-8)",
                              field="custom_words")
    if why == "bad_character":
        raise InvalidSettings("custom words may not hold control or invisible characters",
                              field="custom_words")
    if why == "no_letter":
        raise InvalidSettings("each custom word needs a letter or digit", field="custom_words")
    return word
