"""The Transformer family (Vaswani et al., 2017): encoder-decoder, encoder-only, decoder-only.

All three are functional `keras.Model`s built from keras_attn's own
`MultiHeadAttention` / `MultiHeadSelfAttention` and `PositionalEncoding`:

- `transformer(...)`: the encoder-decoder of "Attention Is All You Need"
  (`{"source", "target_in"}` → float32 logits `[B, Tt, V]`), with the one-step
  contract `initial_state` / `step` and a key/value cache for decoding.
- `transformer_encoder(...)`: encoder-only (BERT-like), int32 `[B, T]` →
  `[B, T, d_model]`; task heads go on top.
- `transformer_decoder_lm(...)`: decoder-only causal LM (GPT-like), int32 `[B, T]`
  → float32 logits `[B, T, V]`, with `initial_state(prompt)` / `step` and
  `generate()`.

Shared conventions: 0 is padding, 1 start, 2 end, 3 unknown. Embeddings are scaled
by √d_model and summed with the sinusoidal positions; every sublayer has residual
dropout and a layer norm, after the residual (`norm_first=False`, the paper) or
before the sublayer (`norm_first=True`, with a final norm after each stack).

Cached decoding. The decoder's self-attention keys and values are kept in
preallocated `[B, H, L, d_head]` buffers (L = the cache size, fixed when the state
is made); step `index` projects only the new position, scatters its key and value
into slot `index` and attends to slots `0 .. index` (later slots are masked). The
encoder memory's keys and values are projected once, in `initial_state`. A step
therefore costs one position, not a re-run of the prefix. `initial_state(...,
use_cache=False)` gives the uncached reference (every step re-runs the decoder on
the whole prefix), with the same results.
"""

import keras
from keras import ops

from keras_attn.layers import PositionalEncoding
from keras_attn.layers import checks
from keras_attn.models.transformer_layers import TokenEmbedding
from keras_attn.models.transformer_layers import TransformerDecoderBlock
from keras_attn.models.transformer_layers import TransformerEncoderBlock

START_ID = 1
# Decoding's default budget beyond the source length (the paper's "input length + 50").
EXTRA_LENGTH = 50


# --------------------------------------------------------------------------- #
# Shared pieces
# --------------------------------------------------------------------------- #


def _check_common(builder, vocab_sizes, num_layers, d_model, num_heads, d_ff, dropout, attention_dropout):
    positive = "a positive int"
    for argument, value in (*vocab_sizes, ("num_layers", num_layers), ("d_model", d_model),
                            ("num_heads", num_heads), ("d_ff", d_ff)):
        checks.check_argument(builder, argument, value,
                              isinstance(value, int) and not isinstance(value, bool) and value > 0, positive)
    checks.check_argument(builder, "d_model", d_model, d_model % num_heads == 0,
                          f"divisible by num_heads={num_heads}")
    for argument, value in (("dropout", dropout), ("attention_dropout", attention_dropout)):
        checks.check_argument(builder, argument, value,
                              isinstance(value, (int, float)) and 0.0 <= value < 1.0, "a float in [0, 1)")


class _TransformerMixin:
    """Embedding, block stacks and attention inspection shared by the three models."""

    def _make_shared_layers(self, num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
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

    def _final_norm(self, name):
        # Pre-norm leaves the residual stream unnormalised: one norm closes each stack.
        if not self.norm_first:
            return None
        return keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon, name=name)

    def _embed(self, embedding, token_ids, training=None):
        """Scaled embeddings + positions 0..T-1, with dropout (§3.4, §3.5, §5.4)."""
        return self.embedding_dropout(self.positional_encoding(embedding(token_ids)), training=training)

    def _embed_positions(self, embedding, token_ids, positions):
        """`[B]` tokens at per-row `positions [B]` → `[B, 1, d_model]` (cached decoding)."""
        embedded = embedding(ops.expand_dims(token_ids, 1))
        # `encoding` broadcasts a `[B, 1]` start index to one table row per example.
        table = self.positional_encoding.encoding(1, self.d_model, ops.expand_dims(positions, 1))
        return embedded + ops.cast(table, embedded.dtype)

    @staticmethod
    def _run_stack(blocks, norm, x, return_scores, **kwargs):
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

    def _shared_config(self):
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


def _write_tokens(tokens, positions, token_ids):
    """`tokens [B, L]` with `tokens[b, positions[b]] = token_ids[b]` (the uncached prefix)."""
    rows = ops.cast(ops.arange(ops.shape(tokens)[0]), "int32")
    indices = ops.stack([rows, ops.cast(positions, "int32")], axis=1)
    return ops.scatter_update(tokens, indices, ops.cast(token_ids, "int32"))


def _mean_over_heads(weights):
    """`[B, H, 1, Ts]` → float32 `[B, Ts]`: the step attention of the contract."""
    return ops.cast(ops.mean(weights[:, :, -1, :], axis=1), "float32")


# --------------------------------------------------------------------------- #
# Encoder-decoder
# --------------------------------------------------------------------------- #


@keras.saving.register_keras_serializable(package="keras_attn")
class Transformer(_TransformerMixin, keras.Model):
    """The encoder-decoder Transformer as a functional model, with the one-step contract.

    Inputs `{"source": int32 [B, Ts], "target_in": int32 [B, Tt]}` (0 = padding),
    output float32 logits `[B, Tt, target_vocab_size]` (teacher forcing). Build it
    with `keras_attn.models.transformer(...)`; the arguments are documented there.

    Decoding: `initial_state(source_ids, max_length=None)` encodes the source once,
    projects the memory's keys/values for every decoder layer and preallocates a
    self-attention cache of `max_length` positions (default: source length + 50);
    `step(token_ids [B], state, index)` returns `(logits [B, V] float32, state,
    attention [B, Ts] float32)`, the attention being the last decoder layer's
    cross-attention averaged over heads. Decode at most `max_length` tokens with a
    state (`decode` does it for you).
    """

    def __init__(self, source_vocab_size, target_vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048,
                 dropout=0.1, attention_dropout=0.0, activation="relu", norm_first=False, share_embeddings=False,
                 tie_output_embedding=False, layer_norm_epsilon=1e-6, max_wavelength=10000, **kwargs):
        _check_common("transformer", (("source_vocab_size", source_vocab_size),
                                      ("target_vocab_size", target_vocab_size)),
                      num_layers, d_model, num_heads, d_ff, dropout, attention_dropout)
        checks.check_argument(
            "transformer", "share_embeddings", share_embeddings,
            not share_embeddings or source_vocab_size == target_vocab_size,
            f"False when source_vocab_size ({source_vocab_size}) != target_vocab_size ({target_vocab_size})",
        )
        # === Layers === (attributes before `super().__init__`: `_encode`, `_decode`
        # and `step` serve both the functional graph and step-by-step decoding)
        self._make_shared_layers(num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                                 norm_first, layer_norm_epsilon, max_wavelength)
        self.share_embeddings = bool(share_embeddings)
        self.tie_output_embedding = bool(tie_output_embedding)
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
        self.encoder_norm = self._final_norm("encoder_norm")
        self.decoder_norm = self._final_norm("decoder_norm")
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
        x = self._embed(self.source_embedding, source_ids, training)
        memory, scores = self._run_stack(
            self.encoder_blocks, self.encoder_norm, x, return_scores, mask=memory_mask, training=training
        )
        return memory, memory_mask, scores

    def _decode(self, target_ids, memory, memory_mask, training=None, return_scores=False):
        x = self._embed(self.target_embedding, target_ids, training)
        return self._run_stack(
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
    @staticmethod
    def default_max_length(source_ids):
        """Source length + 50 (a Python int when the length is static)."""
        return ops.shape(source_ids)[1] + EXTRA_LENGTH

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
        x = self._embed_positions(self.target_embedding, token_ids, positions)
        caches = []
        for block, cache in zip(self.decoder_blocks, state["layers"]):
            x, cache, cross = block.step(x, cache, positions, state["memory_mask"])
            caches.append(cache)
        if self.decoder_norm is not None:
            x = self.decoder_norm(x)
        logits = self._logits(x)[:, 0]
        return logits, {"memory_mask": state["memory_mask"], "layers": caches}, _mean_over_heads(cross)

    def _uncached_step(self, token_ids, state, positions):
        target = _write_tokens(state["target"], positions, token_ids)
        prefix = ops.slice(target, (0, 0), (ops.shape(target)[0], positions[0] + 1))
        hidden, scores = self._decode(prefix, state["memory"], state["memory_mask"], training=False,
                                      return_scores=True)
        logits = self._logits(hidden[:, -1:])[:, 0]
        return logits, dict(state, target=target), _mean_over_heads(scores[-1]["cross"])

    def decode(self, source_ids, max_length=None, beam_size=1, length_penalty=0.6, use_cache=True):
        """Greedy (`beam_size=1`) or beam-search decoding of `source_ids [B, Ts]`.

        Runs `keras_attn.decoding` in a `tf.function` (TensorFlow backend) with a
        state sized for `max_length` tokens (default source length + 50) and returns
        its result dict (`tokens [B, T]`, `lengths`, `log_probs`, `scores`,
        `attention [B, T, Ts]`).
        """
        import tensorflow as tf

        from keras_attn import decoding

        source_ids = tf.convert_to_tensor(source_ids, tf.int32)
        max_length = self.default_max_length(source_ids) if max_length is None else max_length

        @tf.function
        def run(source_ids):
            state = self.initial_state(source_ids, max_length, use_cache=use_cache)
            batch_size = tf.shape(source_ids)[0]
            if beam_size == 1:
                return decoding.greedy_search(self.step, state, batch_size, max_length)
            return decoding.beam_search(self.step, state, batch_size, max_length, beam_size=beam_size,
                                        length_penalty=length_penalty)

        return run(source_ids)

    def get_config(self):
        return {
            **self._shared_config(),
            "source_vocab_size": self.source_vocab_size,
            "target_vocab_size": self.target_vocab_size,
            "share_embeddings": self.share_embeddings,
            "tie_output_embedding": self.tie_output_embedding,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --------------------------------------------------------------------------- #
# Encoder-only
# --------------------------------------------------------------------------- #


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerEncoder(_TransformerMixin, keras.Model):
    """Encoder-only Transformer (BERT-like) as a functional model.

    Input int32 `[B, T]` token ids (0 = padding), output the contextual states
    `[B, T, d_model]`; padded positions attend to nothing and are ignored by the
    others. Add a task head on top (a classifier on the first token's or the
    mean-pooled states, or `TokenEmbedding(..., reverse=True)` logits for masked
    tokens). Build it with `keras_attn.models.transformer_encoder(...)`.
    """

    def __init__(self, vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                 attention_dropout=0.0, activation="relu", norm_first=False, layer_norm_epsilon=1e-6,
                 max_wavelength=10000, **kwargs):
        _check_common("transformer_encoder", (("vocab_size", vocab_size),), num_layers, d_model, num_heads, d_ff,
                      dropout, attention_dropout)
        self._make_shared_layers(num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                                 norm_first, layer_norm_epsilon, max_wavelength)
        self.token_embedding = TokenEmbedding(vocab_size, d_model, name="token_embedding")
        self.encoder_blocks = [
            TransformerEncoderBlock(num_heads, d_ff, name=f"encoder_block_{i}", **self.block_config)
            for i in range(num_layers)
        ]
        self.encoder_norm = self._final_norm("encoder_norm")

        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        states, _ = self._encode(token_ids)
        super().__init__(inputs=token_ids, outputs=states, **kwargs)
        self.vocab_size = vocab_size

    def _encode(self, token_ids, training=None, return_scores=False):
        x = self._embed(self.token_embedding, token_ids, training)
        return self._run_stack(self.encoder_blocks, self.encoder_norm, x, return_scores,
                               mask=ops.not_equal(token_ids, 0), training=training)

    def attention_weights(self, token_ids):
        """`{"encoder_self": [per layer [B, H, T, T]]}` for `token_ids [B, T]`."""
        _, scores = self._encode(ops.convert_to_tensor(token_ids, "int32"), training=False, return_scores=True)
        return {"encoder_self": scores}

    def get_config(self):
        return {**self._shared_config(), "vocab_size": self.vocab_size}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --------------------------------------------------------------------------- #
# Decoder-only language model
# --------------------------------------------------------------------------- #


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerDecoderLM(_TransformerMixin, keras.Model):
    """Decoder-only causal language model (GPT-like) as a functional model.

    Input int32 `[B, T]` (a sequence starts with the start id 1; 0 is padding at
    the end), output float32 next-token logits `[B, T, vocab_size]`; position t sees
    positions ≤ t only. Build it with `keras_attn.models.transformer_decoder_lm(...)`.

    Decoding (the one-step contract, so greedy/beam/sample all work):
    `initial_state(prompt, max_length=50)` takes either a batch size (generate from
    the start id alone) or prompt ids `[B, P]` *without* the start id, right-padded
    with 0. The start id plus all prompt tokens but each row's last are run once to
    fill the KV cache; at step 0 the row's last prompt token is fed in place of the
    start id that decoding passes, so the first generated token continues the
    prompt. Each row keeps its own position, so prompts may differ in length. The
    state holds `max_length` new tokens; `generate()` wraps all of this.
    """

    def __init__(self, vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                 attention_dropout=0.0, activation="relu", norm_first=False, tie_output_embedding=False,
                 layer_norm_epsilon=1e-6, max_wavelength=10000, **kwargs):
        _check_common("transformer_decoder_lm", (("vocab_size", vocab_size),), num_layers, d_model, num_heads, d_ff,
                      dropout, attention_dropout)
        self._make_shared_layers(num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                                 norm_first, layer_norm_epsilon, max_wavelength)
        self.tie_output_embedding = bool(tie_output_embedding)
        self.token_embedding = TokenEmbedding(vocab_size, d_model, name="token_embedding")
        self.decoder_blocks = [
            TransformerDecoderBlock(num_heads, d_ff, cross_attention=False, name=f"decoder_block_{i}",
                                    **self.block_config)
            for i in range(num_layers)
        ]
        self.decoder_norm = self._final_norm("decoder_norm")
        self.output_projection = (
            None if tie_output_embedding else keras.layers.Dense(vocab_size, dtype="float32", name="logits")
        )

        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        hidden, _ = self._decode(token_ids)
        super().__init__(inputs=token_ids, outputs=self._logits(hidden), **kwargs)
        self.vocab_size = vocab_size

    def _decode(self, token_ids, training=None, return_scores=False):
        x = self._embed(self.token_embedding, token_ids, training)
        return self._run_stack(self.decoder_blocks, self.decoder_norm, x, return_scores, training=training)

    def _logits(self, hidden):
        if self.output_projection is None:
            return self.token_embedding(hidden, reverse=True)
        return self.output_projection(hidden)

    def attention_weights(self, token_ids):
        """`{"decoder_self": [per layer [B, H, T, T]]}` for `token_ids [B, T]`."""
        _, scores = self._decode(ops.convert_to_tensor(token_ids, "int32"), training=False, return_scores=True)
        return {"decoder_self": [s["self"] for s in scores]}

    # The one-step contract -----------------------------------------------------------
    def initial_state(self, prompt, max_length=EXTRA_LENGTH, use_cache=True):
        """The decoding state for a batch size or a batch of prompts.

        Args:
            prompt: a Python int (the batch size: every row starts from the start
                id) or int ids `[B, P]` without the start id, right-padded with 0
                (an all-padding row starts from the start id alone).
            max_length: how many new tokens the state can hold (the cache holds
                `P + max_length` positions). Do not decode longer.
            use_cache: `False` gives the uncached reference, which re-runs the model
                on the whole sequence at every step.

        Returns:
            A dict whose leaves have the batch first: `offset [B]` (the position of
            step 0), `first_token [B]` (fed at step 0) and, with the cache, per layer
            `self_key`/`self_value` `[B, H, P + max_length, d_head]`; without it,
            `tokens [B, P + max_length]`.
        """
        if isinstance(prompt, int):
            checks.check_argument("TransformerDecoderLM.initial_state", "prompt", prompt, prompt > 0,
                                  "a positive batch size or int ids [B, P]")
            prompt = ops.zeros((prompt, 0), "int32")
        prompt = ops.convert_to_tensor(prompt, "int32")
        batch_size, prompt_length = ops.shape(prompt)[0], ops.shape(prompt)[1]
        lengths = ops.sum(ops.cast(ops.not_equal(prompt, 0), "int32"), axis=1)
        sequence = ops.concatenate([ops.full((batch_size, 1), START_ID, "int32"), prompt], axis=1)
        first_token = ops.take_along_axis(sequence, ops.expand_dims(lengths, 1), axis=1)[:, 0]
        # Slots 0 .. P-1 hold [start] + prompt[:-1] (for a shorter row, its slots
        # from `offset` on are overwritten before they become visible).
        prefix = sequence[:, :-1]
        cache_size = prompt_length + max_length
        state = {"offset": lengths, "first_token": first_token}
        if not use_cache:
            tokens = ops.concatenate([prefix, ops.zeros((batch_size, max_length), "int32")], axis=1)
            return dict(state, tokens=tokens)
        caches = [block.empty_cache(batch_size, cache_size) for block in self.decoder_blocks]
        if isinstance(prompt_length, int) and prompt_length == 0:
            return dict(state, layers=caches)
        x = self._embed(self.token_embedding, prefix, training=False)
        for i, block in enumerate(self.decoder_blocks):
            caches[i], x = block.fill_cache(caches[i], x)
        return dict(state, layers=caches)

    def step(self, token_ids, state, index):
        """One position per row → `(logits [B, V] float32, state, None)` (no source)."""
        index = ops.cast(index, "int32")
        token_ids = ops.convert_to_tensor(token_ids, "int32")
        token_ids = ops.where(ops.equal(index, 0), state["first_token"], token_ids)
        positions = state["offset"] + index
        if "tokens" in state:
            tokens = _write_tokens(state["tokens"], positions, token_ids)
            prefix = ops.slice(tokens, (0, 0), (ops.shape(tokens)[0], ops.max(positions) + 1))
            hidden, _ = self._decode(prefix, training=False)
            hidden = ops.take_along_axis(hidden, positions[:, None, None], axis=1)
            return self._logits(hidden)[:, 0], dict(state, tokens=tokens), None
        x = self._embed_positions(self.token_embedding, token_ids, positions)
        caches = []
        for block, cache in zip(self.decoder_blocks, state["layers"]):
            x, cache, _ = block.step(x, cache, positions)
            caches.append(cache)
        if self.decoder_norm is not None:
            x = self.decoder_norm(x)
        return self._logits(x)[:, 0], dict(state, layers=caches), None

    def generate(self, prompt=1, max_length=EXTRA_LENGTH, strategy="greedy", temperature=1.0, top_k=None,
                 seed=None, beam_size=4, length_penalty=0.6, use_cache=True):
        """Continues `prompt` (a batch size or ids `[B, P]`, see `initial_state`).

        Args:
            prompt: batch size or right-padded prompt ids without the start id.
            max_length: maximum number of new tokens (the end token included).
            strategy: `"greedy"`, `"sample"` (temperature / top-k) or `"beam"`.
            temperature, top_k, seed: for `"sample"` (see `keras_attn.decoding.sample`).
            beam_size, length_penalty: for `"beam"`.
            use_cache: decode with the KV cache (`False`: re-run the prefix).

        Returns:
            The `keras_attn.decoding` result dict: `tokens` int32 `[B, max_length]`
            (the continuation only, ending with the end id, 0-padded), `lengths`,
            `log_probs`, `scores`.
        """
        import tensorflow as tf

        from keras_attn import decoding

        strategies = ("greedy", "sample", "beam")
        checks.check_argument("TransformerDecoderLM.generate", "strategy", strategy, strategy in strategies,
                              f"one of {strategies}")
        if isinstance(prompt, int):
            checks.check_argument("TransformerDecoderLM.generate", "prompt", prompt, prompt > 0,
                                  "a positive batch size or int ids [B, P]")
            prompt = tf.zeros((prompt, 0), tf.int32)
        prompt = tf.convert_to_tensor(prompt, tf.int32)

        @tf.function
        def run(prompt):
            state = self.initial_state(prompt, max_length, use_cache=use_cache)
            batch_size = tf.shape(prompt)[0]
            if strategy == "sample":
                return decoding.sample(self.step, state, batch_size, max_length, temperature=temperature,
                                       top_k=top_k, seed=seed)
            if strategy == "beam":
                return decoding.beam_search(self.step, state, batch_size, max_length, beam_size=beam_size,
                                            length_penalty=length_penalty)
            return decoding.greedy_search(self.step, state, batch_size, max_length)

        result = run(prompt)
        result.pop("attention", None)
        return result

    def get_config(self):
        return {**self._shared_config(), "vocab_size": self.vocab_size,
                "tie_output_embedding": self.tie_output_embedding}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --------------------------------------------------------------------------- #
# Builders
# --------------------------------------------------------------------------- #

_COMMON_ARGS_DOC = """
        num_layers: number of encoder and of decoder layers N (6 in the paper).
        d_model: model size (512 base, 1024 big); must divide by `num_heads`.
        num_heads: attention heads H (8 base, 16 big); each head has d_model / H
            dimensions.
        d_ff: inner size of the feed-forward networks (2048 base, 4096 big).
        dropout: residual and embedding dropout P_drop (0.1 base, 0.3 big EN-DE).
        attention_dropout: dropout on the attention weights (0 in the paper).
        activation: feed-forward activation, `"relu"` (paper) or e.g. `"gelu"`.
        norm_first: pre-norm residual blocks (plus a final layer norm) instead of
            the paper's post-norm.
        layer_norm_epsilon: epsilon of every layer norm.
        max_wavelength: base of the sinusoidal positional encoding."""


def transformer(source_vocab_size, target_vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                attention_dropout=0.0, activation="relu", norm_first=False, share_embeddings=False,
                tie_output_embedding=False, layer_norm_epsilon=1e-6, max_wavelength=10000, name="transformer"):
    return Transformer(**locals())


transformer.__doc__ = f"""Builds the encoder-decoder Transformer (Vaswani et al. 2017).

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes (id 0 is padding).{_COMMON_ARGS_DOC}
        share_embeddings: one embedding matrix for source and target (needs equal
            vocabulary sizes; the paper shares a joint BPE vocabulary).
        tie_output_embedding: the pre-softmax projection is the target embedding
            transposed (§3.4); otherwise a separate dense layer with bias.
        name: the model's name.

    Returns:
        A `Transformer` (a functional `keras.Model`): `{{"source", "target_in"}}` →
        float32 logits `[B, Tt, target_vocab_size]`, with `initial_state`/`step`
        for `keras_attn.decoding` (KV-cached), `decode` and `attention_weights`.

    Example:

    >>> model = transformer(100, 120, num_layers=2, d_model=32, num_heads=4, d_ff=64)
    >>> model.output_shape
    (None, None, 120)
    """


def transformer_encoder(vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                        attention_dropout=0.0, activation="relu", norm_first=False, layer_norm_epsilon=1e-6,
                        max_wavelength=10000, name="transformer_encoder"):
    return TransformerEncoder(**locals())


transformer_encoder.__doc__ = f"""Builds an encoder-only Transformer (BERT-like).

    Args:
        vocab_size: vocabulary size (id 0 is padding).{_COMMON_ARGS_DOC}
        name: the model's name.

    Returns:
        A `TransformerEncoder`: int32 `[B, T]` → `[B, T, d_model]`, with
        `attention_weights`.

    Example:

    >>> encoder = transformer_encoder(100, num_layers=2, d_model=32, num_heads=4, d_ff=64)
    >>> encoder.output_shape
    (None, None, 32)
    """


def transformer_decoder_lm(vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                           attention_dropout=0.0, activation="relu", norm_first=False, tie_output_embedding=False,
                           layer_norm_epsilon=1e-6, max_wavelength=10000, name="transformer_decoder_lm"):
    return TransformerDecoderLM(**locals())


transformer_decoder_lm.__doc__ = f"""Builds a decoder-only causal Transformer language model (GPT-like).

    Args:
        vocab_size: vocabulary size (0 padding, 1 start, 2 end, 3 unknown).{_COMMON_ARGS_DOC}
        tie_output_embedding: the output projection is the token embedding
            transposed; otherwise a separate dense layer with bias.
        name: the model's name.

    Returns:
        A `TransformerDecoderLM`: int32 `[B, T]` → float32 logits
        `[B, T, vocab_size]`, with `initial_state(prompt)`/`step` (KV-cached),
        `generate` and `attention_weights`.

    Example:

    >>> lm = transformer_decoder_lm(100, num_layers=2, d_model=32, num_heads=4, d_ff=64)
    >>> lm.output_shape
    (None, None, 100)
    """
