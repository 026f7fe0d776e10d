"""Corpora of the tests: a ko-en corpus and tokenizers learned from it, and unusable TSV files.

`tests/data/conftest.py` and `tests/tokenizers/conftest.py` import the session fixtures
`ko_en_train` and `ko_en_tokenizers` by name. The values are built once per test process
(`functools.cache`), however many conftests register the fixtures.

`write_tsv(folder, kind)` writes one of `TSV_FILES`: files the TSV reader and
`keras-attn train --tsv` must refuse or read with a clear message.
"""

import functools
import os

import pytest


@functools.cache
def _ko_en_train():
    # Imported here: the layer tests import tests.testing on the torch backend too,
    # where keras_attn.data (TensorFlow) is not needed.
    from keras_attn import data

    return list(data.generate("ko-en", "train", size=3000, seed=0))


@functools.cache
def _ko_en_tokenizers():
    from keras_attn import data

    sources = [example.source for example in _ko_en_train()]
    targets = [example.target for example in _ko_en_train()]
    return {
        "word": (data.WordTokenizer.from_corpus(sources), data.WordTokenizer.from_corpus(targets)),
        "subword": (
            data.SubwordTokenizer.from_corpus(sources, vocabulary_size=1200),
            data.SubwordTokenizer.from_corpus(targets, vocabulary_size=600),
        ),
        "character": (
            data.CharacterTokenizer.from_corpus(sources),
            data.CharacterTokenizer.from_corpus(targets),
        ),
    }


@pytest.fixture(scope="session")
def ko_en_train():
    """3000 ko-en training examples (with alignments), as Python objects."""
    return _ko_en_train()


@pytest.fixture(scope="session")
def ko_en_tokenizers():
    """{kind: (source tokenizer, target tokenizer)} learned from `ko_en_train`."""
    return _ko_en_tokenizers()


# Korean–English pairs written by the team in the Tatoeba/ManyThings layout
# (english<TAB>korean<TAB>attribution): a BOM, CRLF and LF line ends, Korean sentences
# with several translations, and four malformed lines among 236 good pairs.
KOR_SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "kor_sample.tsv")
KOR_SAMPLE_PAIRS = 236

# One good sentence pair (a TSV line).
TSV_PAIR = "i ate rice\t나는 밥을 먹었다\n"
TSV_FILES = {
    "empty": lambda: b"",
    "utf16": lambda: (TSV_PAIR * 5).encode("utf-16"),
    "latin1": lambda: ("café au lait\tcafé crème\n" * 5).encode("latin-1"),
    "one column": lambda: ("i ate rice\n" * 5).encode(),
    "blank lines": lambda: b"\n\r\n \t \n" * 5,
}


def write_tsv(folder, kind):
    """Writes `TSV_FILES[kind]` into `folder`; returns its path (str)."""
    path = os.path.join(str(folder), f"{kind.replace(' ', '_')}.tsv")
    with open(path, "wb") as file:
        file.write(TSV_FILES[kind]())
    return path
