"""One Transformer encoder layer (Vaswani et al., 2017, §3.1)."""

import keras

from keras_attn.layers.multi_head import MultiHeadSelfAttention
from keras_attn.layers.residual_block import ResidualBlock


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerEncoderBlock(ResidualBlock):
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
        head_dim = self._check_inputs(inputs_shape)
        self.self_attention = MultiHeadSelfAttention(
            self.num_heads, head_dim, dropout=self.attention_dropout, dtype=self.dtype_policy, name="self_attention"
        )
        self.self_attention.build(inputs_shape)
        self.self_attention_norm.build(inputs_shape)
        self._build_feed_forward(inputs_shape)
        self.built = True

    def call(self, inputs, mask=None, training=None, return_attention_scores=False):
        scores = {}
        attend = lambda x: self._attend(self.self_attention, scores, "self", return_attention_scores, x, mask=mask,
                                        training=training)
        x = self._residual(inputs, attend, self.self_attention_norm, training)
        x = self._feed_forward_residual(x, training)
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
