"""Multiplicative attention (Luong, Pham & Manning, 2015)."""

import keras
from keras import ops

from keras_attn.layers import checks
from keras_attn.layers.initializers import clone_initializer
from keras_attn.layers.attention_mechanism import AttentionMechanism

_SCORES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="keras_attn")
class LuongAttention(AttentionMechanism):
    """Global attention with Luong et al. 2015's score functions (§3.1, eq. 8).

        dot:      score(h_t, h̄_s) = h_tᵀ h̄_s
        general:  score(h_t, h̄_s) = h_tᵀ W h̄_s
        concat:   score(h_t, h̄_s) = vᵀ tanh(W [h_t; h̄_s])

    then `a_t = softmax(score)` over the source and `c_t = Σ_s a_t(s) h̄_s`. Unlike
    Bahdanau's, Luong's query is the *current* decoder state h_t; the decoder then
    forms the attentional state `tanh(W_c [c_t; h_t])` (done by the model, not here).

    Args:
        score: `"dot"`, `"general"` or `"concat"`.
        units: hidden size of the `"concat"` score; defaults to the query size.
            Not used by the other scores.
        scale: multiply the score by a learned scalar `g` (initialised to 1).
        dropout: dropout rate on the attention weights during training.
        kernel_initializer: initializer of `W` and `v` (one copy each).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments and returns are those of `AttentionMechanism`: `query` `[B, Dq]`
    or `[B, Tq, Dq]`, `value` `[B, Tv, Dv]`, optional `key` (defaults to `value`),
    `query_mask`, `value_mask`, `return_attention_scores`, `training`.

    Weights: `dot` none; `general` `W [Dq, Dk]`; `concat` `W [Dq + Dk, units]` and
    `v [units]`; with `scale=True` a scalar `g` last.

    Example:

    >>> import numpy as np
    >>> attention = LuongAttention(score="general")
    >>> decoder_states = np.random.rand(2, 3, 16).astype("float32")
    >>> encoder_states = np.random.rand(2, 5, 16).astype("float32")
    >>> tuple(attention(decoder_states, encoder_states).shape)
    (2, 3, 16)
    """

    def __init__(
        self,
        score="general",
        units=None,
        scale=False,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(dropout=dropout, **kwargs)
        checks.check_argument(self, "score", score, score in _SCORES, f"one of {_SCORES}")
        checks.check_positive_int(self, "units", units, allow_none=True)
        self.score_mode = score
        self.units = units
        self.scale = bool(scale)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def validate_score_shapes(self, query_shape, key_shape):
        if self.score_mode == "dot":
            checks.check_same_size(
                self, "with score='dot' the feature sizes", "query", query_shape, "key", key_shape
            )

    def build_score(self, query_dim, key_dim):
        self._query_dim = query_dim
        if self.score_mode == "general":
            self.kernel = self.add_weight(
                name="kernel", shape=(query_dim, key_dim), initializer=clone_initializer(self.kernel_initializer)
            )
        elif self.score_mode == "concat":
            units = self.units or query_dim
            self.kernel = self.add_weight(
                name="kernel", shape=(query_dim + key_dim, units),
                initializer=clone_initializer(self.kernel_initializer),
            )
            self.attention_v = self.add_weight(
                name="attention_v", shape=(units,), initializer=clone_initializer(self.kernel_initializer)
            )
        self.attention_g = None
        if self.scale:
            self.attention_g = self.add_weight(name="attention_g", shape=(), initializer="ones")

    def prepare_keys(self, key):
        if self.score_mode == "general":
            # qᵀ W k = q · (k Wᵀ): project the keys once, then a dot product per query.
            return ops.einsum("bkj,ij->bki", key, self.kernel)
        if self.score_mode == "concat":
            # W [q; k] = W_q q + W_k k, with W_q, W_k the two row blocks of W.
            return ops.einsum("bkd,du->bku", key, self.kernel[self._query_dim :])
        return key

    def score(self, query, prepared_keys):
        if self.score_mode == "concat":
            projected_query = ops.einsum("bqd,du->bqu", query, self.kernel[: self._query_dim])
            hidden = ops.tanh(ops.expand_dims(projected_query, 2) + ops.expand_dims(prepared_keys, 1))
            scores = ops.einsum("bqku,u->bqk", hidden, self.attention_v)
        else:
            scores = ops.matmul(query, ops.swapaxes(prepared_keys, -1, -2))
        if self.attention_g is not None:
            scores = scores * self.attention_g
        return scores

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "score": self.score_mode,
                "units": self.units,
                "scale": self.scale,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
