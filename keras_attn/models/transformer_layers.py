"""The building blocks of the Transformer (Vaswani et al., 2017, §3).

Private to the Transformer family (keras_attn.models.transformer), so they share one
file: the token embedding (scaled by √d_model, optionally reused as the output
projection), the position-wise feed-forward network, and the encoder and decoder
blocks with pre- or post-norm residual connections. The decoder block also runs one
position at a time against a preallocated key/value cache (`step`).
"""

import math

import keras
from keras import ops

from keras_attn.layers import MultiHeadAttention
from keras_attn.layers import MultiHeadSelfAttention
from keras_attn.layers import checks


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _rate(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value < 1.0


@keras.saving.register_keras_serializable(package="keras_attn")
class TokenEmbedding(keras.layers.Layer):
    """Token embedding scaled by √d_model, reusable as the pre-softmax projection.

        embed(ids) = E[ids] · √d_model          (Vaswani et al. 2017, §3.4)
        logits(h)  = h Eᵀ                        (with `reverse=True`)

    The paper shares one matrix E between the source and target embeddings and the
    pre-softmax linear layer (Press & Wolf 2017). E starts as N(0, d_model^-1), so
    the scaled embedding has unit variance, the same scale as the positional signal.

    Args:
        vocab_size: number of token ids.
        d_model: embedding size.
        embeddings_initializer: initializer of E (default N(0, d_model^-0.5²)).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: int ids `[B, T]` (or `[B, T, d_model]` states with `reverse=True`).
        reverse: project states onto the vocabulary (`h Eᵀ`) instead of embedding.

    Returns:
        `[B, T, d_model]` embeddings, or float32 logits `[B, T, vocab_size]`.

    Example:

    >>> import numpy as np
    >>> embedding = TokenEmbedding(10, 4)
    >>> states = embedding(np.array([[1, 2, 0]]))
    >>> tuple(states.shape), tuple(embedding(states, reverse=True).shape)
    ((1, 3, 4), (1, 3, 10))
    """

    def __init__(self, vocab_size, d_model, embeddings_initializer=None, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(self, "vocab_size", vocab_size, _positive_int(vocab_size), "a positive int")
        checks.check_argument(self, "d_model", d_model, _positive_int(d_model), "a positive int")
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer or keras.initializers.RandomNormal(stddev=d_model**-0.5)
        )

    def build(self, inputs_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.vocab_size, self.d_model), initializer=self.embeddings_initializer
        )
        self.built = True

    def call(self, inputs, reverse=False):
        if reverse:
            kernel = ops.cast(self.embeddings, inputs.dtype)
            return ops.cast(ops.matmul(inputs, ops.transpose(kernel)), "float32")
        embedded = ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)
        return ops.cast(embedded, self.compute_dtype) * ops.cast(math.sqrt(self.d_model), self.compute_dtype)

    def compute_output_shape(self, inputs_shape, reverse=False):
        if reverse:
            return tuple(inputs_shape[:-1]) + (self.vocab_size,)
        return tuple(inputs_shape) + (self.d_model,)

    def compute_output_spec(self, inputs, reverse=False):
        if reverse:
            return keras.KerasTensor(tuple(inputs.shape[:-1]) + (self.vocab_size,), "float32")
        return keras.KerasTensor(tuple(inputs.shape) + (self.d_model,), self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "d_model": self.d_model,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_attn")
class FeedForward(keras.layers.Layer):
    """Position-wise feed-forward network (Vaswani et al. 2017, eq. 2).

        FFN(x) = max(0, x W_1 + b_1) W_2 + b_2

    The same two-layer network is applied to every position separately: the
    sublayer where each position transforms what attention gathered for it.

    Args:
        d_ff: inner size (2048 in the base model).
        activation: inner activation (`"relu"` in the paper; `"gelu"` for GPT/BERT).
        dropout: dropout rate on the inner activations during training.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[B, T, d_model]`.
        training: whether dropout is active.

    Returns:
        `[B, T, d_model]`.

    Example:

    >>> import numpy as np
    >>> ffn = FeedForward(d_ff=16)
    >>> tuple(ffn(np.zeros((2, 3, 8), "float32")).shape)
    (2, 3, 8)
    """

    def __init__(self, d_ff, activation="relu", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(self, "d_ff", d_ff, _positive_int(d_ff), "a positive int")
        checks.check_argument(self, "dropout", dropout, _rate(dropout), "a float in [0, 1)")
        self.d_ff = d_ff
        self.activation = activation
        self.dropout = dropout
        self.supports_masking = True  # position-wise: the sequence mask passes through
        self.inner = keras.layers.Dense(d_ff, activation=activation, dtype=self.dtype_policy, name="inner")
        self.inner_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy, name="inner_dropout")
        self.outer = None

    def build(self, inputs_shape):
        checks.check_rank(self, "inputs", inputs_shape, (3,))
        checks.check_known_size(self, "inputs", inputs_shape)
        self.outer = keras.layers.Dense(inputs_shape[-1], dtype=self.dtype_policy, name="outer")
        self.inner.build(inputs_shape)
        self.outer.build(tuple(inputs_shape[:-1]) + (self.d_ff,))
        self.built = True

    def call(self, inputs, training=None):
        return self.outer(self.inner_dropout(self.inner(inputs), training=training))

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"d_ff": self.d_ff, "activation": self.activation, "dropout": self.dropout})
        return config


class _ResidualBlock(keras.layers.Layer):
    """Shared constructor checks and the residual connection of both block kinds."""

    def __init__(self, num_heads, d_ff, dropout=0.1, attention_dropout=0.0, activation="relu",
                 norm_first=False, layer_norm_epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(self, "num_heads", num_heads, _positive_int(num_heads), "a positive int")
        checks.check_argument(self, "d_ff", d_ff, _positive_int(d_ff), "a positive int")
        checks.check_argument(self, "dropout", dropout, _rate(dropout), "a float in [0, 1)")
        checks.check_argument(
            self, "attention_dropout", attention_dropout, _rate(attention_dropout), "a float in [0, 1)"
        )
        self.num_heads = num_heads
        self.d_ff = d_ff
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = activation
        self.norm_first = bool(norm_first)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.residual_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy, name="residual_dropout")
        self.feed_forward = FeedForward(d_ff, activation=activation, dtype=self.dtype_policy, name="feed_forward")
        self.feed_forward_norm = self._norm("feed_forward_norm")

    def _norm(self, name):
        return keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name)

    def _build_self_attention(self, inputs_shape):
        """Checks `inputs_shape`, builds the self-attention sublayer and its norm; returns the head size."""
        checks.check_rank(self, "inputs", inputs_shape, (3,))
        checks.check_known_size(self, "inputs", inputs_shape)
        head_dim = self._head_dim(inputs_shape[-1])
        self.self_attention = MultiHeadSelfAttention(
            self.num_heads, head_dim, dropout=self.attention_dropout, dtype=self.dtype_policy, name="self_attention"
        )
        self.self_attention.build(inputs_shape)
        self.self_attention_norm.build(inputs_shape)
        return head_dim

    def _head_dim(self, d_model):
        if d_model % self.num_heads:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': the model size {d_model} must be divisible by "
                f"num_heads={self.num_heads}."
            )
        return d_model // self.num_heads

    @staticmethod
    def _attend(attention, scores, key, return_attention_scores, *args, **kwargs):
        """Runs an attention sublayer; stores its weights in `scores[key]` only when asked
        (without them the layer may take a fused kernel that never stores the weights)."""
        if not return_attention_scores:
            return attention(*args, **kwargs)
        output, scores[key] = attention(*args, return_attention_scores=True, **kwargs)
        return output

    def _residual(self, x, sublayer, norm, training):
        """Post-norm `LayerNorm(x + Dropout(Sublayer(x)))` (the paper's §5.4) or
        pre-norm `x + Dropout(Sublayer(LayerNorm(x)))` (Xiong et al. 2020), which
        trains deep stacks without warm-up; it then needs a final norm after the stack."""
        if self.norm_first:
            return x + self.residual_dropout(sublayer(norm(x)), training=training)
        return norm(x + self.residual_dropout(sublayer(x), training=training))

    def compute_output_shape(self, inputs_shape, *args, **kwargs):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "d_ff": self.d_ff,
                "dropout": self.dropout,
                "attention_dropout": self.attention_dropout,
                "activation": self.activation,
                "norm_first": self.norm_first,
                "layer_norm_epsilon": self.layer_norm_epsilon,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerEncoderBlock(_ResidualBlock):
    """One encoder layer: self-attention, then a position-wise feed-forward network.

        x = LayerNorm(x + Dropout(MultiHeadSelfAttention(x)))
        x = LayerNorm(x + Dropout(FFN(x)))          (Vaswani et al. 2017, §3.1)

    (or the pre-norm arrangement `x + Dropout(Sublayer(LayerNorm(x)))` with
    `norm_first=True`).

    Args:
        num_heads: attention heads H; d_model (the input size) must divide by H.
        d_ff: inner size of the feed-forward network.
        dropout: residual dropout rate on every sublayer output.
        attention_dropout: dropout rate on the attention weights.
        activation: the feed-forward activation.
        norm_first: pre-norm instead of the paper's post-norm.
        layer_norm_epsilon: epsilon of the layer norms.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[B, T, d_model]`.
        mask: boolean padding mask `[B, T]`, True for real tokens.
        training: whether dropout is active.
        return_attention_scores: also return the self-attention weights `[B, H, T, T]`.

    Returns:
        `[B, T, d_model]`, or `(output, weights)`.

    Example:

    >>> import numpy as np
    >>> block = TransformerEncoderBlock(num_heads=2, d_ff=16)
    >>> tuple(block(np.zeros((2, 5, 8), "float32")).shape)
    (2, 5, 8)
    """

    def __init__(self, num_heads, d_ff, **kwargs):
        super().__init__(num_heads, d_ff, **kwargs)
        # The padding mask passes through: a task head (e.g. masked pooling) can use it.
        self.supports_masking = True
        self.self_attention = None
        self.self_attention_norm = self._norm("self_attention_norm")

    def build(self, inputs_shape):
        self._build_self_attention(inputs_shape)
        self.feed_forward.build(inputs_shape)
        self.feed_forward_norm.build(inputs_shape)
        self.built = True

    def call(self, inputs, mask=None, training=None, return_attention_scores=False):
        scores = {}
        attend = lambda x: self._attend(self.self_attention, scores, "self", return_attention_scores, x, mask=mask,
                                        training=training)
        x = self._residual(inputs, attend, self.self_attention_norm, training)
        x = self._residual(x, lambda h: self.feed_forward(h, training=training), self.feed_forward_norm, training)
        if return_attention_scores:
            return x, scores["self"]
        return x

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_spec(self, inputs, mask=None, training=None, return_attention_scores=False):
        output = keras.KerasTensor(inputs.shape, self.compute_dtype)
        if return_attention_scores:
            return output, keras.KerasTensor((inputs.shape[0], self.num_heads, inputs.shape[1], inputs.shape[1]))
        return output


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerDecoderBlock(_ResidualBlock):
    """One decoder layer: causal self-attention, cross-attention, feed-forward.

        x = LayerNorm(x + Dropout(MaskedSelfAttention(x)))
        x = LayerNorm(x + Dropout(MultiHead(x, memory, memory)))
        x = LayerNorm(x + Dropout(FFN(x)))          (Vaswani et al. 2017, §3.1)

    Position i attends only to positions ≤ i, so the block can be trained on whole
    sequences and run one position at a time with the same result (`step`). With
    `cross_attention=False` the middle sublayer is dropped (a decoder-only LM).

    Args:
        num_heads: attention heads H; d_model (the input size) must divide by H.
        d_ff: inner size of the feed-forward network.
        cross_attention: whether the block attends to an encoder memory.
        dropout, attention_dropout, activation, norm_first, layer_norm_epsilon: as
            in `TransformerEncoderBlock`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `[B, T, d_model]` target states.
        memory: `[B, Ts, d_memory]` encoder output (required with cross-attention).
        memory_mask: boolean `[B, Ts]`, True for real source tokens.
        training: whether dropout is active.
        return_attention_scores: also return a dict with the weights `"self"`
            `[B, H, T, T]` and (with cross-attention) `"cross"` `[B, H, T, Ts]`.

    Returns:
        `[B, T, d_model]`, or `(output, weights)`.

    Example:

    >>> import numpy as np
    >>> block = TransformerDecoderBlock(num_heads=2, d_ff=16)
    >>> target, memory = np.zeros((2, 3, 8), "float32"), np.ones((2, 5, 8), "float32")
    >>> tuple(block(target, memory).shape)
    (2, 3, 8)
    """

    def __init__(self, num_heads, d_ff, cross_attention=True, **kwargs):
        super().__init__(num_heads, d_ff, **kwargs)
        self.supports_masking = True  # the target's padding mask passes through
        self.cross_attention = bool(cross_attention)
        self.self_attention = None
        self.cross_attention_layer = None
        self.self_attention_norm = self._norm("self_attention_norm")
        self.cross_attention_norm = self._norm("cross_attention_norm") if self.cross_attention else None

    def build(self, inputs_shape, memory_shape=None):
        head_dim = self._build_self_attention(inputs_shape)
        if self.cross_attention:
            memory_shape = inputs_shape if memory_shape is None else memory_shape
            checks.check_rank(self, "memory", memory_shape, (3,))
            checks.check_known_size(self, "memory", memory_shape)
            self.cross_attention_layer = MultiHeadAttention(
                self.num_heads, head_dim, dropout=self.attention_dropout, dtype=self.dtype_policy,
                name="cross_attention",
            )
            self.cross_attention_layer.build(inputs_shape, memory_shape)
            self.cross_attention_norm.build(inputs_shape)
        self.feed_forward.build(inputs_shape)
        self.feed_forward_norm.build(inputs_shape)
        self.built = True

    def call(self, inputs, memory=None, memory_mask=None, training=None, return_attention_scores=False):
        if self.cross_attention and memory is None:
            raise ValueError(f"TransformerDecoderBlock layer '{self.name}': `memory` is required with cross-attention.")
        scores = {}
        attend_self = lambda x: self._attend(self.self_attention, scores, "self", return_attention_scores, x,
                                             use_causal_mask=True, training=training)
        attend_memory = lambda x: self._attend(self.cross_attention_layer, scores, "cross", return_attention_scores,
                                               x, memory, value_mask=memory_mask, training=training)

        x = self._residual(inputs, attend_self, self.self_attention_norm, training)
        if self.cross_attention:
            x = self._residual(x, attend_memory, self.cross_attention_norm, training)
        x = self._residual(x, lambda h: self.feed_forward(h, training=training), self.feed_forward_norm, training)
        if return_attention_scores:
            return x, scores
        return x

    def compute_output_spec(self, inputs, memory=None, memory_mask=None, training=None,
                            return_attention_scores=False):
        output = keras.KerasTensor(inputs.shape, self.compute_dtype)
        if not return_attention_scores:
            return output
        batch, length = inputs.shape[0], inputs.shape[1]
        scores = {"self": keras.KerasTensor((batch, self.num_heads, length, length))}
        if self.cross_attention:
            scores["cross"] = keras.KerasTensor((batch, self.num_heads, length, memory.shape[1]))
        return output, scores

    # Cached decoding ---------------------------------------------------------------
    def empty_cache(self, batch_size, cache_size, memory=None):
        """A preallocated cache for `cache_size` positions (and the memory's keys/values).

        `self_key`/`self_value` are `[B, H, cache_size, head_dim]` zeros that `step`
        fills one position at a time; `cross_key`/`cross_value` are the memory's
        projections, computed once here instead of at every step.
        """
        attention = self.self_attention
        shape = (batch_size, self.num_heads, cache_size, attention.key_dim)
        cache = {
            "self_key": ops.zeros(shape, self.compute_dtype),
            "self_value": ops.zeros(shape[:3] + (attention.value_dim,), self.compute_dtype),
        }
        if self.cross_attention:
            cache["cross_key"] = self.cross_attention_layer.project_key(memory)
            cache["cross_value"] = self.cross_attention_layer.project_value(memory)
        return cache

    def fill_cache(self, cache, inputs):
        """Writes the keys/values of a whole prefix `inputs [B, T, d_model]` into slots
        `0 .. T-1` (the LM's prompt); returns the cache and the block's output."""
        if self.cross_attention:
            raise ValueError(
                f"TransformerDecoderBlock layer '{self.name}': `fill_cache` serves decoder-only blocks "
                "(cross_attention=False)."
            )
        keys, values = [], []

        def attend_self(x):
            keys.append(self.self_attention.project_key(x))
            values.append(self.self_attention.project_value(x))
            return self.self_attention(x, use_causal_mask=True, training=False)

        x = self._residual(inputs, attend_self, self.self_attention_norm, False)
        x = self._residual(x, lambda h: self.feed_forward(h, training=False), self.feed_forward_norm, False)
        cache = dict(cache)
        for name, new in (("self_key", keys[0]), ("self_value", values[0])):
            cache[name] = ops.slice_update(cache[name], (0, 0, 0, 0), ops.cast(new, cache[name].dtype))
        return cache, x

    def step(self, inputs, cache, positions, memory_mask=None):
        """Runs one new position per row against the cache.

        Args:
            inputs: `[B, 1, d_model]`, the states of the newest token of each row.
            cache: the dict from `empty_cache`.
            positions: int32 `[B]`, the slot of the newest token in each row; its key
                and value are written there and it attends to slots `0 .. position`.
            memory_mask: boolean `[B, Ts]` for the cross-attention.

        Returns:
            `(output [B, 1, d_model], cache, cross-attention weights [B, H, 1, Ts]
            or None)`.
        """
        cache = dict(cache)
        scores = {"cross": None}
        cache_size = ops.shape(cache["self_key"])[2]
        # Slots after the newest position hold zeros or stale keys: masked (the
        # bottom-right causal mask of a one-query step over the filled prefix).
        visible = ops.expand_dims(ops.arange(cache_size), 0) <= ops.expand_dims(positions, 1)
        visible = visible[:, None, None, :]

        def attend_self(x):
            attention = self.self_attention
            for name, project in (("self_key", attention.project_key), ("self_value", attention.project_value)):
                cache[name] = _write_position(cache[name], positions, project(x))
            heads, _ = attention.attention.attend(
                attention.project_query(x), cache["self_key"], cache["self_value"], visible, training=False
            )
            return attention.merge_heads(heads)

        def attend_memory(x):
            attention = self.cross_attention_layer
            mask = None if memory_mask is None else memory_mask[:, None, None, :]
            heads, scores["cross"] = attention.attention.attend(
                attention.project_query(x), cache["cross_key"], cache["cross_value"], mask, training=False
            )
            return attention.merge_heads(heads)

        x = self._residual(inputs, attend_self, self.self_attention_norm, False)
        if self.cross_attention:
            x = self._residual(x, attend_memory, self.cross_attention_norm, False)
        x = self._residual(x, lambda h: self.feed_forward(h, training=False), self.feed_forward_norm, False)
        return x, cache, scores["cross"]

    def get_config(self):
        config = super().get_config()
        config.update({"cross_attention": self.cross_attention})
        return config


def _write_position(cache, positions, new):
    """Scatters `new [B, H, 1, d]` into `cache [B, H, L, d]` at slot `positions[b]` of row b.

    One scatter of B·H vectors: the cost of a step does not grow with the prefix.
    """
    batch, heads, depth = ops.shape(cache)[0], ops.shape(cache)[1], ops.shape(cache)[3]
    rows = ops.repeat(ops.arange(batch), heads)
    head_ids = ops.tile(ops.arange(heads), [batch])
    slots = ops.repeat(ops.cast(positions, "int32"), heads)
    indices = ops.stack([ops.cast(rows, "int32"), ops.cast(head_ids, "int32"), slots], axis=1)
    return ops.scatter_update(cache, indices, ops.cast(ops.reshape(new, (batch * heads, depth)), cache.dtype))
