"""The part Bahdanau and Luong attention share: score, mask, softmax, average."""

import keras
from keras import ops

from keras_attn.layers import checks
from keras_attn.layers.masking import masked_softmax
from keras_attn.layers.masking import merge_masks
from keras_attn.layers.masking import sequence_mask_to_rows_and_columns


class AttentionMechanism(keras.layers.Layer):
    """Base class of attention that scores every key against a query.

    `a = softmax(score(q, K))` over the keys, `context = a V`. Subclasses define the
    score in two halves so a decoder that runs one step at a time computes the
    query-independent half once per source sentence:

    - `prepare_keys(key)`: the part of the score that depends on the keys only;
    - `score(query, prepared_keys)`: logits `[B, Tq, Tk]` for queries `[B, Tq, Dq]`;
    - `build_score(query_dim, key_dim)`: creates the score's weights.

    Args:
        dropout: rate of dropout on the attention weights during training.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[B, Dq]` (one decoder step) or `[B, Tq, Dq]`.
        value: `[B, Tv, Dv]`, the states that are averaged.
        key: `[B, Tv, Dk]`, the states that are scored; defaults to `value`.
        query_mask: `[B]` / `[B, Tq]`; a padded query gets zero weights and context.
        value_mask: `[B, Tv]`; padded source positions get zero weight.
        return_attention_scores: also return the weights (softmax over `Tv`).
        training: whether dropout is active.
        key_mask: `[B, Tv]`, combined with `value_mask` (Keras fills both from the
            inputs' masks).

    Returns:
        context `[B, Dv]` / `[B, Tq, Dv]`, or `(context, weights)` with weights
        `[B, Tv]` / `[B, Tq, Tv]`.
    """

    def __init__(self, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(
            self, "dropout", dropout, 0.0 <= dropout < 1.0, "a float in [0, 1)"
        )
        self.dropout = dropout
        self.supports_masking = True
        self._weights_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)

    # Subclass hooks ------------------------------------------------------------
    def build_score(self, query_dim, key_dim):
        """Creates the score's weights; the default score has none."""

    def prepare_keys(self, key):
        """The query-independent part of the score; by default the keys themselves."""
        return key

    def score(self, query, prepared_keys):
        raise NotImplementedError(f"{type(self).__name__} must implement `score`.")

    def validate_score_shapes(self, query_shape, key_shape):
        """Hook for score functions that constrain the feature sizes."""

    # Layer API -----------------------------------------------------------------
    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        checks.check_rank(self, "query", query_shape, (2, 3))
        checks.check_rank(self, "value", value_shape, (3,))
        checks.check_rank(self, "key", key_shape, (3,))
        checks.check_same_size(self, "the number of steps", "key", key_shape, "value", value_shape, axis=1)
        checks.check_known_size(self, "query", query_shape)
        checks.check_known_size(self, "key", key_shape)
        self.validate_score_shapes(query_shape, key_shape)
        self.build_score(query_shape[-1], key_shape[-1])
        self.built = True

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        return_attention_scores=False,
        training=None,
        key_mask=None,
    ):
        key = value if key is None else key
        single_step = len(query.shape) == 2
        if single_step:
            query = ops.expand_dims(query, 1)
            query_mask = None if query_mask is None else ops.expand_dims(query_mask, 1)
        mask = sequence_mask_to_rows_and_columns(query_mask, merge_masks(value_mask, key_mask))
        context, weights = self.attend(query, self.prepare_keys(key), value, mask, training)
        if single_step:
            context, weights = ops.squeeze(context, 1), ops.squeeze(weights, 1)
        if return_attention_scores:
            return context, weights
        return context

    def attend(self, query, prepared_keys, value, mask=None, training=None):
        """Context and weights for queries `[B, Tq, Dq]` against prepared keys.

        `mask` is boolean and broadcastable to `[B, Tq, Tv]`. The returned weights
        are those before dropout (they sum to one over unmasked keys).
        """
        weights = masked_softmax(self.score(query, prepared_keys), mask)
        weights = ops.cast(weights, self.compute_dtype)
        dropped = self._weights_dropout(weights, training=training)
        return ops.matmul(dropped, value), weights

    def get_config(self):
        config = super().get_config()
        config.update({"dropout": self.dropout})
        return config
