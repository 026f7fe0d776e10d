"""Multi-head attention (Vaswani et al., 2017, §3.2.2)."""

import keras
from keras import ops

from keras_attn.layers import checks
from keras_attn.layers.initializers import clone_initializer
from keras_attn.layers.masking import kernel_causal
from keras_attn.layers.masking import merge_masks
from keras_attn.layers.masking import sequence_mask_to_rows_and_columns
from keras_attn.layers.scaled_dot_product import ScaledDotProductAttention


@keras.saving.register_keras_serializable(package="keras_attn")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention: H scaled dot-product attentions on learned projections.

        MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W^O
        head_h = Attention(Q W^Q_h, K W^K_h, V W^V_h)         (Vaswani et al. 2017)

    Each head attends in its own `key_dim`-sized subspace, so different heads can
    follow different relations at the cost of one full-size attention.

    The weights have the layout of `keras.layers.MultiHeadAttention`, in the same
    order: query, key and value kernels `[D, H, head_dim]` each followed by its bias
    `[H, head_dim]`, then the output kernel `[H, value_dim, D_out]` and bias
    `[D_out]`. So `set_weights(keras_mha.get_weights())` gives the same outputs.

    Args:
        num_heads: number of heads H.
        key_dim: size of each head's queries and keys.
        value_dim: size of each head's values; defaults to `key_dim`.
        output_dim: size of the output; defaults to the query's feature size.
        dropout: dropout rate on the attention weights during training.
        use_bias: whether the projections have biases.
        kernel_initializer: initializer of the four kernels; each kernel gets its
            own copy, with keras' fan axes (so the spread matches keras' layer).
        bias_initializer: initializer of the four biases (one copy each).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[B, Tq, Dq]`.
        value: `[B, Tv, Dv]`.
        key: `[B, Tv, Dk]`; defaults to `value`.
        query_mask: `[B, Tq]`; a padded query gets zero weights (its output is the
            output bias).
        value_mask: `[B, Tv]`; Keras fills both from the inputs' masks.
        attention_mask: boolean, True where query i may attend key j: `[Tq, Tv]`,
            `[B, Tq, Tv]` or per head `[B, H, Tq, Tv]` (as keras' layer takes it).
        use_causal_mask: query `i` sees keys `j <= i + (Tv - Tq)` (bottom-right).
        return_attention_scores: also return the weights `[B, H, Tq, Tv]`.
        training: whether dropout is active.
        key_mask: `[B, Tv]`, combined with `value_mask`.

    Returns:
        `[B, Tq, output_dim or Dq]`, or `(output, weights)`.

    Example:

    >>> import numpy as np
    >>> attention = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> target = np.random.rand(2, 3, 8).astype("float32")
    >>> source = np.random.rand(2, 5, 6).astype("float32")
    >>> out, weights = attention(target, source, return_attention_scores=True)
    >>> tuple(out.shape), tuple(weights.shape)
    ((2, 3, 8), (2, 2, 3, 5))
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        output_dim=None,
        dropout=0.0,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_positive_int(self, "num_heads", num_heads)
        checks.check_positive_int(self, "key_dim", key_dim)
        checks.check_positive_int(self, "value_dim", value_dim, allow_none=True)
        checks.check_positive_int(self, "output_dim", output_dim, allow_none=True)
        checks.check_argument(self, "dropout", dropout, 0.0 <= dropout < 1.0, "a float in [0, 1)")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.output_dim = output_dim
        self.dropout = dropout
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.supports_masking = True
        self.attention = ScaledDotProductAttention(dropout=dropout, dtype=self.dtype_policy, name="attention")

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self.check_shapes(query_shape, value_shape, key_shape)
        for argument, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            checks.check_known_size(self, argument, shape)
        heads = self.num_heads
        out_dim = self.output_dim or query_shape[-1]
        self.query_kernel, self.query_bias = self._add_projection("query", (query_shape[-1], heads, self.key_dim))
        self.key_kernel, self.key_bias = self._add_projection("key", (key_shape[-1], heads, self.key_dim))
        self.value_kernel, self.value_bias = self._add_projection("value", (value_shape[-1], heads, self.value_dim))
        self.output_kernel, self.output_bias = self._add_projection("output", (heads, self.value_dim, out_dim))
        self.built = True

    def _add_projection(self, name, kernel_shape):
        # Each weight its own initializer, with keras' fan axes: in `[D, H, d]` the
        # model dimension is the fan-in; in the output's `[H, d, D_out]`, D_out the fan-out.
        input_axes, output_axes = ([0, 1], [2]) if name == "output" else ([0], [1, 2])
        initializer = clone_initializer(self.kernel_initializer, input_axes, output_axes)
        kernel = self.add_weight(name=f"{name}_kernel", shape=kernel_shape, initializer=initializer)
        bias = None
        if self.use_bias:
            bias_shape = kernel_shape[-1:] if name == "output" else kernel_shape[1:]
            bias = self.add_weight(name=f"{name}_bias", shape=bias_shape,
                                   initializer=clone_initializer(self.bias_initializer))
        return kernel, bias

    # The three projections and the merge, also used by cached decoding. ---------
    def project_query(self, query):
        """`[B, T, Dq]` → per-head queries `[B, H, T, key_dim]`."""
        return self._split_heads(query, self.query_kernel, self.query_bias)

    def project_key(self, key):
        """`[B, T, Dk]` → per-head keys `[B, H, T, key_dim]`."""
        return self._split_heads(key, self.key_kernel, self.key_bias)

    def project_value(self, value):
        """`[B, T, Dv]` → per-head values `[B, H, T, value_dim]`."""
        return self._split_heads(value, self.value_kernel, self.value_bias)

    def merge_heads(self, heads):
        """Per-head outputs `[B, H, T, value_dim]` → `[B, T, D_out]` (the W^O step)."""
        output = ops.einsum("bhtv,hvo->bto", heads, self.output_kernel)
        return output if self.output_bias is None else output + self.output_bias

    @staticmethod
    def _split_heads(inputs, kernel, bias):
        projected = ops.einsum("btd,dhk->bhtk", inputs, kernel)
        return projected if bias is None else projected + ops.expand_dims(bias, 1)

    @staticmethod
    def _heads_last(inputs, kernel, bias):
        # `[B, T, H, d]`: the fused kernel's layout, so no transpose on the way in.
        projected = ops.einsum("btd,dhk->bthk", inputs, kernel)
        return projected if bias is None else projected + bias

    def attend_fused(self, query, key, value, mask, use_causal_mask):
        """The output without weights, heads kept in the fused kernel's `[B, T, H, d]`
        layout from the projections to W^O; a plain causal mask is the kernel's flag."""
        mask, is_causal = kernel_causal(mask, use_causal_mask, ops.shape(query)[1], ops.shape(key)[1])
        heads = self.attention.attend_heads_last(
            self._heads_last(query, self.query_kernel, self.query_bias),
            self._heads_last(key, self.key_kernel, self.key_bias),
            self._heads_last(value, self.value_kernel, self.value_bias),
            mask, is_causal,
        )
        output = ops.einsum("bthv,hvo->bto", heads, self.output_kernel)
        return output if self.output_bias is None else output + self.output_bias

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        attention_mask=None,
        use_causal_mask=False,
        return_attention_scores=False,
        training=None,
        key_mask=None,
    ):
        key = value if key is None else key
        padding = sequence_mask_to_rows_and_columns(query_mask, merge_masks(value_mask, key_mask))
        mask = merge_masks(
            self.heads_mask(attention_mask, ops.shape(query)[1], ops.shape(key)[1]),
            None if padding is None else ops.expand_dims(padding, 1),  # one mask for every head
        )
        if not return_attention_scores and self.attention.fuses(training, self.key_dim, self.value_dim):
            return self.attend_fused(query, key, value, mask, use_causal_mask)
        attended = self.attention(
            self.project_query(query),
            self.project_key(key),
            self.project_value(value),
            mask=mask,
            use_causal_mask=use_causal_mask,
            return_attention_scores=return_attention_scores,
            training=training,
        )
        if return_attention_scores:
            heads, weights = attended
            return self.merge_heads(heads), weights
        return self.merge_heads(attended)

    def heads_mask(self, attention_mask, query_length, key_length):
        """`attention_mask` as a mask broadcastable to the weights `[B, H, Tq, Tk]`.

        Accepts what `keras.layers.MultiHeadAttention` accepts, broadcast as keras
        does: `[Tq, Tk]` (every example and head), `[B, Tq, Tk]` (every head) or
        `[B, H, Tq, Tk]` (per head); missing axes are inserted before `Tq`.
        """
        if attention_mask is None:
            return None
        shape = tuple(attention_mask.shape)
        if len(shape) not in (2, 3, 4) or any(
            isinstance(seen, int) and isinstance(expected, int) and seen not in (1, expected)
            for seen, expected in zip(shape[-2:], (query_length, key_length))
        ):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `attention_mask` must have shape [Tq, Tk], [B, Tq, Tk] "
                f"or [B, H, Tq, Tk] with Tq={query_length} and Tk={key_length}, got shape {shape}."
            )
        mask = ops.cast(attention_mask, "bool")
        for _ in range(4 - len(shape)):
            mask = ops.expand_dims(mask, -3)
        return mask

    def check_shapes(self, query_shape, value_shape, key_shape):
        """`ValueError`s for inputs the layer cannot take, before any computation.

        Key and value must agree on every axis but the features (keras' rule, checked
        first); all three inputs must be `[B, T, D]`.
        """
        value_shape, key_shape = tuple(value_shape), tuple(key_shape)
        if not _same_sizes(value_shape[:-1], key_shape[:-1]):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': every axis of `key` and `value` but the last must be "
                f"equal, got `key` shape {key_shape} and `value` shape {value_shape}."
            )
        for argument, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            checks.check_rank(self, argument, shape, (3,))

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        """`[B, Tq, output_dim or Dq]`, after `check_shapes`."""
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.check_shapes(query_shape, value_shape, key_shape)
        return query_shape[:-1] + (self.output_dim or query_shape[-1],)

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False, **kwargs):
        output_shape = self.compute_output_shape(query.shape, value.shape, None if key is None else key.shape)
        output = keras.KerasTensor(output_shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        key_steps = (value if key is None else key).shape[1]
        weights_shape = (query.shape[0], self.num_heads, query.shape[1], key_steps)
        return output, keras.KerasTensor(weights_shape, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "output_dim": self.output_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_attn")
class MultiHeadSelfAttention(MultiHeadAttention):
    """Multi-head attention of a sequence over itself (queries = keys = values).

    The encoder's and decoder's self-attention sublayers in the Transformer; with
    `use_causal_mask=True`, position i attends only positions ≤ i (the decoder's
    "masked" self-attention).

    Args: those of `MultiHeadAttention`.

    Call arguments:
        inputs: `[B, T, D]`.
        mask: padding mask `[B, T]`; Keras fills it from the input's mask.
        use_causal_mask: position i sees positions j ≤ i.
        return_attention_scores: also return the weights `[B, H, T, T]`.
        training: whether dropout is active.

    Example:

    >>> import numpy as np
    >>> attention = MultiHeadSelfAttention(num_heads=2, key_dim=4)
    >>> x = np.random.rand(2, 5, 8).astype("float32")
    >>> tuple(attention(x, use_causal_mask=True).shape)
    (2, 5, 8)
    """

    def build(self, inputs_shape):
        super().build(inputs_shape, inputs_shape)

    def compute_output_shape(self, inputs_shape, value_shape=None, key_shape=None):
        # `value_shape` and `key_shape`: what the parent's `compute_output_spec` passes.
        return super().compute_output_shape(inputs_shape, inputs_shape)

    def compute_output_spec(self, inputs, return_attention_scores=False, **kwargs):
        return super().compute_output_spec(inputs, inputs, return_attention_scores=return_attention_scores)

    def call(
        self,
        inputs,
        mask=None,
        use_causal_mask=False,
        return_attention_scores=False,
        training=None,
    ):
        return super().call(
            inputs,
            inputs,
            query_mask=mask,
            value_mask=mask,
            use_causal_mask=use_causal_mask,
            return_attention_scores=return_attention_scores,
            training=training,
        )


def _same_sizes(first, second):
    """Whether two shapes agree, unknown sizes (`None`) agreeing with anything."""
    return len(first) == len(second) and all(a is None or b is None or a == b for a, b in zip(first, second))
