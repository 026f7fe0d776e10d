"""keras_attn.data keeps its public names, the tokenizer ones re-exported from keras_attn.tokenizers."""

import keras_attn.data
import keras_attn.tokenizers

_DATA_NAMES = [
    "SPLITS",
    "Example",
    "MalformedLinesWarning",
    "alignment_matrix",
    "available",
    "generate",
    "iter_parallel_tsv",
    "load",
    "make_dataset",
    "make_training_dataset",
    "read_parallel_tsv",
    "split_of",
    "to_pairs",
]
_TOKENIZER_NAMES = [
    "END_ID",
    "PAD_ID",
    "RESERVED_TOKENS",
    "START_ID",
    "UNK_ID",
    "CharacterTokenizer",
    "SubwordTokenizer",
    "Tokenizer",
    "WordTokenizer",
    "normalize",
    "normalize_tf",
    "read_vocabulary",
    "write_vocabulary",
]


def test_public_names_are_kept():
    missing = [name for name in _DATA_NAMES + _TOKENIZER_NAMES if not hasattr(keras_attn.data, name)]
    assert missing == []


def test_tokenizer_names_are_the_tokenizers_package_objects():
    for name in _TOKENIZER_NAMES:
        assert getattr(keras_attn.data, name) is getattr(keras_attn.tokenizers, name), name
