"""Multi-head attention with a key/value cache for step-by-step decoding."""

import keras
from keras import ops

from keras_attn.layers.multi_head import MultiHeadAttention


@keras.saving.register_keras_serializable(package="keras_attn")
class CachedMultiHeadAttention(MultiHeadAttention):
    """`MultiHeadAttention` that also runs one query position at a time against a cache.

    Called on whole sequences it is `MultiHeadAttention` (same arguments, weights
    and outputs). Decoding one position per step, it keeps the per-head keys and
    values of the positions seen so far instead of re-projecting the prefix:

        self-attention, new position p_b of row b with states x_b:
            K[b, :, p_b] = x_b W^K,   V[b, :, p_b] = x_b W^V          (write)
            out_b = Concat_h(softmax(q_bh K[b, h, 0..p_b]ᵀ / √d_k) V[b, h, 0..p_b]) W^O
        cross-attention over a fixed memory M (computed once per sequence):
            K_M = M W^K,   V_M = M W^V
            out = Concat_h(softmax(q_h K_{M,h}ᵀ / √d_k) V_{M,h}) W^O

    with q_bh = x_b W^Q_h, i.e. `MultiHead(x, prefix, prefix)` with a causal mask
    (Vaswani et al. 2017, §3.2.2-3), computed in O(L) per step.

    Cache layout: a dict `{"key": [B, H, L, key_dim], "value": [B, H, L, value_dim]}`
    in the compute dtype. Slot `l` of row `b` holds the projected key/value of
    position `l`; a step at position `p_b` writes slot `p_b` and attends slots
    `0 .. p_b`. Slots after `p_b` are masked, so they may hold zeros or stale values
    (rows of a batch may be at different positions). A memory cache has the same
    layout with `L = Ts`, the memory length.

    Args: those of `MultiHeadAttention`.

    Call arguments: those of `MultiHeadAttention` (whole sequences).

    Returns: as `MultiHeadAttention`: `[B, Tq, output_dim or Dq]`, or `(output, weights)`.

    Cached decoding (all run with dropout off, in the compute dtype):
        `empty_cache(batch_size, cache_size)`: zeros for `cache_size` positions.
        `fill_cache(cache, inputs)`: causal self-attention over a prefix
            `inputs [B, T, D]`; writes its keys/values into slots `0 .. T-1`;
            returns `(output [B, T, D_out], cache)`.
        `step(inputs, cache, positions, return_attention_scores=False)`:
            `inputs [B, 1, D]` is the newest position of each row, `positions` int
            `[B]` its slot; returns `(output [B, 1, D_out], cache)` (plus the
            weights `[B, H, 1, L]` when asked).
        `memory_cache(memory)`: the projected keys/values of `memory [B, Ts, D]`.
        `attend_cache(query, cache, cache_mask=None, return_attention_scores=False)`:
            `query [B, Tq, D]` attends every slot of `cache` where the boolean
            `cache_mask [B, L]` is True (all slots when `None`); returns
            `[B, Tq, D_out]` (or `(output, weights [B, H, Tq, L])`). The cache is
            not changed.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> attention = CachedMultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.random.rand(2, 3, 8).astype("float32")
    >>> full = keras.ops.convert_to_numpy(attention(x, x, use_causal_mask=True))
    >>> cache = attention.empty_cache(batch_size=2, cache_size=5)
    >>> for t in range(3):
    ...     out, cache = attention.step(x[:, t:t + 1], cache, np.array([t, t]))
    >>> bool(np.allclose(keras.ops.convert_to_numpy(out)[:, 0], full[:, 2], atol=1e-5))
    True
    """

    # Cached decoding runs the projections outside `__call__`, where Keras does not
    # autocast: cast the inputs and the float32 variables to the compute dtype here, as
    # a call would (under mixed precision torch's einsum refuses mixed dtypes).
    def _split_heads(self, inputs, kernel, bias):
        cast = lambda x: None if x is None else ops.cast(x, self.compute_dtype)
        return super()._split_heads(cast(inputs), cast(kernel), cast(bias))

    def merge_heads(self, heads):
        dtype = self.compute_dtype
        output = ops.einsum("bhtv,hvo->bto", ops.cast(heads, dtype), ops.cast(self.output_kernel, dtype))
        return output if self.output_bias is None else output + ops.cast(self.output_bias, dtype)

    def empty_cache(self, batch_size, cache_size):
        """Zero keys/values for `cache_size` positions: `{"key", "value"}`, `[B, H, L, d]`."""
        shape = (batch_size, self.num_heads, cache_size)
        return {
            "key": ops.zeros(shape + (self.key_dim,), self.compute_dtype),
            "value": ops.zeros(shape + (self.value_dim,), self.compute_dtype),
        }

    def memory_cache(self, memory):
        """The keys/values of a fixed `memory [B, Ts, D]`, projected once: `[B, H, Ts, d]`."""
        return {"key": self.project_key(memory), "value": self.project_value(memory)}

    def fill_cache(self, cache, inputs):
        """Causal self-attention over a prefix `inputs [B, T, D]` whose keys/values go to
        slots `0 .. T-1`; returns `(output [B, T, D_out], cache)`."""
        key, value = self.project_key(inputs), self.project_value(inputs)
        heads = self.attention(self.project_query(inputs), key, value, use_causal_mask=True, training=False)
        cache = dict(cache)
        for name, new in (("key", key), ("value", value)):
            cache[name] = ops.slice_update(cache[name], (0, 0, 0, 0), ops.cast(new, cache[name].dtype))
        return self.merge_heads(heads), cache

    def step(self, inputs, cache, positions, return_attention_scores=False):
        """Writes the newest position's key/value into slot `positions[b]` of each row b,
        then attends slots `0 .. positions[b]`; returns `(output, cache)` (and the weights)."""
        positions = ops.cast(positions, "int32")
        cache = dict(cache)
        cache["key"] = write_position(cache["key"], positions, self.project_key(inputs))
        cache["value"] = write_position(cache["value"], positions, self.project_value(inputs))
        # Slots after the newest position hold zeros or stale keys: masked (the
        # bottom-right causal mask of a one-query step over the filled prefix).
        cache_size = ops.shape(cache["key"])[2]
        visible = ops.expand_dims(ops.arange(cache_size), 0) <= ops.expand_dims(positions, 1)
        output, weights = self.attend_cache(inputs, cache, visible, return_attention_scores=True)
        if return_attention_scores:
            return output, cache, weights
        return output, cache

    def attend_cache(self, query, cache, cache_mask=None, return_attention_scores=False):
        """`query [B, Tq, D]` attends the cache's slots where `cache_mask [B, L]` is True."""
        mask = None if cache_mask is None else cache_mask[:, None, None, :]
        heads, weights = self.attention.attend(
            self.project_query(query), cache["key"], cache["value"], mask, training=False
        )
        output = self.merge_heads(heads)
        if return_attention_scores:
            return output, weights
        return output


def write_position(cache, positions, new):
    """Scatters `new [B, H, 1, d]` into `cache [B, H, L, d]` at slot `positions[b]` of row b.

    One scatter of B·H vectors: the cost of a step does not grow with the prefix.
    """
    batch, heads, depth = ops.shape(cache)[0], ops.shape(cache)[1], ops.shape(cache)[3]
    rows = ops.repeat(ops.arange(batch), heads)
    head_ids = ops.tile(ops.arange(heads), [batch])
    slots = ops.repeat(ops.cast(positions, "int32"), heads)
    indices = ops.stack([ops.cast(rows, "int32"), ops.cast(head_ids, "int32"), slots], axis=1)
    return ops.scatter_update(cache, indices, ops.cast(ops.reshape(new, (batch * heads, depth)), cache.dtype))
