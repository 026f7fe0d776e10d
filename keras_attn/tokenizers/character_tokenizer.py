"""Character-level tokenizer: one id per Unicode character of the normalised text."""

import collections

import tensorflow as tf

from keras_attn.tokenizers import vocabulary as vocab_lib
from keras_attn.tokenizers.tokenizer import Tokenizer
from keras_attn.tokenizers.tokenizer import normalized_token_batches
from keras_attn.tokenizers.tokenizer import register

SPACE_TOKEN = "[SPACE]"


def _characters_tf(texts):
    """Characters of `[N]` normalised strings, spaces as SPACE_TOKEN: ragged `[N, None]`."""
    characters = tf.strings.unicode_split(texts, "UTF-8")
    return tf.ragged.map_flat_values(
        lambda flat: tf.where(tf.equal(flat, " "), SPACE_TOKEN, flat), characters
    )


@register
class CharacterTokenizer(Tokenizer):
    """Maps each character (code point) of the normalised text to an id.

    Spaces between words become the token "[SPACE]", so text round-trips. Hangul
    syllables are single characters (밥 is one token, not three jamo).

    Args:
        vocabulary: a list of tokens or a vocabulary file path (see `Tokenizer`);
            besides the reserved tokens and "[SPACE]", tokens are single characters.
        name: name of the `tf.Module`.

    Example:

    >>> tokenizer = CharacterTokenizer.from_corpus(["abc ab"])
    >>> tokenizer.get_vocabulary()[4:]
    ['[SPACE]', 'a', 'b', 'c']
    >>> tokenizer.detokenize(tokenizer.tokenize("CAB ab")).numpy().decode()
    'cab ab'
    """

    def _check_tokens(self, tokens):
        if SPACE_TOKEN not in tokens:
            raise ValueError(f"A character vocabulary must contain {SPACE_TOKEN!r}.")
        for token in tokens[len(vocab_lib.RESERVED_TOKENS):]:
            if token != SPACE_TOKEN and len(token) != 1:
                raise ValueError(
                    f"A character vocabulary holds single characters (and {SPACE_TOKEN!r}), "
                    f"got {token!r}."
                )

    def _tokenize_normalized(self, texts):
        return self.lookup_ids(_characters_tf(texts))

    def _join(self, tokens):
        characters = tf.ragged.map_flat_values(
            lambda flat: tf.where(tf.equal(flat, SPACE_TOKEN), " ", flat), tokens
        )
        return tf.strings.reduce_join(characters, axis=-1)

    @classmethod
    def from_corpus(cls, texts, vocabulary_size=None, min_frequency=1, name=None):
        """Builds the vocabulary from the characters of a corpus.

        Args:
            texts: a `tf.data.Dataset` of scalar strings, or an iterable of `str`.
            vocabulary_size: keep at most this many tokens, reserved ones and
                "[SPACE]" included (`None`: keep all).
            min_frequency: drop characters seen fewer times.
            name: name of the `tf.Module`.

        Returns:
            A `CharacterTokenizer`.
        """
        counts = collections.Counter()
        for characters in normalized_token_batches(texts, _characters_tf):
            counts.update(characters.tolist())
        counts = {character.decode("utf-8"): count for character, count in counts.items()}
        tokens = vocab_lib.vocabulary_from_counts(
            counts, vocabulary_size, min_frequency, required=(SPACE_TOKEN,)
        )
        return cls(tokens, name=name)
