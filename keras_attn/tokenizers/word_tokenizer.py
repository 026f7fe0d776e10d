"""Word-level tokenizer: one id per whitespace token of the normalised text."""

import collections

import tensorflow as tf

from keras_attn.tokenizers import text
from keras_attn.tokenizers import vocabulary as vocab_lib
from keras_attn.tokenizers.tokenizer import Tokenizer
from keras_attn.tokenizers.tokenizer import normalized_token_batches
from keras_attn.tokenizers.tokenizer import register


@register
class WordTokenizer(Tokenizer):
    """Maps each word of the normalised text to an id; unknown words to "[UNK]".

    Words are the whitespace tokens after normalisation, so punctuation marks are
    words of their own and Korean words (eojeol) keep their particles (밥을).
    Token indices equal word indices, which keeps gold word alignments valid.

    Args:
        vocabulary: a list of tokens or a vocabulary file path (see `Tokenizer`).
        name: name of the `tf.Module`.

    Example:

    >>> tokenizer = WordTokenizer.from_corpus(["I ate rice.", "I love Cheolsu"])
    >>> tokenizer.tokenize("I ate bread.").numpy().tolist()
    [4, 6, 3, 5]
    >>> tokenizer.detokenize([1, 4, 6, 9, 2, 0]).numpy().decode()
    'i ate rice'
    """

    def _check_tokens(self, tokens):
        for token in tokens:
            if " " in token:
                raise ValueError(f"A word vocabulary cannot hold a token with a space: {token!r}.")

    def _tokenize_normalized(self, texts):
        return self.lookup_ids(text.split_words_tf(texts))

    def _join(self, tokens):
        return tf.strings.reduce_join(tokens, axis=-1, separator=" ")

    @classmethod
    def from_corpus(cls, texts, vocabulary_size=None, min_frequency=1, name=None):
        """Builds the vocabulary from the words of a corpus.

        Args:
            texts: a `tf.data.Dataset` of scalar strings, or an iterable of `str`;
                read once, in a streaming fashion.
            vocabulary_size: keep at most this many tokens, reserved ones included
                (`None`: keep all).
            min_frequency: drop words seen fewer times.
            name: name of the `tf.Module`.

        Returns:
            A `WordTokenizer`.
        """
        counts = collections.Counter()
        for words in normalized_token_batches(texts, text.split_words_tf):
            counts.update(words.tolist())
        counts = {word.decode("utf-8"): count for word, count in counts.items()}
        return cls(vocab_lib.vocabulary_from_counts(counts, vocabulary_size, min_frequency), name=name)
