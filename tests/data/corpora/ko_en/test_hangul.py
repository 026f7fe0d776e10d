"""Hangul syllable arithmetic: decompose, compose, final consonants."""

import pytest

from keras_attn.data.corpora.ko_en import hangul


def _has_batchim(word):
    # Independent of hangul.py: the final consonant index is (code - 0xAC00) % 28.
    return (ord(word[-1]) - 0xAC00) % 28 != 0


def test_decompose_and_compose_round_trip_all_syllables():
    for code in range(0xAC00, 0xD7A4):
        syllable = chr(code)
        assert hangul.compose(*hangul.decompose(syllable)) == syllable
        assert hangul.has_final_consonant(syllable) == _has_batchim(syllable)


def test_jamo_of_known_syllables():
    assert hangul.decompose("밥") == ("ㅂ", "ㅏ", "ㅂ")
    assert hangul.decompose("가") == ("ㄱ", "ㅏ", "")
    assert hangul.decompose("읽") == ("ㅇ", "ㅣ", "ㄺ")
    assert hangul.with_final("가", "ㅆ") == "갔"


def test_hangul_rejects_other_characters():
    with pytest.raises(ValueError, match="Hangul syllable"):
        hangul.decompose("a")
    with pytest.raises(ValueError, match="non-empty"):
        hangul.has_final_consonant("")
    with pytest.raises(ValueError, match="Cannot compose"):
        hangul.compose("a", "ㅏ")
