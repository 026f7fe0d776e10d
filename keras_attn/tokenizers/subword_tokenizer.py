"""Subword tokenizer: WordPiece over the words of the normalised text."""

import warnings

import keras_hub
import tensorflow as tf
import tensorflow_text as tf_text

from keras_attn.tokenizers import text
from keras_attn.tokenizers import vocabulary as vocab_lib
from keras_attn.tokenizers.tokenizer import Tokenizer
from keras_attn.tokenizers.tokenizer import as_text_dataset
from keras_attn.tokenizers.tokenizer import register


@register
class SubwordTokenizer(Tokenizer):
    """Splits each word of the normalised text into WordPiece subwords.

    Words are whitespace tokens after normalisation; for Korean these are eojeol,
    so a learned vocabulary splits stems from particles and endings (밥을 → 밥 ##을)
    without ever crossing a word boundary. Pieces that continue a word start with
    `suffix_indicator`. A word that cannot be covered by the vocabulary becomes a
    single "[UNK]".

    Args:
        vocabulary: a list of tokens or a vocabulary file path (see `Tokenizer`).
        suffix_indicator: prefix of word-continuation pieces.
        max_bytes_per_word: longer words become "[UNK]".
        name: name of the `tf.Module`.

    Example:

    >>> tokenizer = SubwordTokenizer(
    ...     ["[PAD]", "[START]", "[END]", "[UNK]", "밥", "##을", "##이", "먹", "##었다"])
    >>> tokenizer.tokenize("밥을 먹었다").numpy().tolist()
    [4, 5, 7, 8]
    >>> tokenizer.detokenize([4, 6, 7, 8]).numpy().decode()
    '밥이 먹었다'
    """

    def __init__(self, vocabulary, suffix_indicator="##", max_bytes_per_word=100, name=None):
        if not isinstance(suffix_indicator, str) or not suffix_indicator or " " in suffix_indicator:
            raise ValueError(
                f"`suffix_indicator` must be a non-empty str without spaces, got {suffix_indicator!r}."
            )
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_word = int(max_bytes_per_word)
        super().__init__(vocabulary, name=name)
        self._wordpiece = tf_text.WordpieceTokenizer(
            self._token_to_id_table,
            suffix_indicator=suffix_indicator,
            max_bytes_per_word=self.max_bytes_per_word,
            token_out_type=tf.int64,
            unknown_token=vocab_lib.UNK_TOKEN,
        )

    def _check_tokens(self, tokens):
        for token in tokens:
            if " " in token:
                raise ValueError(f"A subword vocabulary cannot hold a token with a space: {token!r}.")

    def _tokenize_normalized(self, texts):
        words = text.split_words_tf(texts)
        pieces = self._wordpiece.tokenize(words)  # [B, words, pieces]
        return pieces.merge_dims(1, 2)

    def _join(self, tokens):
        joined = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
        # Punctuation is split off during normalisation, so no word starts with the
        # indicator and " ##" only ever marks a continuation piece.
        return tf.strings.regex_replace(joined, " " + _re2_quote(self.suffix_indicator), "")

    def get_config(self):
        config = super().get_config()
        config.update(suffix_indicator=self.suffix_indicator, max_bytes_per_word=self.max_bytes_per_word)
        return config

    @classmethod
    def from_corpus(cls, texts, vocabulary_size=1000, suffix_indicator="##", name=None):
        """Learns a WordPiece vocabulary with `keras_hub.tokenizers.compute_word_piece_vocabulary`.

        Args:
            texts: a `tf.data.Dataset` of scalar strings, or an iterable of `str`,
                e.g. the source side of the training split.
            vocabulary_size: target vocabulary size, reserved tokens included. The
                learner keeps every character it saw (as a word start and as a
                continuation) while it fits, so any training word can be spelled.
            suffix_indicator: prefix of word-continuation pieces.
            name: name of the `tf.Module`.

        Returns:
            A `SubwordTokenizer`.
        """
        words = (
            as_text_dataset(texts)
            .batch(1024)
            .map(lambda batch: text.split_words_tf(text.normalize_tf(batch)))
        )
        tokens = keras_hub.tokenizers.compute_word_piece_vocabulary(
            words,
            vocabulary_size,
            lowercase=False,
            strip_accents=False,
            split=False,
            suffix_indicator=suffix_indicator,
            reserved_tokens=list(vocab_lib.RESERVED_TOKENS),
        )
        _warn_if_alphabet_cut(tokens, vocabulary_size, suffix_indicator)
        return cls(tokens, suffix_indicator=suffix_indicator, name=name)


def _warn_if_alphabet_cut(tokens, vocabulary_size, suffix_indicator):
    """Warns when the learned vocabulary lost single characters to its size limit.

    The learner includes every character of the corpus twice (word start and
    continuation); when that alphabet does not fit, the vocabulary is cut and some
    characters can only become "[UNK]".
    """
    starts = {token for token in tokens if len(token) == 1}
    continuations = {
        token[len(suffix_indicator):]
        for token in tokens
        if token.startswith(suffix_indicator) and len(token) == len(suffix_indicator) + 1
    }
    lost = starts ^ continuations
    if lost:
        warnings.warn(
            f"vocabulary_size={vocabulary_size} is too small for the corpus alphabet: "
            f"{len(lost)} characters lost their word-start or continuation piece and "
            "words using them will become [UNK]. Raise vocabulary_size.",
            stacklevel=3,
        )


def _re2_quote(literal):
    """Escapes every character of `literal` for an RE2 pattern."""
    return "".join("\\" + char if not char.isalnum() else char for char in literal)
