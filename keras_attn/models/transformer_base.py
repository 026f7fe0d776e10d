"""What the Transformer family shares (Vaswani et al., 2017): checks, embedding, stacks, decoding helpers.

The three models (`Transformer`, `TransformerEncoder`, `TransformerDecoderLM`, one
module each) are functional `keras.Model`s built from keras_attn's own layers
(`TransformerEncoderBlock`, `TransformerDecoderBlock`, `TokenEmbedding`,
`PositionalEncoding`).

Shared conventions: 0 is padding, 1 start, 2 end, 3 unknown. Embeddings are scaled
by √d_model and summed with the sinusoidal positions; every sublayer has residual
dropout and a layer norm, after the residual (`norm_first=False`, the paper) or
before the sublayer (`norm_first=True`, with a final norm after each stack).

Cached decoding. The decoder's self-attention keys and values are kept in
preallocated `[B, H, L, d_head]` buffers (L = the cache size, fixed when the state
is made; `keras_attn.layers.CachedMultiHeadAttention` owns them); step `index`
projects only the new position, writes its key and value into slot `index` and
attends to slots `0 .. index`. The encoder memory's keys and values are projected
once, in `initial_state`. A step therefore costs one position, not a re-run of the
prefix. `initial_state(..., use_cache=False)` gives the uncached reference (every
step re-runs the decoder on the whole prefix), with the same results.
"""

import keras
from keras import ops

from keras_attn.layers import PositionalEncoding
from keras_attn.layers import checks
from keras_attn.models.training_policy import TrainingPolicy

START_ID = 1
# Vaswani et al. 2017, §5.3–5.4; a fixed `learning_rate` replaces the schedule.
TRANSFORMER_TRAINING_POLICY = TrainingPolicy(learning_rate=None, beta_2=0.98, epsilon=1e-9, label_smoothing=0.1,
                                             xla_on_cpu=False)


def check_transformer_arguments(builder, vocab_sizes, num_layers, d_model, num_heads, d_ff, dropout,
                                attention_dropout):
    """Raises `ValueError` for a bad size or rate of a Transformer-family model, naming `builder`."""
    for argument, value in (*vocab_sizes, ("num_layers", num_layers), ("d_model", d_model),
                            ("num_heads", num_heads), ("d_ff", d_ff)):
        checks.check_positive_int(builder, argument, value)
    checks.check_argument(builder, "d_model", d_model, d_model % num_heads == 0,
                          f"divisible by num_heads={num_heads}")
    for argument, value in (("dropout", dropout), ("attention_dropout", attention_dropout)):
        checks.check_rate(builder, argument, value)


class TransformerBase:
    """What the three Transformer models share: embedding with positions, block stacks, config.

    A mixin placed before `keras.Model`. `build_shared_layers` sets the sizes and
    makes the positional encoding and the embedding dropout; `embed` is §3.4–3.5
    (scaled embeddings plus sinusoidal positions, with dropout), `run_stack` a stack
    of blocks closed by the final norm of a pre-norm model.
    """

    def build_shared_layers(self, num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                            norm_first, layer_norm_epsilon, max_wavelength):
        self.num_layers = num_layers
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_ff = d_ff
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = activation
        self.norm_first = bool(norm_first)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.max_wavelength = max_wavelength
        self.block_config = dict(
            dropout=dropout, attention_dropout=attention_dropout, activation=activation, norm_first=norm_first,
            layer_norm_epsilon=layer_norm_epsilon,
        )
        self.positional_encoding = PositionalEncoding(max_wavelength, name="positional_encoding")
        self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")

    def final_norm(self, name):
        """The layer norm closing a pre-norm stack, or `None` for post-norm."""
        # Pre-norm leaves the residual stream unnormalised: one norm closes each stack.
        if not self.norm_first:
            return None
        return keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon, name=name)

    def embed(self, embedding, token_ids, training=None, positional_encoding=None, mask=None):
        """Scaled embeddings + positions, with dropout (§3.4, §3.5, §5.4).

        The positions are the shared `positional_encoding`'s (0..T-1) unless another
        is given; `mask` (`[B, T]`, True at real tokens) is passed to it.
        """
        positional_encoding = self.positional_encoding if positional_encoding is None else positional_encoding
        return self.embedding_dropout(positional_encoding(embedding(token_ids), mask=mask), training=training)

    def embed_positions(self, embedding, token_ids, positions):
        """`[B]` tokens at per-row `positions [B]` → `[B, 1, d_model]` (cached decoding)."""
        embedded = embedding(ops.expand_dims(token_ids, 1))
        table = self.positional_encoding.encoding_at(ops.expand_dims(positions, 1), self.d_model)
        return embedded + ops.cast(table, embedded.dtype)

    @staticmethod
    def run_stack(blocks, norm, x, return_scores, **kwargs):
        """`x` through `blocks` (then `norm`); returns `(x, per-block attention scores or [])`."""
        scores = []
        for block in blocks:
            if return_scores:
                x, weights = block(x, return_attention_scores=True, **kwargs)
                scores.append(weights)
            else:
                x = block(x, **kwargs)
        if norm is not None:
            x = norm(x)
        return x, scores

    def shared_config(self):
        """The `get_config` entries every Transformer model has."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_layers": self.num_layers,
            "d_model": self.d_model,
            "num_heads": self.num_heads,
            "d_ff": self.d_ff,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "activation": self.activation,
            "norm_first": self.norm_first,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "max_wavelength": self.max_wavelength,
        }


def write_tokens(tokens, positions, token_ids):
    """`tokens [B, L]` with `tokens[b, positions[b]] = token_ids[b]` (the uncached prefix)."""
    rows = ops.cast(ops.arange(ops.shape(tokens)[0]), "int32")
    indices = ops.stack([rows, ops.cast(positions, "int32")], axis=1)
    return ops.scatter_update(tokens, indices, ops.cast(token_ids, "int32"))


def mean_over_heads(weights):
    """`[B, H, 1, Ts]` → float32 `[B, Ts]`: the step attention of the contract."""
    return ops.cast(ops.mean(weights[:, :, -1, :], axis=1), "float32")
