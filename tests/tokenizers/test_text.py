"""Normalisation: expected outputs, and Python and TensorFlow agreeing exactly."""

import unicodedata

import hypothesis
import pytest
import tensorflow as tf
from hypothesis import strategies as st

from keras_attn.tokenizers import normalize
from keras_attn.tokenizers import normalize_tf
from keras_attn.tokenizers.text import split_words
from keras_attn.tokenizers.text import split_words_tf

# Blocks whose characters are all older than Unicode 13, where both libraries'
# Unicode tables agree (see the module docstring of keras_attn.tokenizers.text).
_BLOCKS = [
    (0x0000, 0x024F),  # ASCII, Latin-1, Latin Extended-A and -B, controls
    (0x0300, 0x036F),  # combining diacritics
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0600, 0x06FF),  # Arabic
    (0x0900, 0x097F),  # Devanagari
    (0x2000, 0x206F),  # general punctuation, exotic spaces
    (0x2100, 0x218F),  # letterlike symbols, number forms (Ⅻ, ½)
    (0x2460, 0x24FF),  # enclosed alphanumerics (①, Ⓐ)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFB00, 0xFB06),  # Latin ligatures
    (0xFF00, 0xFFEF),  # half-width and full-width forms
    (0x1F300, 0x1F64F),  # emoji
]
_CHARACTERS = [
    chr(code)
    for first, last in _BLOCKS
    for code in range(first, last + 1)
    if unicodedata.category(chr(code)) not in ("Cn", "Cs", "Co")
]


def _tf(texts):
    return [value.decode("utf-8") for value in normalize_tf(texts).numpy().tolist()]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("나는 밥을 먹었다", "나는 밥을 먹었다"),
        ("I ate rice.", "i ate rice ."),
        ("", ""),
        ("   ", ""),
        ("Ｈｅｌｌｏ，ＷＯＲＬＤ！", "hello , world !"),
        ("Café  ﬁ\t½…", "café fi 1⁄2 . . ."),
        ("«Ça va?» — dit-il.", "« ça va ? » — dit - il ."),
        ("나는 학생이다.", "나는 학생이다 ."),
        ("😀Hi!👍🏽", "😀hi ! 👍🏽"),
        ("don't", "don ' t"),
        ("a\x00b\x07c", "abc"),
        ("a\u3000b\u00a0c\u2028d\x85e", "a b c d e"),
        ("ΣΑΣ ΟΔΟΣ", "σας οδος"),
        # Invisible format characters (Cf): a BOM, a zero-width space, a right-to-left mark,
        # a soft hyphen, a word joiner: each made a word "[UNK]" before they were removed.
        ("\ufeff나는 밥을\u200b 먹었다", "나는 밥을 먹었다"),
        ("i a\u200fte ri\u00adce\u2060", "i ate rice"),
    ],
)
def test_normalize_examples_in_python_and_tensorflow(raw, expected):
    assert normalize(raw) == expected
    assert _tf([raw]) == [expected]


def test_python_and_tensorflow_agree_on_every_character_of_many_scripts():
    # Each character alone, between letters, and next to punctuation.
    texts = [f"{c}" for c in _CHARACTERS] + [f"Ab{c}Cd.{c} x" for c in _CHARACTERS]
    python = [normalize(text) for text in texts]
    tensorflow = _tf(texts)
    mismatches = [(t, p, f) for t, p, f in zip(texts, python, tensorflow) if p != f]
    assert not mismatches, mismatches[:10]


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(st.lists(st.text(alphabet=st.sampled_from(_CHARACTERS), max_size=30), min_size=1, max_size=8))
def test_python_and_tensorflow_agree_on_random_text(texts):
    assert [normalize(text) for text in texts] == _tf(texts)


@hypothesis.settings(max_examples=100, deadline=None)
@hypothesis.given(st.text(alphabet=st.sampled_from(_CHARACTERS), max_size=40))
def test_normalize_is_idempotent_and_single_spaced(text):
    normal = normalize(text)
    assert normalize(normal) == normal
    assert "  " not in normal and normal == normal.strip(" ")
    assert normal == " ".join(split_words(normal))


def test_normalize_tf_keeps_shape_and_runs_in_a_graph():
    function = tf.function(normalize_tf, input_signature=[tf.TensorSpec([None, None], tf.string)])
    result = function(tf.constant([["A.", "B"], ["", "Ｃ!"]]))
    assert result.shape == (2, 2)
    assert result.numpy().tolist() == [[b"a .", b"b"], [b"", b"c !"]]


def test_split_words_agree():
    texts = ["i ate rice .", "", "나는 밥을"]
    assert split_words_tf(tf.constant(texts)).to_list() == [
        [w.encode() for w in split_words(t)] for t in texts
    ]


def test_normalize_rejects_non_strings():
    with pytest.raises(TypeError, match="expects a str"):
        normalize(b"bytes")
