"""Additive attention (Bahdanau, Cho & Bengio, 2015)."""

import math

import keras
from keras import ops

from keras_attn.layers import checks
from keras_attn.layers.initializers import clone_initializer
from keras_attn.layers.attention_mechanism import AttentionMechanism


@keras.saving.register_keras_serializable(package="keras_attn")
class BahdanauAttention(AttentionMechanism):
    """Additive attention: a small feed-forward net scores each key against the query.

    Bahdanau et al. 2015, eq. 6 (the "alignment model"):

        e_ij = vᵀ tanh(W_q q_i + W_k k_j + b)
        a_ij = softmax_j(e_ij),   c_i = Σ_j a_ij v_j

    In RNNsearch the query is the previous decoder state s_{i-1} and the keys and
    values are the encoder annotations h_j. With `normalize=True` the score uses the
    weight-normalised vector `g · v / ‖v‖` (Salimans & Kingma 2016), which keeps the
    logits' scale learnable and independent of `units`.

    Args:
        units: size of the hidden layer of the alignment model.
        normalize: use the weight-normalised form of `v` (adds a scalar weight `g`).
        use_bias: add the bias `b` inside the tanh.
        dropout: dropout rate on the attention weights during training.
        kernel_initializer: initializer of `W_q`, `W_k` and `v` (one copy each).
        bias_initializer: initializer of `b`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments and returns are those of `AttentionMechanism`: `query` `[B, Dq]`
    or `[B, Tq, Dq]`, `value` `[B, Tv, Dv]`, optional `key` (defaults to `value`),
    `query_mask`, `value_mask`, `return_attention_scores`, `training`; the context
    `[B, (Tq,) Dv]` and optionally the weights `[B, (Tq,) Tv]`.

    Weights, in order: `W_q [Dq, units]`, `W_k [Dk, units]`, `b [units]` (if
    `use_bias`), `v [units]`, and `g []` (if `normalize`).

    Example:

    >>> import numpy as np
    >>> attention = BahdanauAttention(units=8)
    >>> decoder_state = np.random.rand(2, 16).astype("float32")
    >>> encoder_states = np.random.rand(2, 5, 12).astype("float32")
    >>> context, weights = attention(
    ...     decoder_state, encoder_states, return_attention_scores=True)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 12), (2, 5))
    """

    def __init__(
        self,
        units,
        normalize=False,
        use_bias=True,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(dropout=dropout, **kwargs)
        checks.check_positive_int(self, "units", units)
        self.units = units
        self.normalize = bool(normalize)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build_score(self, query_dim, key_dim):
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_dim, self.units), initializer=clone_initializer(self.kernel_initializer)
        )
        self.key_kernel = self.add_weight(
            name="key_kernel", shape=(key_dim, self.units), initializer=clone_initializer(self.kernel_initializer)
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=clone_initializer(self.bias_initializer)
            )
        self.attention_v = self.add_weight(
            name="attention_v", shape=(self.units,), initializer=clone_initializer(self.kernel_initializer)
        )
        self.attention_g = None
        if self.normalize:
            self.attention_g = self.add_weight(
                name="attention_g",
                shape=(),
                initializer=keras.initializers.Constant(math.sqrt(1.0 / self.units)),
            )

    def prepare_keys(self, key):
        # W_k k_j (+ b) depends on the keys only: computed once per source sentence.
        projected = ops.einsum("bkd,du->bku", key, self.key_kernel)
        if self.bias is not None:
            projected = projected + self.bias
        return projected

    def score(self, query, prepared_keys):
        projected_query = ops.expand_dims(ops.einsum("bqd,du->bqu", query, self.query_kernel), 2)
        hidden = ops.tanh(projected_query + ops.expand_dims(prepared_keys, 1))
        v = self.attention_v
        if self.normalize:
            # g · v / ‖v‖, with ‖v‖ computed in float32 so float16 cannot underflow.
            norm = ops.sqrt(ops.sum(ops.square(ops.cast(v, "float32"))))
            v = ops.cast(self.attention_g, "float32") * ops.cast(v, "float32") / norm
            v = ops.cast(v, hidden.dtype)
        return ops.einsum("bqku,u->bqk", hidden, v)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "normalize": self.normalize,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
