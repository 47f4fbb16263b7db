"""Guess matching: accents, case, spaces and hyphens; close guesses; the drawer's ban."""

from __future__ import annotations

import pytest

from drawgame.game.matching import contains_word, is_close, is_correct, normalize


def test_normalize_folds_accents_case_spaces_hyphens() -> None:
    assert normalize("Café") == normalize("cafe") == "cafe"
    assert normalize("Ice-Cream") == normalize("ice cream") == normalize("icecream")
    assert normalize("STRASSE") == normalize("straße")
    assert normalize(" a\tb\n") == "ab"


@pytest.mark.parametrize(
    ("guess", "word"),
    [("cafe", "Café"), ("CAFÉ", "café"), ("ice cream", "ice-cream"),
     ("icecream", "ice cream"), ("Ice-Cream", "icecream"), ("  dog ", "dog")],
)
def test_correct(guess: str, word: str) -> None:
    assert is_correct(guess, word)
    assert not is_close(guess, word)


def test_not_correct() -> None:
    assert not is_correct("cat", "cats")
    assert not is_correct("-", "-")  # nothing left after folding never matches


@pytest.mark.parametrize(
    ("guess", "kind"),
    [("elephnt", "deletion"), ("elephaant", "insertion"), ("elephent", "substitution"),
     ("elpehant", "swap"), ("Éléphnt", "deletion with accents")],
)
def test_close_one_edit(guess: str, kind: str) -> None:
    assert is_close(guess, "elephant"), kind


@pytest.mark.parametrize("guess", ["elephant", "elepnat", "elphnt", "tnahpele", "eelphnat"])
def test_not_close(guess: str) -> None:
    assert not is_close(guess, "elephant")


def test_short_words_never_close() -> None:
    assert not is_close("cta", "cat")
    assert not is_close("ca", "cat")
    assert is_close("bred", "bread")  # 5 letters: yes
    assert is_close("fsh", "fish")  # exactly 4 letters: yes


def test_contains_word_substring_for_long_words() -> None:
    assert contains_word("it's an ELEPHANT!", "elephant")
    assert contains_word("e-l-e-p-h-a-n-t", "elephant")
    assert contains_word("ele phant", "elephant")
    assert contains_word("the Éléphant there", "elephant")
    assert not contains_word("a big grey animal", "elephant")


def test_contains_word_tokens_for_short_words() -> None:
    assert contains_word("it is a cat", "cat")
    assert contains_word("CAT!", "cat")
    assert contains_word("c a t", "cat")
    assert contains_word("c-a-t", "cat")
    assert not contains_word("concatenate all the things", "cat")
    assert not contains_word("a box of tricks", "ox")
    assert not contains_word("I am here", "ia")


def test_punctuation_around_a_guess_is_ignored() -> None:
    assert is_correct("Elephant!?", "elephant")
    assert is_correct("¿elefante?", "elefante")
    assert is_correct("ele.phant", "elephant")  # punctuation inside is dropped too
    assert is_correct("mr bean", "Mr. Bean")
    assert is_close("elephnt!", "elephant")
    assert not is_close("elephant!", "elephant")
    assert is_correct("Mr. Bean", "Mr. Bean")
