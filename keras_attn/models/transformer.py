"""`Transformer`: the encoder-decoder of "Attention Is All You Need" (Vaswani et al., 2017)."""

import keras
from keras import ops

from keras_attn.layers import PositionalEncoding
from keras_attn.layers import TokenEmbedding
from keras_attn.layers import TransformerDecoderBlock
from keras_attn.layers import TransformerEncoderBlock
from keras_attn.layers import checks
from keras_attn.layers import positional_encoding
from keras_attn.models.generative_model import GenerativeModel
from keras_attn.models.transformer_base import TRANSFORMER_TRAINING_POLICY
from keras_attn.models.transformer_base import TransformerBase
from keras_attn.models.transformer_base import check_transformer_arguments
from keras_attn.models.transformer_base import mean_over_heads
from keras_attn.models.transformer_base import write_tokens


@keras.saving.register_keras_serializable(package="keras_attn")
class Transformer(TransformerBase, GenerativeModel, keras.Model):
    """The encoder-decoder Transformer as a functional model, with the one-step contract.

    Inputs `{"source": int32 [B, Ts], "target_in": int32 [B, Tt]}` (0 = padding),
    output float32 logits `[B, Tt, target_vocab_size]` (teacher forcing); also
    built by `keras_attn.models.transformer(...)`.

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes (id 0 is padding).
        num_layers: encoder and decoder layers N (6 in the paper).
        d_model: model size (512 base, 1024 big); must divide by `num_heads`.
        num_heads: attention heads H (8 base, 16 big); each has d_model / H dimensions.
        d_ff: inner size of the feed-forward networks (2048 base, 4096 big).
        dropout: residual and embedding dropout P_drop (0.1 base, 0.3 big EN-DE).
        attention_dropout: dropout on the attention weights (0 in the paper).
        activation: feed-forward activation, `"relu"` (paper) or e.g. `"gelu"`.
        norm_first: pre-norm residual blocks (plus a final layer norm) instead of
            the paper's post-norm.
        layer_norm_epsilon: epsilon of every layer norm.
        max_wavelength: base of the sinusoidal positional encoding.
        source_positions: how the encoder counts positions: `"start"` (the paper)
            or `"both_ends"`, each source position's index and its distance from
            the source's end in two halves of the encoding (`PositionalEncoding`'s
            `count_from`). The decoder counts from the start, as it generates.
        share_embeddings: one embedding matrix for source and target (needs equal
            vocabulary sizes; the paper shares a joint BPE vocabulary).
        tie_output_embedding: the pre-softmax projection is the target embedding
            transposed (§3.4); otherwise a separate dense layer with bias.
        **kwargs: `keras.Model` arguments (`name`).

    Decoding: `initial_state(source_ids, max_length=None)` encodes the source once,
    projects the memory's keys/values for every decoder layer and preallocates a
    self-attention cache of `max_length` positions (default: source length + 50);
    `step(token_ids [B], state, index)` returns `(logits [B, V] float32, state,
    attention [B, Ts] float32)`, the attention being the last decoder layer's
    cross-attention averaged over heads. Decode at most `max_length` tokens with a
    state (`generate` does it for you).

    Training defaults (`training_policy`, Vaswani et al. 2017, §5.3–5.4): Adam(0.9,
    0.98, 1e-9) with the warm-up schedule (`learning_rate=None`) or a fixed rate,
    label smoothing 0.1, and XLA only on an accelerator: on these CPUs it slows a
    Transformer's step (a few large matmuls already) to 0.93× (docs/performance.md).

    Example:

    >>> model = Transformer(100, 120, num_layers=2, d_model=32, num_heads=4, d_ff=64)
    >>> model.output_shape
    (None, None, 120)
    >>> model.generate([[5, 6, 2]], max_length=4)["tokens"].shape
    TensorShape([1, 4])
    """

    training_policy = TRANSFORMER_TRAINING_POLICY

    def __init__(self, source_vocab_size, target_vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048,
                 dropout=0.1, attention_dropout=0.0, activation="relu", norm_first=False, share_embeddings=False,
                 tie_output_embedding=False, layer_norm_epsilon=1e-6, max_wavelength=10000, source_positions="start",
                 **kwargs):
        check_transformer_arguments("transformer", (("source_vocab_size", source_vocab_size),
                                                    ("target_vocab_size", target_vocab_size)),
                                    num_layers, d_model, num_heads, d_ff, dropout, attention_dropout)
        checks.check_argument(
            "transformer", "share_embeddings", share_embeddings,
            not share_embeddings or source_vocab_size == target_vocab_size,
            f"False when source_vocab_size ({source_vocab_size}) != target_vocab_size ({target_vocab_size})",
        )
        checks.check_argument("transformer", "source_positions", source_positions,
                               source_positions in positional_encoding.COUNT_FROM,
                               f"one of {positional_encoding.COUNT_FROM}")
        # === Layers === (attributes before `super().__init__`: `_encode`, `_decode`
        # and `step` serve both the functional graph and step-by-step decoding)
        self.build_shared_layers(num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                                 norm_first, layer_norm_epsilon, max_wavelength)
        self.share_embeddings = bool(share_embeddings)
        self.tie_output_embedding = bool(tie_output_embedding)
        self.source_positions = source_positions
        self.source_positional_encoding = PositionalEncoding(max_wavelength, count_from=source_positions,
                                                             name="source_positional_encoding")
        self.source_embedding = TokenEmbedding(source_vocab_size, d_model, name="source_embedding")
        self.target_embedding = (
            self.source_embedding if share_embeddings
            else TokenEmbedding(target_vocab_size, d_model, name="target_embedding")
        )
        self.encoder_blocks = [
            TransformerEncoderBlock(num_heads, d_ff, name=f"encoder_block_{i}", **self.block_config)
            for i in range(num_layers)
        ]
        self.decoder_blocks = [
            TransformerDecoderBlock(num_heads, d_ff, name=f"decoder_block_{i}", **self.block_config)
            for i in range(num_layers)
        ]
        self.encoder_norm = self.final_norm("encoder_norm")
        self.decoder_norm = self.final_norm("decoder_norm")
        self.output_projection = (
            None if tie_output_embedding else keras.layers.Dense(target_vocab_size, dtype="float32", name="logits")
        )

        # === Functional model ===
        source = keras.Input((None,), dtype="int32", name="source")
        target_in = keras.Input((None,), dtype="int32", name="target_in")
        memory, memory_mask, _ = self._encode(source)
        hidden, _ = self._decode(target_in, memory, memory_mask)
        logits = self._logits(hidden)
        super().__init__(inputs={"source": source, "target_in": target_in}, outputs=logits, **kwargs)

        # === Config ===
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size

    # Stacks ----------------------------------------------------------------------
    def _encode(self, source_ids, training=None, return_scores=False):
        memory_mask = ops.not_equal(source_ids, 0)
        x = self.embed(self.source_embedding, source_ids, training, self.source_positional_encoding, memory_mask)
        memory, scores = self.run_stack(
            self.encoder_blocks, self.encoder_norm, x, return_scores, mask=memory_mask, training=training
        )
        return memory, memory_mask, scores

    def _decode(self, target_ids, memory, memory_mask, training=None, return_scores=False):
        x = self.embed(self.target_embedding, target_ids, training)
        return self.run_stack(
            self.decoder_blocks, self.decoder_norm, x, return_scores,
            memory=memory, memory_mask=memory_mask, training=training,
        )

    def _logits(self, hidden):
        if self.output_projection is None:
            return self.target_embedding(hidden, reverse=True)
        return self.output_projection(hidden)

    # Inspection --------------------------------------------------------------------
    def attention_weights(self, inputs):
        """Per-layer, per-head attention weights for teacher-forced `inputs`.

        Args:
            inputs: `{"source": int [B, Ts], "target_in": int [B, Tt]}`.

        Returns:
            A dict of lists (one entry per layer, first layer first):
            `"encoder_self"` `[B, H, Ts, Ts]`, `"decoder_self"` `[B, H, Tt, Tt]`
            and `"cross"` `[B, H, Tt, Ts]`, float tensors; plot one example's layer
            with `keras_attn.viz.multi_head_heatmaps(weights[layer][b], ...)`.
        """
        source = ops.convert_to_tensor(inputs["source"], "int32")
        target_in = ops.convert_to_tensor(inputs["target_in"], "int32")
        memory, memory_mask, encoder_scores = self._encode(source, training=False, return_scores=True)
        _, decoder_scores = self._decode(target_in, memory, memory_mask, training=False, return_scores=True)
        return {
            "encoder_self": encoder_scores,
            "decoder_self": [scores["self"] for scores in decoder_scores],
            "cross": [scores["cross"] for scores in decoder_scores],
        }

    # The one-step contract -----------------------------------------------------------
    def initial_state(self, source_ids, max_length=None, use_cache=True):
        """Encodes `source_ids [B, Ts]` once and prepares decoding of ≤ `max_length` tokens.

        Args:
            source_ids: int `[B, Ts]`, 0-padded.
            max_length: the number of target positions the state can hold (the KV
                cache size); default source length + 50. Do not decode longer.
            use_cache: `False` gives the uncached reference: the state keeps the
                target prefix and every step re-runs the decoder on all of it.

        Returns:
            A dict whose leaves all have the batch first: `memory_mask [B, Ts]`,
            and per decoder layer `self_key`/`self_value` `[B, H, L, d_head]` (zeros
            to fill) and `cross_key`/`cross_value` `[B, H, Ts, d_head]`.
        """
        source_ids = ops.convert_to_tensor(source_ids, "int32")
        memory, memory_mask, _ = self._encode(source_ids, training=False)
        cache_size = self.default_max_length(source_ids) if max_length is None else max_length
        batch_size = ops.shape(source_ids)[0]
        if not use_cache:
            return {"memory": memory, "memory_mask": memory_mask,
                    "target": ops.zeros((batch_size, cache_size), "int32")}
        return {
            "memory_mask": memory_mask,
            "layers": [block.empty_cache(batch_size, cache_size, memory) for block in self.decoder_blocks],
        }

    def step(self, token_ids, state, index):
        """One decoder position for `token_ids [B]` at target position `index`.

        Returns `(logits [B, V] float32, state, attention [B, Ts] float32)`; the
        attention is the last decoder layer's cross-attention averaged over heads.
        """
        token_ids = ops.convert_to_tensor(token_ids, "int32")
        positions = ops.zeros_like(token_ids) + ops.cast(index, "int32")
        if "target" in state:
            return self._uncached_step(token_ids, state, positions)
        x = self.embed_positions(self.target_embedding, token_ids, positions)
        caches = []
        for block, cache in zip(self.decoder_blocks, state["layers"]):
            x, cache, cross = block.step(x, cache, positions, state["memory_mask"])
            caches.append(cache)
        if self.decoder_norm is not None:
            x = self.decoder_norm(x)
        logits = self._logits(x)[:, 0]
        return logits, {"memory_mask": state["memory_mask"], "layers": caches}, mean_over_heads(cross)

    def _uncached_step(self, token_ids, state, positions):
        target = write_tokens(state["target"], positions, token_ids)
        prefix = ops.slice(target, (0, 0), (ops.shape(target)[0], positions[0] + 1))
        hidden, scores = self._decode(prefix, state["memory"], state["memory_mask"], training=False,
                                      return_scores=True)
        logits = self._logits(hidden[:, -1:])[:, 0]
        return logits, dict(state, target=target), mean_over_heads(scores[-1]["cross"])

    def decode(self, source_ids, max_length=None, beam_size=1, length_penalty=0.6, use_cache=True):
        """Greedy (`beam_size=1`) or beam-search decoding of `source_ids [B, Ts]`.

        `generate` with the strategy chosen by `beam_size` (kept for earlier code).
        """
        strategy = "greedy" if beam_size == 1 else "beam"
        return self.generate(source_ids, max_length=max_length, strategy=strategy, beam_size=beam_size,
                             length_penalty=length_penalty, use_cache=use_cache)

    def get_config(self):
        return {
            **self.shared_config(),
            "source_vocab_size": self.source_vocab_size,
            "target_vocab_size": self.target_vocab_size,
            "share_embeddings": self.share_embeddings,
            "tie_output_embedding": self.tie_output_embedding,
            "source_positions": self.source_positions,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def transformer(source_vocab_size, target_vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                attention_dropout=0.0, activation="relu", norm_first=False, share_embeddings=False,
                tie_output_embedding=False, layer_norm_epsilon=1e-6, max_wavelength=10000, source_positions="start",
                name="transformer"):
    """Builds a `Transformer` (the arguments are documented on the class)."""
    return Transformer(**locals())
