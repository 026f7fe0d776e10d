"""Subword tokenizer: WordPiece pieces inside Korean words, alphabet warnings."""

import pytest

from keras_attn import tokenizers


def test_korean_subwords_stay_inside_eojeol(ko_en_tokenizers):
    source_tokenizer = ko_en_tokenizers["subword"][0]
    ids = source_tokenizer.tokenize("나는 밥을 먹었다")
    pieces = source_tokenizer.ids_to_tokens(ids)
    # Word starts are exactly the three eojeol; the rest are continuation pieces.
    starts = [piece for piece in pieces if not piece.startswith("##")]
    assert len(starts) == 3 and "".join(p.removeprefix("##") for p in pieces) == "나는밥을먹었다"


def test_too_small_subword_vocabulary_warns():
    with pytest.warns(UserWarning, match="too small for the corpus alphabet"):
        tokenizers.SubwordTokenizer.from_corpus(["가나다라마바사아자차카타파하"], vocabulary_size=12)
