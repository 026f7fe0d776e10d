"""Fixtures shared by the data tests: generated corpora and tokenizers built once."""

import pytest

from keras_attn import data


@pytest.fixture(scope="session")
def ko_en_train():
    """3000 ko-en training examples (with alignments), as Python objects."""
    return list(data.generate("ko-en", "train", size=3000, seed=0))


@pytest.fixture(scope="session")
def ko_en_tokenizers(ko_en_train):
    """{kind: (source tokenizer, target tokenizer)} learned from `ko_en_train`."""
    sources = [example.source for example in ko_en_train]
    targets = [example.target for example in ko_en_train]
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
