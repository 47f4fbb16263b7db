"""Guess matching: what counts as the word, as close to it, or as giving it away.

Both the word and the guess are folded before they are compared, the same
way for every language, so that what players of each language type counts:

- case, with Unicode full case folding after compatibility decomposition
  (NFKD): "STRASSE" and "straße" fold alike, and Greek final sigma "ς"
  folds to "σ";
- the diacritics of the Latin, Greek and Cyrillic scripts, Hebrew points
  (niqqud, cantillation) and Arabic harakat (shadda, sukun, tanwin, the
  dagger alef, Quranic marks) are dropped: "café" is "cafe", Greek tonos
  goes ("γάτα" is "γατα"), Russian "ё" is "е", Ukrainian "ї" is "і",
  "שָׁלוֹם" is "שלום"; Russian and Ukrainian "й" stay a letter of their
  own (players never type "и" for it);
- letters with no decomposition that players type plainly: Turkish dotless
  "ı" and dotted "İ" are "i" (so "KIRMIZI", "kirmizi" and "kırmızı" agree,
  whatever the keyboard), "ł" is "l", "ø" is "o", "œ" is "oe", "æ" is "ae";
  Ukrainian "ґ" is "г" (many keyboards lack it) and Cyrillic "і" is the
  Latin "i" it looks like (typed for it where a keyboard lacks it);
- Arabic letter forms players write either way: the alef with hamza or
  madda and the wasla ("أ", "إ", "آ", "ٱ") are "ا", and the hamza seats
  "ؤ" and "ئ" are "و" and "ي"; "ة" is "ه" and "ى" is "ي"; the Persian "ی"
  and "ک" are the Arabic "ي" and "ك" (keyboards give either); tatweel
  ("ـ", stretching) is dropped; Arabic-Indic and Persian digits are 0-9;
- Hebrew final letters ("ך", "ם", "ן", "ף", "ץ") are their normal forms;
- white space, punctuation (hyphens, dashes, apostrophes of any shape, the
  Hebrew geresh and maqaf, dots) and `_`, and invisible format characters
  (the Persian zero-width non-joiner, direction marks) are dropped.

German umlauts may also be spelt out: every text has a second form with
"ä", "ö", "ü" written "ae", "oe", "ue" before folding, and a guess matches
when any of its forms equals any form of the word ("Baer" and "Bar" are both
right for "Bär"). An Arabic guess may carry the article: "القطة" is right
for "قطة" (each Arabic-script word of a guess also has a form without a
leading "ال"; the word itself is taken as written). Marks other scripts
need (Devanagari signs, Japanese voicing marks, Thai tone marks) are kept.
"""

from __future__ import annotations

import unicodedata

import regex

MIN_CLOSE_LETTERS = 4
"""Words shorter than this (normalized) never get a `close` hint."""

_LETTERS = str.maketrans({
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t",
    "æ": "ae", "œ": "oe", "þ": "th", "ð": "d",
    "ґ": "г", "і": "i",  # Ukrainian (after NFKD, so "ї" is "і" plus a diaeresis)
    # Arabic script: the hamza and madda seats are already split off by NFKD.
    "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك", "ە": "ه", "ھ": "ه",
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    "ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ",  # Hebrew final letters
})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_BREVE = "\u0306"
_KEEP_BREVE_ON = frozenset("иу")  # й and ў are letters of their own
# Diacritics dropped when folding: the combining blocks Latin, Greek and
# Cyrillic use, Hebrew points and cantillation, Arabic harakat and Quranic marks.
_DIACRITIC_RANGES = (
    (0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F), (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F),
    (0x0670, 0x0670), (0x06D6, 0x06ED), (0x08CA, 0x08FF), (0xFB1E, 0xFB1E),
)
# Spaces, punctuation, format characters (ZWNJ, direction marks), tatweel and
# the modifier-letter apostrophe (Ukrainian "мʼяч"): nothing a reader sees as a letter.
_DROPPED = regex.compile(r"[\p{Z}\s\p{P}\p{Cf}\u0640\u02BC]+")
_TOKEN_SPLIT = regex.compile(r"[^\w\p{M}]+|_")
# Tokens again with apostrophes kept inside: Ukrainian "м'яч" is one word, French
# "l'eau" two, and a short word counts as either.
_WORD_SPLIT = regex.compile(r"[^\w\p{M}'’ʼ]+|_")
_ARTICLE = regex.compile(r"(?<![\w\p{M}])ال(?=\p{Arabic}{2})")

JOINER_IN_WORD = regex.compile(r"(?<=\p{L}\p{M}*)\u200c(?=\p{L})")
"""A zero-width non-joiner between two letters: part of Persian spelling ("می‌خورم",
"لاک‌پشت" keep their letters apart without a space), so words, names and chat keep
it there while every other invisible character is refused or dropped."""
_SPELLED = regex.compile(r"(?<![\w\p{M}])(?:\w\p{M}*[\s\-]+)+\w\p{M}*(?![\w\p{M}])")


def _is_diacritic(ch: str) -> bool:
    if not unicodedata.combining(ch):
        return False
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _DIACRITIC_RANGES)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = unicodedata.normalize("NFKD", folded).translate(_LETTERS)
    kept: list[str] = []
    for ch in folded:
        if _is_diacritic(ch) and not (ch == _BREVE and kept and kept[-1] in _KEEP_BREVE_ON):
            continue
        kept.append(ch)
    return _DROPPED.sub("", unicodedata.normalize("NFC", "".join(kept)))


def normalize(text: str) -> str:
    """Fold `text` for comparison: no case, no diacritics, no spaces or punctuation.

    "Café", "CAFE" and "ca-fe" compare equal; the module's docstring lists
    every rule. This is the one form used for duplicates and used words.
    """
    return _fold(text)


def forms(text: str) -> frozenset[str]:
    """Every folded form of `text`: `normalize(text)`, and with umlauts spelt out."""
    lowered = unicodedata.normalize("NFC", text).casefold()
    return frozenset({_fold(lowered), _fold(lowered.translate(_UMLAUTS))})


def guess_forms(text: str) -> frozenset[str]:
    """`forms(text)`, and the same with the Arabic article taken off its words.

    A guess of "القطة" ("the cat") is right for the word "قطة": Arabic
    players often say a noun with its article. Only a leading "ال" followed
    by at least two more Arabic letters is taken off, and only from what a
    player types, never from the word.
    """
    nfc = unicodedata.normalize("NFC", text)
    bare = _ARTICLE.sub("", nfc)
    return forms(nfc) if bare == nfc else forms(nfc) | forms(bare)


def is_correct(guess: str, word: str) -> bool:
    """True when `guess` is the word, up to case, diacritics, spaces and punctuation.

    Punctuation is ignored too ("Elephant!" is right), so excitement never
    turns a right answer into a chat line that shows the word.
    """
    if not normalize(word):
        return False
    return bool(guess_forms(guess) & forms(word))


def is_close(guess: str, word: str) -> bool:
    """True when `guess` is one edit from the word (4+ letters) but not the word.

    One edit is an insertion, deletion, substitution or swap of neighbours,
    measured on the folded forms (so per letter, in every script).
    """
    if len(normalize(word)) < MIN_CLOSE_LETTERS or is_correct(guess, word):
        return False
    targets = forms(word)
    return any(_one_edit(attempt, target) for attempt in guess_forms(guess) for target in targets)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


def contains_word(text: str, word: str) -> bool:
    """True when `text` would give the word away (the drawer's and spectators' ban).

    For words of 4+ normalized characters the folded word anywhere inside
    the folded text counts, which also catches "c a-t"-style spacing. Short
    words only count as whole tokens (or the whole text run together), so that
    a word like "ox" does not ban every sentence containing "box"; a token is
    cut at apostrophes and also taken whole, so both "l'eau" (French "eau")
    and "м'яч" (Ukrainian, one word) count.
    """
    if not normalize(word):
        return False
    targets = forms(word)
    texts = guess_forms(text)
    if len(normalize(word)) >= MIN_CLOSE_LETTERS:
        return any(target in folded for target in targets for folded in texts)
    if targets & texts:
        return True
    nfc = unicodedata.normalize("NFC", text)
    pieces = {*_TOKEN_SPLIT.split(nfc), *_WORD_SPLIT.split(nfc)}
    tokens = {form for token in pieces if token for form in guess_forms(token)}
    return bool(targets & tokens) or _spelled_out(nfc, targets)


def _spelled_out(text: str, targets: frozenset[str]) -> bool:
    # "c a t" / "c-a-t": runs of single letters separated by spaces or hyphens
    return any(target in folded for run in _SPELLED.findall(text)
               for folded in forms(run) for target in targets)
