"""Text normalisation shared by Python code and exported TensorFlow graphs.

Every string that reaches a vocabulary goes through the same four steps:

1. Unicode NFKC (full-width letters become ASCII, ligatures split, "…" becomes "...").
2. Invisible characters are removed: controls other than whitespace (Cc;
   `tf.strings.lower` would otherwise cut a string at its first NUL) and format
   characters (Cf: a byte-order mark, zero-width spaces and joiners, direction marks,
   soft hyphens), which would otherwise turn a word into "[UNK]".
3. Lowercase.
4. Every punctuation character (Unicode category P*) becomes a token of its own,
   and runs of whitespace collapse to one space, without leading/trailing space.

`normalize` does it in Python, `normalize_tf` with TensorFlow and TensorFlow Text ops
only (no Python callbacks), so it can live inside a SavedModel. The punctuation and
whitespace classes are built once, here, from Python's Unicode database and handed to
both implementations, so the two agree on them by construction. NFKC and lowercasing
come from each library's own Unicode tables; they agree on every character assigned
up to Unicode 13. Newer characters may differ: TensorFlow 2.21 lowercases with
Unicode 13 case tables, Python 3.11 uses Unicode 14, and TensorFlow Text's NFKC knows
characters newer than Python's.
"""

import re
import sys
import unicodedata

import tensorflow as tf
import tensorflow_text as tf_text

# The Unicode White_Space property. Stable since Unicode 6.3.
_WHITESPACE_RANGES = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)
# General category Cc minus White_Space. Cc is closed: it can never grow.
_CONTROL_RANGES = ((0x00, 0x08), (0x0E, 0x1F), (0x7F, 0x84), (0x86, 0x9F))


def _category_ranges(keep):
    """Code point ranges of the general categories for which `keep(category)` is true."""
    ranges = []
    for code_point in range(sys.maxunicode + 1):
        if keep(unicodedata.category(chr(code_point))):
            if ranges and ranges[-1][1] == code_point - 1:
                ranges[-1][1] = code_point
            else:
                ranges.append([code_point, code_point])
    return tuple((first, last) for first, last in ranges)


# Pc, Pd, Ps, Pe, Pi, Pf and Po.
_PUNCTUATION_RANGES = _category_ranges(lambda category: category.startswith("P"))
# What step 2 removes: Cc minus White_Space, and Cf (which grows with Unicode: taken from
# Python's database, like the punctuation, and handed to both implementations).
_INVISIBLE_RANGES = tuple(sorted(_CONTROL_RANGES + _category_ranges(lambda category: category == "Cf")))


def _python_class(ranges):
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


def _re2_class(ranges):
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


_PY_INVISIBLE = re.compile(_python_class(_INVISIBLE_RANGES))
_PY_PUNCTUATION = re.compile("(" + _python_class(_PUNCTUATION_RANGES) + ")")
_PY_WHITESPACE = re.compile(_python_class(_WHITESPACE_RANGES) + "+")

_TF_INVISIBLE = _re2_class(_INVISIBLE_RANGES)
_TF_PUNCTUATION = "(" + _re2_class(_PUNCTUATION_RANGES) + ")"
_TF_WHITESPACE = _re2_class(_WHITESPACE_RANGES) + "+"


def normalize(text):
    """Normalises one string: NFKC, lowercase, punctuation split off, single spaces.

    Args:
        text: a `str`.

    Returns:
        The normalised `str`; tokens are separated by exactly one space.

    Example:

    >>> normalize("I ate rice.")
    'i ate rice .'
    >>> normalize("나는 밥을 먹었다")
    '나는 밥을 먹었다'
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects a str, got {type(text).__name__}: {text!r}.")
    text = unicodedata.normalize("NFKC", text)
    text = _PY_INVISIBLE.sub("", text)
    text = text.lower()
    text = _PY_PUNCTUATION.sub(r" \1 ", text)
    return _PY_WHITESPACE.sub(" ", text).strip(" ")


def normalize_tf(texts):
    """`normalize` written with TensorFlow ops, for `tf.data` and exported graphs.

    Uses only core TensorFlow and TensorFlow Text kernels, so it runs inside a
    `tf.function` and a SavedModel with no Python.

    Args:
        texts: a `tf.string` tensor of any shape (or anything convertible to one),
            holding UTF-8 text.

    Returns:
        A `tf.string` tensor of the same shape with every element normalised.

    Example:

    >>> normalize_tf(["I ate rice.", "Ｈｅｌｌｏ，ＷＯＲＬＤ！"]).numpy().tolist()
    [b'i ate rice .', b'hello , world !']
    """
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    texts = tf_text.normalize_utf8(texts, "NFKC")
    texts = tf.strings.regex_replace(texts, _TF_INVISIBLE, "")
    texts = tf.strings.lower(texts, encoding="utf-8")
    texts = tf.strings.regex_replace(texts, _TF_PUNCTUATION, r" \1 ")
    texts = tf.strings.regex_replace(texts, _TF_WHITESPACE, " ")
    return tf.strings.regex_replace(texts, "^ | $", "")


def split_words(text):
    """Whitespace tokens of a normalised `str` (`[]` for the empty string)."""
    return text.split(" ") if text else []


def split_words_tf(texts):
    """Whitespace tokens of normalised strings: `[N]` strings to a ragged `[N, None]`."""
    return tf.strings.split(texts)
