"""One Transformer decoder layer (Vaswani et al., 2017, §3.1), with cached decoding."""

import keras
from keras import ops

from keras_attn.layers import checks
from keras_attn.layers.cached_multi_head_attention import CachedMultiHeadAttention
from keras_attn.layers.residual_block import ResidualBlock


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerDecoderBlock(ResidualBlock):
    """One decoder layer: causal self-attention, cross-attention, feed-forward.

        x = LayerNorm(x + Dropout(MaskedSelfAttention(x)))
        x = LayerNorm(x + Dropout(MultiHead(x, memory, memory)))
        x = LayerNorm(x + Dropout(FFN(x)))          (Vaswani et al. 2017, §3.1)

    Position i attends only to positions ≤ i, so the block can be trained on whole
    sequences and run one position at a time with the same result (`step`). With
    `cross_attention=False` the middle sublayer is dropped (a decoder-only LM).
    Both attention sublayers are `CachedMultiHeadAttention` layers, which own the
    key/value caches of step-by-step decoding.

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

    Cached decoding: `empty_cache`, `fill_cache` and `step` (below). The cache is a
    dict with `self_key`/`self_value` `[B, H, L, head_dim]` (the self-attention's
    slots, see `CachedMultiHeadAttention`) and, with cross-attention,
    `cross_key`/`cross_value` `[B, H, Ts, head_dim]` (the memory's projections).

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
        head_dim = self._check_inputs(inputs_shape)
        self.self_attention = CachedMultiHeadAttention(
            self.num_heads, head_dim, dropout=self.attention_dropout, dtype=self.dtype_policy, name="self_attention"
        )
        self.self_attention.build(inputs_shape, inputs_shape)
        self.self_attention_norm.build(inputs_shape)
        if self.cross_attention:
            memory_shape = inputs_shape if memory_shape is None else memory_shape
            checks.check_rank(self, "memory", memory_shape, (3,))
            checks.check_known_size(self, "memory", memory_shape)
            self.cross_attention_layer = CachedMultiHeadAttention(
                self.num_heads, head_dim, dropout=self.attention_dropout, dtype=self.dtype_policy,
                name="cross_attention",
            )
            self.cross_attention_layer.build(inputs_shape, memory_shape)
            self.cross_attention_norm.build(inputs_shape)
        self._build_feed_forward(inputs_shape)
        self.built = True

    def call(self, inputs, memory=None, memory_mask=None, training=None, return_attention_scores=False):
        if self.cross_attention and memory is None:
            raise ValueError(f"TransformerDecoderBlock layer '{self.name}': `memory` is required with cross-attention.")
        scores = {}
        attend_self = lambda x: self._attend(self.self_attention, scores, "self", return_attention_scores, x, x,
                                             use_causal_mask=True, training=training)
        attend_memory = lambda x: self._attend(self.cross_attention_layer, scores, "cross", return_attention_scores,
                                               x, memory, value_mask=memory_mask, training=training)

        x = self._residual(inputs, attend_self, self.self_attention_norm, training)
        if self.cross_attention:
            x = self._residual(x, attend_memory, self.cross_attention_norm, training)
        x = self._feed_forward_residual(x, training)
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
        own = self.self_attention.empty_cache(batch_size, cache_size)
        cache = {"self_key": own["key"], "self_value": own["value"]}
        if self.cross_attention:
            projected = self.cross_attention_layer.memory_cache(memory)
            cache["cross_key"], cache["cross_value"] = projected["key"], projected["value"]
        return cache

    def fill_cache(self, cache, inputs):
        """Writes the keys/values of a whole prefix `inputs [B, T, d_model]` into slots
        `0 .. T-1` (the LM's prompt); returns the cache and the block's output."""
        if self.cross_attention:
            raise ValueError(
                f"TransformerDecoderBlock layer '{self.name}': `fill_cache` serves decoder-only blocks "
                "(cross_attention=False)."
            )
        inputs = ops.cast(inputs, self.compute_dtype)  # as a call would autocast them
        own = _own_cache(cache)

        def attend_self(x):
            output, own["cache"] = self.self_attention.fill_cache(own["cache"], x)
            return output

        x = self._residual(inputs, attend_self, self.self_attention_norm, False)
        x = self._feed_forward_residual(x, False)
        return _with_own_cache(cache, own["cache"]), x

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
        inputs = ops.cast(inputs, self.compute_dtype)  # as a call would autocast them
        own = _own_cache(cache)
        scores = {"cross": None}

        def attend_self(x):
            output, own["cache"] = self.self_attention.step(x, own["cache"], positions)
            return output

        def attend_memory(x):
            memory = {"key": cache["cross_key"], "value": cache["cross_value"]}
            output, scores["cross"] = self.cross_attention_layer.attend_cache(
                x, memory, memory_mask, return_attention_scores=True
            )
            return output

        x = self._residual(inputs, attend_self, self.self_attention_norm, False)
        if self.cross_attention:
            x = self._residual(x, attend_memory, self.cross_attention_norm, False)
        x = self._feed_forward_residual(x, False)
        return x, _with_own_cache(cache, own["cache"]), scores["cross"]

    def get_config(self):
        config = super().get_config()
        config.update({"cross_attention": self.cross_attention})
        return config


def _own_cache(cache):
    """The self-attention's slots of a block cache, in `CachedMultiHeadAttention`'s layout
    (boxed, so the sublayer closures can replace them)."""
    return {"cache": {"key": cache["self_key"], "value": cache["self_value"]}}


def _with_own_cache(cache, own):
    return dict(cache, self_key=own["key"], self_value=own["value"])
