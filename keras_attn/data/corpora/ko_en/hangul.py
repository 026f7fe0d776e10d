"""Hangul syllable arithmetic: split a syllable into jamo, build one, edit its final.

A precomposed Hangul syllable (U+AC00..U+D7A3) encodes an initial consonant, a
vowel and an optional final consonant (batchim):

    code point = 0xAC00 + (initial * 21 + vowel) * 28 + final

Korean particles and verb endings change shape depending on that final consonant
(밥을 but 사과를), so the ko-en grammar computes it instead of listing forms.
"""

INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
# Index 0 is "no final consonant".
FINALS = ("",) + tuple("ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")

_FIRST = 0xAC00
_LAST = 0xD7A3


def is_syllable(char):
    """Whether `char` is one precomposed Hangul syllable."""
    return len(char) == 1 and _FIRST <= ord(char) <= _LAST


def _check_syllable(char):
    if not is_syllable(char):
        raise ValueError(f"Expected a precomposed Hangul syllable (가..힣), got {char!r}.")


def decompose(syllable):
    """Splits a syllable into its jamo.

    Args:
        syllable: one precomposed Hangul syllable, e.g. "밥".

    Returns:
        `(initial, vowel, final)` as compatibility jamo strings; `final` is ""
        when the syllable has no final consonant.

    Example:

    >>> decompose("밥")
    ('ㅂ', 'ㅏ', 'ㅂ')
    """
    _check_syllable(syllable)
    offset = ord(syllable) - _FIRST
    initial, rest = divmod(offset, 21 * 28)
    vowel, final = divmod(rest, 28)
    return INITIALS[initial], VOWELS[vowel], FINALS[final]


def compose(initial, vowel, final=""):
    """Builds a syllable from compatibility jamo, e.g. `compose("ㅂ", "ㅏ", "ㅂ") == "밥"`."""
    try:
        code = (INITIALS.index(initial) * 21 + VOWELS.index(vowel)) * 28 + FINALS.index(final)
    except ValueError:
        raise ValueError(
            f"Cannot compose a Hangul syllable from initial {initial!r}, vowel "
            f"{vowel!r} and final {final!r}: expected jamo from INITIALS, VOWELS, FINALS."
        ) from None
    return chr(_FIRST + code)


def final_consonant(word):
    """The final consonant of the last syllable of `word`, or "" if it has none."""
    if not word:
        raise ValueError("Expected a non-empty Korean word, got ''.")
    return decompose(word[-1])[2]


def has_final_consonant(word):
    """Whether the last syllable of `word` has a final consonant (batchim).

    Example:

    >>> has_final_consonant("밥"), has_final_consonant("사과")
    (True, False)
    """
    return final_consonant(word) != ""


def last_vowel(word):
    """The vowel of the last syllable of `word`."""
    if not word:
        raise ValueError("Expected a non-empty Korean word, got ''.")
    return decompose(word[-1])[1]


def with_final(word, final):
    """`word` with the final consonant of its last syllable replaced by `final`.

    Example:

    >>> with_final("가", "ㅆ"), with_final("살", "ㄴ"), with_final("덥", "")
    ('갔', '산', '더')
    """
    initial, vowel, _ = decompose(word[-1])
    return word[:-1] + compose(initial, vowel, final)


def with_vowel(word, vowel):
    """`word` with the vowel of its last syllable replaced by `vowel`."""
    initial, _, final = decompose(word[-1])
    return word[:-1] + compose(initial, vowel, final)
