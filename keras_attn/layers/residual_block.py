"""The residual sublayer connection shared by the Transformer's blocks (Vaswani et al., 2017, §3.1)."""

import keras

from keras_attn.layers import checks
from keras_attn.layers.feed_forward import FeedForward


class ResidualBlock(keras.layers.Layer):
    """Base class of `TransformerEncoderBlock` and `TransformerDecoderBlock`.

    Holds what both block kinds share: the constructor checks, the feed-forward
    sublayer with its norm, and the residual connection around every sublayer:

        post-norm:  x = LayerNorm(x + Dropout(Sublayer(x)))      (the paper, §5.4)
        pre-norm:   x = x + Dropout(Sublayer(LayerNorm(x)))      (Xiong et al. 2020)

    Pre-norm trains deep stacks without warm-up; it then needs a final norm after
    the stack (the models add it). Subclasses build their attention sublayers and
    define `call`; this class is not registered for serialization on its own.

    Args:
        num_heads: attention heads H; d_model (the input size) must divide by H.
        d_ff: inner size of the feed-forward network.
        dropout: residual dropout rate on every sublayer output.
        attention_dropout: dropout rate on the attention weights.
        activation: the feed-forward activation.
        norm_first: pre-norm instead of the paper's post-norm.
        layer_norm_epsilon: epsilon of the layer norms.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    def __init__(self, num_heads, d_ff, dropout=0.1, attention_dropout=0.0, activation="relu",
                 norm_first=False, layer_norm_epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        checks.check_positive_int(self, "num_heads", num_heads)
        checks.check_positive_int(self, "d_ff", d_ff)
        checks.check_rate(self, "dropout", dropout)
        checks.check_rate(self, "attention_dropout", attention_dropout)
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

    def _check_inputs(self, inputs_shape):
        """Checks `inputs_shape` (`[B, T, d_model]`, d_model known); returns the head size."""
        checks.check_rank(self, "inputs", inputs_shape, (3,))
        checks.check_known_size(self, "inputs", inputs_shape)
        return self._head_dim(inputs_shape[-1])

    def _head_dim(self, d_model):
        if d_model % self.num_heads:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': the model size {d_model} must be divisible by "
                f"num_heads={self.num_heads}."
            )
        return d_model // self.num_heads

    def _build_feed_forward(self, inputs_shape):
        self.feed_forward.build(inputs_shape)
        self.feed_forward_norm.build(inputs_shape)

    @staticmethod
    def _attend(attention, scores, key, return_attention_scores, *args, **kwargs):
        """Runs an attention sublayer; stores its weights in `scores[key]` only when asked
        (without them the layer may take a fused kernel that never stores the weights)."""
        if not return_attention_scores:
            return attention(*args, **kwargs)
        output, scores[key] = attention(*args, return_attention_scores=True, **kwargs)
        return output

    def _residual(self, x, sublayer, norm, training):
        """Post-norm `LayerNorm(x + Dropout(Sublayer(x)))` or pre-norm
        `x + Dropout(Sublayer(LayerNorm(x)))` (see the class docstring)."""
        if self.norm_first:
            return x + self.residual_dropout(sublayer(norm(x)), training=training)
        return norm(x + self.residual_dropout(sublayer(x), training=training))

    def _feed_forward_residual(self, x, training):
        return self._residual(x, lambda h: self.feed_forward(h, training=training), self.feed_forward_norm, training)

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
