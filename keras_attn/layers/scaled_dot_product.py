"""Scaled dot-product attention (Vaswani et al., 2017, §3.2.1)."""


import keras
from keras import ops

from keras_attn.layers import checks
from keras_attn.layers.masking import causal_mask
from keras_attn.layers.masking import softmax_over_keys
from keras_attn.layers.masking import kernel_causal
from keras_attn.layers.masking import merge_masks
from keras_attn.layers.masking import sequence_mask_to_rows_and_columns

# Backends on which `call` routes through `keras.ops.dot_product_attention` when the
# weights are not requested: those whose kernel never stores the [Tq, Tk] weights.
# TensorFlow's is einsums over [B, T, H, d] plus a stored softmax, slower on CPU than
# our [B, H, T, d] matmuls (benchmarks/results/performance.md), so it is off there.
FUSED_BACKENDS = {"torch": True, "jax": True, "tensorflow": False}


@keras.saving.register_keras_serializable(package="keras_attn")
class ScaledDotProductAttention(keras.layers.Layer):
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V  (Vaswani et al. 2017, eq. 1).

    Dividing by √d_k keeps the logits' variance near one whatever the key size, so
    the softmax does not saturate. The layer has no weights; `MultiHeadAttention`
    runs it once over all heads at once (heads as a leading axis).

    Args:
        dropout: dropout rate on the attention weights during training.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[..., Tq, dk]`.
        key: `[..., Tk, dk]`.
        value: `[..., Tk, dv]`. Leading axes are any batch/head axes, the same for all three.
        mask: boolean, broadcastable to `[..., Tq, Tk]` by numpy rules (a `[B, Tk]`
            padding mask is passed as `[B, 1, 1, Tk]` for 4-d inputs).
        use_causal_mask: query `i` sees keys `j <= i + (Tk - Tq)` (bottom-right).
        return_attention_scores: also return the weights.
        training: whether dropout is active.
        query_mask, key_mask, value_mask: `query.shape[:-1]` / `key.shape[:-1]`
            padding masks; Keras fills them from the inputs' masks. A padded query
            gets zero weights and a zero output.

    Returns:
        `[..., Tq, dv]`, or `(output, weights [..., Tq, Tk])`.

    Example:

    >>> import numpy as np
    >>> q = np.random.rand(2, 4, 3, 8).astype("float32")   # [B, H, Tq, dk]
    >>> kv = np.random.rand(2, 4, 5, 8).astype("float32")  # [B, H, Tk, d]
    >>> out, weights = ScaledDotProductAttention()(
    ...     q, kv, kv, return_attention_scores=True)
    >>> tuple(out.shape), tuple(weights.shape)
    ((2, 4, 3, 8), (2, 4, 3, 5))
    """

    def __init__(self, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(
            self, "dropout", dropout, 0.0 <= dropout < 1.0, "a float in [0, 1)"
        )
        self.dropout = dropout
        self.supports_masking = True
        self._weights_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)

    def build(self, query_shape, key_shape, value_shape):
        rank = len(query_shape)
        checks.check_rank(self, "query", query_shape, range(2, 9))
        checks.check_rank(self, "key", key_shape, (rank,))
        checks.check_rank(self, "value", value_shape, (rank,))
        checks.check_same_size(self, "the last axes (d_k)", "query", query_shape, "key", key_shape)
        checks.check_same_size(self, "the number of steps", "key", key_shape, "value", value_shape, axis=-2)
        self.built = True

    def call(
        self,
        query,
        key,
        value,
        mask=None,
        use_causal_mask=False,
        return_attention_scores=False,
        training=None,
        query_mask=None,
        key_mask=None,
        value_mask=None,
    ):
        mask = merge_masks(mask, sequence_mask_to_rows_and_columns(query_mask, merge_masks(key_mask, value_mask)))
        if not return_attention_scores and self.can_fuse(query, training, value.shape[-1]):
            mask, is_causal = kernel_causal(mask, use_causal_mask, ops.shape(query)[-2], ops.shape(key)[-2])
            return self.attend_fused(query, key, value, mask, is_causal)
        if use_causal_mask:
            mask = merge_masks(mask, self._causal_mask(query, key))
        output, weights = self.attend(query, key, value, mask, training)
        if return_attention_scores:
            return output, weights
        return output

    def can_fuse(self, query, training=None, value_depth=None):
        """Whether a call without weights takes `attend_fused` (`FUSED_BACKENDS`).

        The backend's kernel has no dropout and takes exactly `[B, H, T, d]` inputs
        (`fuses` says the rest).
        """
        return len(query.shape) == 4 and self.fuses(training, query.shape[-1], value_depth)

    def fuses(self, training=None, key_depth=None, value_depth=None):
        """Whether this backend's fused kernel can compute the attention (no weights).

        It has no dropout, and jax's kernel takes values of the keys' depth only.
        """
        backend = keras.backend.backend()
        if not FUSED_BACKENDS.get(backend, False) or (self.dropout > 0.0 and training):
            return False
        return backend != "jax" or value_depth is None or value_depth == key_depth

    def attend_fused(self, query, key, value, mask=None, is_causal=False):
        """The output of `attend` through `keras.ops.dot_product_attention`, without weights.

        On backends with a fused kernel (torch's `scaled_dot_product_attention`,
        cuDNN's through jax) the `[Tq, Tk]` weights are never stored. Inputs are
        `[B, H, T, d]`; `attend_heads_last` takes the kernel's own layout.
        """
        heads_second = lambda x: ops.swapaxes(x, 1, 2)  # [B, H, T, d] <-> [B, T, H, d]
        output = self.attend_heads_last(heads_second(query), heads_second(key), heads_second(value), mask, is_causal)
        return heads_second(output)

    def attend_heads_last(self, query, key, value, mask=None, is_causal=False):
        """`attend_fused` on `[B, T, H, d]` inputs and output, the layout the kernel takes.

        Args:
            query, key, value: `[B, Tq, H, d]`, `[B, Tk, H, d]`, `[B, Tk, H, dv]`.
            mask: boolean, broadcastable to `[B, H, Tq, Tk]`, or `None`.
            is_causal: let the kernel mask causally (top-left: query i sees keys
                j <= i), which equals the bottom-right `causal_mask` when Tq == Tk.
                Cheaper than the same mask as a tensor.
        """
        has_keys = None
        if mask is not None:
            batch, query_steps, heads = ops.shape(query)[:3]
            mask = ops.broadcast_to(mask, (batch, heads, query_steps, ops.shape(key)[1]))
            # A query with no key to attend must output zeros (as `attend` does); let it
            # attend everything inside the kernel, where a fully masked row gives NaN
            # on some backends, and zero it afterwards.
            has_keys = ops.any(mask, axis=-1, keepdims=True)
            mask = ops.logical_or(mask, ops.logical_not(has_keys))
        output = ops.dot_product_attention(query, key, value, mask=mask, is_causal=is_causal)
        if has_keys is not None:
            output = ops.where(ops.swapaxes(has_keys, 1, 2), output, ops.zeros_like(output))
        return output

    def attend(self, query, key, value, mask=None, training=None):
        """Output and weights for an already merged boolean `mask` (or `None`)."""
        depth = query.shape[-1]
        depth = ops.cast(ops.shape(query)[-1], "float32") if depth is None else depth
        # Scale the query rather than the logits: same result, smaller tensor, and
        # float16 logits stay in range.
        query = query * ops.cast(1.0 / ops.sqrt(ops.cast(depth, "float32")), query.dtype)
        scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
        weights, has_keys = softmax_over_keys(scores, mask)
        weights = ops.cast(weights, self.compute_dtype)
        output = ops.matmul(self._weights_dropout(weights, training=training), value)
        if has_keys is not None:
            # A query with no key gets zero weights and a zero output. (Unused weights
            # cost nothing in a traced graph, which prunes them.)
            output = ops.where(has_keys, output, ops.zeros_like(output))
            weights = ops.where(has_keys, weights, ops.zeros_like(weights))
        return output, weights

    @staticmethod
    def _causal_mask(query, key):
        return causal_mask(ops.shape(query)[-2], ops.shape(key)[-2])

    def get_config(self):
        config = super().get_config()
        config.update({"dropout": self.dropout})
        return config
