"""The Transformer's token embedding (Vaswani et al., 2017, §3.4)."""

import math

import keras
from keras import ops

from keras_attn.layers import checks


@keras.saving.register_keras_serializable(package="keras_attn")
class TokenEmbedding(keras.layers.Layer):
    """Token embedding scaled by √d_model, reusable as the pre-softmax projection.

        embed(ids) = E[ids] · √d_model          (Vaswani et al. 2017, §3.4)
        logits(h)  = h Eᵀ                        (with `reverse=True`)

    The paper shares one matrix E between the source and target embeddings and the
    pre-softmax linear layer (Press & Wolf 2017). E starts as N(0, d_model^-1), so
    the scaled embedding has unit variance, the same scale as the positional signal.
    The logits are float32 whatever the dtype policy, so the softmax and the loss
    that follow run in float32 under mixed precision.

    Args:
        vocab_size: number of token ids.
        d_model: embedding size.
        embeddings_initializer: initializer of E (default N(0, d_model^-0.5²)).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: int ids `[B, T]` (or `[B, T, d_model]` states with `reverse=True`).
        reverse: project states onto the vocabulary (`h Eᵀ`) instead of embedding.

    Returns:
        `[B, T, d_model]` embeddings in the compute dtype, or float32 logits
        `[B, T, vocab_size]`.

    Example:

    >>> import numpy as np
    >>> embedding = TokenEmbedding(10, 4)
    >>> states = embedding(np.array([[1, 2, 0]]))
    >>> tuple(states.shape), tuple(embedding(states, reverse=True).shape)
    ((1, 3, 4), (1, 3, 10))
    """

    def __init__(self, vocab_size, d_model, embeddings_initializer=None, **kwargs):
        super().__init__(**kwargs)
        checks.check_positive_int(self, "vocab_size", vocab_size)
        checks.check_positive_int(self, "d_model", d_model)
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
