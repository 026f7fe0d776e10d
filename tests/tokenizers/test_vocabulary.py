"""Vocabulary files and frequency-ranked vocabularies."""

import pytest

from keras_attn import tokenizers
from keras_attn.tokenizers import vocabulary


def test_reserved_ids():
    assert tokenizers.RESERVED_TOKENS == ("[PAD]", "[START]", "[END]", "[UNK]")
    assert (tokenizers.PAD_ID, tokenizers.START_ID, tokenizers.END_ID, tokenizers.UNK_ID) == (0, 1, 2, 3)


def test_write_and_read_round_trip(tmp_path):
    tokens = list(tokenizers.RESERVED_TOKENS) + ["밥을", "i", ".", "##at", "😀"]
    path = tokenizers.write_vocabulary(tokens, tmp_path / "vocab.txt")
    assert path.read_bytes() == ("\n".join(tokens) + "\n").encode("utf-8")
    assert tokenizers.read_vocabulary(path) == tokens


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xef\xbb\xbf[PAD]\n[START]\n[END]\n[UNK]\n", "byte-order mark"),
        (b"[PAD]\r\n[START]\r\n[END]\r\n[UNK]\r\n", "CR line ends"),
        (b"[PAD]\n[START]\n[END]\n[UNK]\n\nx\n", "line 5: empty line"),
        (b"[PAD]\n[START]\n[END]\n[UNK]\nx\nx\n", "appears twice"),
        (b"[START]\n[PAD]\n[END]\n[UNK]\n", "must start with the reserved tokens"),
        (b"[PAD]\n[START]\n[END]\n[UNK]\n\xff\n", "not valid UTF-8"),
    ],
)
def test_read_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "vocab.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        tokenizers.read_vocabulary(path)


def test_read_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="Vocabulary file not found"):
        tokenizers.read_vocabulary(tmp_path / "nope.txt")


def test_write_rejects_tokens_that_do_not_fit_a_line(tmp_path):
    with pytest.raises(ValueError, match="line break"):
        tokenizers.write_vocabulary(list(tokenizers.RESERVED_TOKENS) + ["a\nb"], tmp_path / "v.txt")


def test_vocabulary_from_counts_ranks_by_count_then_token():
    counts = {"b": 3, "a": 3, "c": 5, "d": 1, "[UNK]": 9}
    assert vocabulary.vocabulary_from_counts(counts) == list(tokenizers.RESERVED_TOKENS) + ["c", "a", "b", "d"]
    assert vocabulary.vocabulary_from_counts(counts, vocabulary_size=6) == list(tokenizers.RESERVED_TOKENS) + ["c", "a"]
    assert vocabulary.vocabulary_from_counts(counts, min_frequency=3)[4:] == ["c", "a", "b"]
    assert vocabulary.vocabulary_from_counts(counts, required=("z",))[4:6] == ["z", "c"]
    with pytest.raises(ValueError, match="vocabulary_size"):
        vocabulary.vocabulary_from_counts(counts, vocabulary_size=3)
    with pytest.raises(ValueError, match="min_frequency"):
        vocabulary.vocabulary_from_counts(counts, min_frequency=0)
