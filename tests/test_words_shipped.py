"""The shipped word lists: counts, tags, spelling conventions, matching and hints per language."""

from __future__ import annotations

import re
import unicodedata
from statistics import mean

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drawgame.game.hints import clusters, hint_count, is_letter, letter_positions, render_hint
from drawgame.game.matching import contains_word, forms, is_close, is_correct, normalize
from drawgame.game.words import (
    DIFFICULTIES,
    LANGUAGE_NAMES,
    STANDARD_PACKS,
    WORDS_DIR,
    WordList,
    parse_word_file,
)

CODES = list(LANGUAGE_NAMES)
MIN_WORDS = {code: 1000 if code == "en" else 400 for code in CODES} | dict.fromkeys(
    ("ar", "he", "fa", "uk"), 700)
MIN_PER_LEVEL = 10
"""Words each standard pack holds at each difficulty, at least."""


def load(code: str) -> WordList:
    with (WORDS_DIR / f"{code}.txt").open(encoding="utf-8") as f:
        words, problems = parse_word_file(code, f)
    assert problems == [], f"{code}.txt: " + "; ".join(map(str, problems))
    return words


LISTS = {code: load(code) for code in CODES}


def test_sixteen_languages_ship() -> None:
    assert len(CODES) == 16
    assert {"en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "tr", "ru", "uk", "el",
            "ar", "he", "fa"} == set(CODES)
    assert sorted(p.stem for p in WORDS_DIR.glob("*.txt")) == sorted(CODES)


@pytest.mark.parametrize("code", CODES)
def test_list_loads_with_its_name_counts_and_tags(code: str) -> None:
    words = LISTS[code]
    assert words.name == LANGUAGE_NAMES[code]
    assert len(words) >= MIN_WORDS[code]
    assert tuple(words.packs) == STANDARD_PACKS
    for pack in words.summary()["packs"]:
        assert all(pack["words"][level] >= MIN_PER_LEVEL for level in DIFFICULTIES), pack
        assert pack["name"] and pack["name"] != pack["id"]
    assert all(w.difficulty in DIFFICULTIES and w.pack in STANDARD_PACKS for w in words.words)


@pytest.mark.parametrize("code", CODES)
def test_no_duplicates_after_normalization(code: str) -> None:
    keys = [w.key for w in LISTS[code].words]
    assert len(keys) == len(set(keys))
    assert all(keys)


@pytest.mark.parametrize("code", CODES)
def test_entries_are_clean_text(code: str) -> None:
    for w in LISTS[code].words:
        assert w.text == unicodedata.normalize("NFC", w.text)
        assert w.text == " ".join(w.text.split())
        assert 1 <= len(w.text) <= 32


@pytest.mark.parametrize("code", CODES)
def test_easy_words_are_shorter_than_hard_ones(code: str) -> None:
    by_level = {level: [len(w.key) for w in LISTS[code].words if w.difficulty == level]
                for level in DIFFICULTIES}
    assert mean(by_level["easy"]) < mean(by_level["medium"]) < mean(by_level["hard"])


SCRIPT = {"ru": "CYRILLIC", "uk": "CYRILLIC", "el": "GREEK", "ar": "ARABIC", "fa": "ARABIC",
          "he": "HEBREW"}


@pytest.mark.parametrize("code", CODES)
def test_letters_are_of_the_language_script(code: str) -> None:
    script = SCRIPT.get(code, "LATIN")
    for w in LISTS[code].words:
        for ch in w.text:
            if ch.isalpha():
                assert unicodedata.name(ch).startswith(script), (w.text, ch)


def test_german_nouns_are_capitalised() -> None:
    for w in LISTS["de"].words:
        if w.pack != "actions":
            assert w.text[0].isupper(), w.text


@pytest.mark.parametrize("code", [c for c in CODES if c != "de"])
def test_other_languages_write_common_nouns_in_lower_case(code: str) -> None:
    upper = [w.text for w in LISTS[code].words if w.text[0].isupper()]
    assert len(upper) <= len(LISTS[code]) // 50, upper  # proper names only


GREEK_ACCENTED = frozenset("άέήίόύώΐΰΆΈΉΊΌΎΏ")
GREEK_VOWELS = frozenset("αεηιουωάέήίόύώϊϋΐΰΑΕΗΙΟΥΩΆΈΉΊΌΎΏ")
GREEK_DIGRAPHS = ("αι", "ει", "οι", "ου", "υι", "αυ", "ευ", "ηυ")


def greek_syllables(token: str) -> int:
    lowered = token.lower()
    for digraph in GREEK_DIGRAPHS:
        lowered = lowered.replace(digraph, "α")
    groups, previous = 0, False
    for ch in lowered:
        vowel = ch in GREEK_VOWELS
        groups += vowel and not previous
        previous = vowel
    return groups


def test_greek_spelling_final_sigma_and_one_tonos_per_word() -> None:
    for w in LISTS["el"].words:
        for token in w.text.replace("'", " ").split():
            assert not token.endswith("σ"), f"{w.text}: final sigma is ς"
            assert "ς" not in token[:-1], f"{w.text}: ς only ends a word"
            accents = sum(ch in GREEK_ACCENTED for ch in token)
            if greek_syllables(token) >= 2 and token not in ("του", "της", "και"):
                assert accents == 1, f"{w.text}: {token!r} needs one tonos"
            assert accents <= 1, w.text


# Arabic harakat and Quranic marks, tatweel, Hebrew points, and the presentation forms.
POINTED = re.compile("[\u0591-\u05c7\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06ed"
                     "\ufb1d-\ufb4f\ufb50-\ufdff\ufe70-\ufeff]")


@pytest.mark.parametrize("code", ["ar", "he", "fa"])
def test_right_to_left_lists_are_written_plain(code: str) -> None:
    """No vowel points, stretching or presentation forms: words as people type them."""
    for w in LISTS[code].words:
        assert not POINTED.search(w.text), w.text
        assert "'" not in w.text and '"' not in w.text, w.text  # Hebrew writes ׳ and ״


def test_persian_writes_its_own_letters_and_the_zero_width_non_joiner() -> None:
    texts = [w.text for w in LISTS["fa"].words]
    for text in texts:
        assert not re.search("[يكةى]", text), f"{text}: Persian ی and ک, no Arabic forms"
        for i, ch in enumerate(text):
            if ch == "\u200c":
                assert text[i - 1].isalpha() and text[i + 1].isalpha(), text
    joined = [t for t in texts if "\u200c" in t]
    assert {"لاک\u200cپشت", "جوجه\u200cتیغی", "رنگین\u200cکمان"} <= set(joined)


def test_arabic_writes_hamza_and_teh_marbuta() -> None:
    texts = {w.text for w in LISTS["ar"].words}
    assert {"أسد", "أرنب", "إبريق", "آيس كريم", "قطة", "فراشة", "مستشفى"} <= texts
    assert not any(re.search("[پچژگیک]", t) for t in texts), "Persian letters in Arabic"


def test_hebrew_writes_final_letters_where_words_end() -> None:
    # פ may end a loanword said with /p/ (מיקרוסקופ, טרמפ), as Hebrew writes them.
    finals, normal = "ךםןףץ", "כמנצ"
    for w in LISTS["he"].words:
        for token in w.text.split():
            letters = token.replace("׳", "")
            assert not any(ch in finals for ch in letters[:-1]), f"{w.text}: a final letter inside"
            assert letters[-1] not in normal or len(letters) == 1, f"{w.text}: use the final form"


def test_ukrainian_writes_its_own_letters() -> None:
    texts = {w.text for w in LISTS["uk"].words}
    assert not any(re.search("[ыэъё]", t) for t in texts), "Russian letters in Ukrainian"
    assert {"ґудзик", "дзиґа", "їжак", "єдиноріг", "м'яч"} <= texts


def test_russian_writes_yo() -> None:
    yo = [w.text for w in LISTS["ru"].words if "ё" in w.text]
    assert {"ёжик", "мёд", "самолёт", "вертолёт"} <= set(yo)


# ---------------------------------------------------------------- matching, per language


def upper(code: str, text: str) -> str:
    """What a player of the language types with caps lock on."""
    if code == "tr":
        text = text.replace("i", "İ").replace("ı", "I")
    if code == "el":  # Greek capitals are written without tonos
        text = strip_marks(text).replace("ς", "σ")
    return text.upper()


def strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def plain_keyboard(code: str, text: str) -> str:
    """The word typed on a keyboard without the language's letters."""
    if code == "de":
        for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"),
                     ("Ü", "Ue"), ("ß", "ss")):
            text = text.replace(a, b)
    if code == "ru":
        return text.replace("ё", "е").replace("Ё", "Е")
    if code == "uk":  # no ґ or і on a Russian keyboard: г and a Latin i; no apostrophe
        return text.replace("ґ", "г").replace("і", "i").replace("ї", "i").replace("'", "")
    if code == "ar":  # no hamza seats, ه for ة, ي for ى
        text = text.replace("ة", "ه").replace("ى", "ي")
    if code == "fa":  # an Arabic keyboard: ي and ك; a space for the non-joiner
        text = text.replace("ی", "ي").replace("ک", "ك").replace("\u200c", " ")
    if code == "he":  # final letters typed as the normal ones, ' for ׳
        text = text.translate(str.maketrans("ךםןףץ׳", "כמנפצ'"))
    text = text.replace("ı", "i").replace("ł", "l").replace("Ł", "L").replace("œ", "oe")
    return strip_marks(text)


@pytest.mark.parametrize("code", CODES)
def test_every_word_is_guessed_as_its_players_type_it(code: str) -> None:
    for w in LISTS[code].words:
        for typed in (w.text, upper(code, w.text), plain_keyboard(code, w.text),
                      w.text.replace(" ", "").replace("-", ""), f"{w.text}!"):
            assert is_correct(typed, w.text), (w.text, typed)
            assert not is_close(typed, w.text)
        assert contains_word(f"it is {w.text} for sure", w.text)
        if code == "ar" and " " not in w.text:  # with the article, as players often say it
            assert is_correct(f"ال{w.text}", w.text), w.text


def letter_indexes(word: str) -> list[int]:
    """Cluster positions whose letter folds to exactly one character."""
    return [i for i, c in enumerate(clusters(word)) if is_letter(c) and len(normalize(c)) == 1]


def replace_cluster(word: str, index: int, new: str) -> str:
    parts = clusters(word)
    parts[index] = new
    return "".join(parts)


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_edit_is_close_two_are_not(code: str, data: st.DataObject) -> None:
    words = [w.text for w in LISTS[code].words if len(w.key) >= 6]
    alphabet = sorted({c for w in words for c in normalize(w)})
    word = data.draw(st.sampled_from(words))
    spots = letter_indexes(word)
    i = data.draw(st.sampled_from(spots))
    deleted = replace_cluster(word, i, "")
    assert is_close(deleted, word) != is_correct(deleted, word), (word, deleted)
    old = normalize(clusters(word)[i])
    new = data.draw(st.sampled_from([c for c in alphabet if c != old]))
    swapped = replace_cluster(word, i, new)
    assert is_close(swapped, word) or is_correct(swapped, word), (word, swapped)
    far = [j for j in spots if abs(j - i) >= 2]
    if far:
        j = data.draw(st.sampled_from(far))
        other = data.draw(st.sampled_from([c for c in alphabet if c != normalize(
            clusters(word)[j])]))
        twice = replace_cluster(swapped, j, other)
        if not forms(twice) & forms(word):
            assert not is_close(twice, word), (word, twice)
            assert not is_correct(twice, word), (word, twice)


# ---------------------------------------------------------------- hints, per language


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_hints_hide_and_reveal_whole_letters(code: str, data: st.DataObject) -> None:
    word = data.draw(st.sampled_from(LISTS[code].texts()))
    parts = clusters(word)
    letters = letter_positions(word)
    blank = render_hint(word, [])
    assert blank.count("_") == len(letters)
    assert [c for c in blank if c != "_"] == [c for c in parts if not is_letter(c)]
    assert render_hint(word, letters) == word
    assert hint_count(word, 5) <= len(letters) // 2
    if letters:
        k = data.draw(st.sampled_from(letters))
        shown = render_hint(word, [k])
        assert shown.count("_") == len(letters) - 1
        assert parts[k] in shown


def test_the_readme_gives_each_list_its_true_size() -> None:
    readme = (WORDS_DIR.parent.parent / "README.md").read_text(encoding="utf-8")
    flat = " ".join(readme.split())
    for code, name in LANGUAGE_NAMES.items():
        match = re.search(rf"{re.escape(name)} \(([\d,]+)\)", flat)
        assert match is not None, f"README.md does not give the size of {name}"
        assert int(match.group(1).replace(",", "")) == len(LISTS[code]), name
