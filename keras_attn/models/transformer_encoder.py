"""`TransformerEncoder`: the encoder half of the Transformer on its own (BERT-like)."""

import keras
from keras import ops

from keras_attn.layers import TokenEmbedding
from keras_attn.layers import TransformerEncoderBlock
from keras_attn.models.transformer_base import TransformerBase
from keras_attn.models.transformer_base import check_transformer_arguments


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerEncoder(TransformerBase, keras.Model):
    """Encoder-only Transformer (BERT-like) as a functional model.

    Input int32 `[B, T]` token ids (0 = padding), output the contextual states
    `[B, T, d_model]`; padded positions attend to nothing and are ignored by the
    others. Add a task head on top (a classifier on the first token's or the
    mean-pooled states, or `TokenEmbedding(..., reverse=True)` logits for masked
    tokens). Also built by `keras_attn.models.transformer_encoder(...)`.

    Args:
        vocab_size: vocabulary size (id 0 is padding).
        num_layers: layers N (6 in the paper).
        d_model: model size; must divide by `num_heads`.
        num_heads: attention heads H; each has d_model / H dimensions.
        d_ff: inner size of the feed-forward networks.
        dropout: residual and embedding dropout.
        attention_dropout: dropout on the attention weights.
        activation: feed-forward activation, `"relu"` or e.g. `"gelu"`.
        norm_first: pre-norm residual blocks (plus a final layer norm) instead of
            post-norm.
        layer_norm_epsilon: epsilon of every layer norm.
        max_wavelength: base of the sinusoidal positional encoding.
        **kwargs: `keras.Model` arguments (`name`).

    Example:

    >>> encoder = TransformerEncoder(100, num_layers=2, d_model=32, num_heads=4, d_ff=64)
    >>> encoder.output_shape
    (None, None, 32)
    """

    def __init__(self, vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                 attention_dropout=0.0, activation="relu", norm_first=False, layer_norm_epsilon=1e-6,
                 max_wavelength=10000, **kwargs):
        check_transformer_arguments("transformer_encoder", (("vocab_size", vocab_size),), num_layers, d_model,
                                    num_heads, d_ff, dropout, attention_dropout)
        self.build_shared_layers(num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                                 norm_first, layer_norm_epsilon, max_wavelength)
        self.token_embedding = TokenEmbedding(vocab_size, d_model, name="token_embedding")
        self.encoder_blocks = [
            TransformerEncoderBlock(num_heads, d_ff, name=f"encoder_block_{i}", **self.block_config)
            for i in range(num_layers)
        ]
        self.encoder_norm = self.final_norm("encoder_norm")

        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        states, _ = self._encode(token_ids)
        super().__init__(inputs=token_ids, outputs=states, **kwargs)
        self.vocab_size = vocab_size

    def _encode(self, token_ids, training=None, return_scores=False):
        x = self.embed(self.token_embedding, token_ids, training)
        return self.run_stack(self.encoder_blocks, self.encoder_norm, x, return_scores,
                               mask=ops.not_equal(token_ids, 0), training=training)

    def attention_weights(self, token_ids):
        """`{"encoder_self": [per layer [B, H, T, T]]}` for `token_ids [B, T]`."""
        _, scores = self._encode(ops.convert_to_tensor(token_ids, "int32"), training=False, return_scores=True)
        return {"encoder_self": scores}

    def get_config(self):
        return {**self.shared_config(), "vocab_size": self.vocab_size}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def transformer_encoder(vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                        attention_dropout=0.0, activation="relu", norm_first=False, layer_norm_epsilon=1e-6,
                        max_wavelength=10000, name="transformer_encoder"):
    """Builds a `TransformerEncoder` (the arguments are documented on the class)."""
    return TransformerEncoder(**locals())
