"""`TransformerDecoderLM`: the decoder half of the Transformer as a causal language model (GPT-like)."""

import keras
from keras import ops

from keras_attn.layers import TokenEmbedding
from keras_attn.layers import TransformerDecoderBlock
from keras_attn.layers import checks
from keras_attn.models.generative_model import EXTRA_LENGTH
from keras_attn.models.generative_model import GenerativeModel
from keras_attn.models.transformer_base import START_ID
from keras_attn.models.transformer_base import TRANSFORMER_TRAINING_POLICY
from keras_attn.models.transformer_base import TransformerBase
from keras_attn.models.transformer_base import check_transformer_arguments
from keras_attn.models.transformer_base import write_tokens


@keras.saving.register_keras_serializable(package="keras_attn")
class TransformerDecoderLM(TransformerBase, GenerativeModel, keras.Model):
    """Decoder-only causal language model (GPT-like) as a functional model.

    Input int32 `[B, T]` (a sequence starts with the start id 1; 0 is padding at
    the end), output float32 next-token logits `[B, T, vocab_size]`; position t sees
    positions ≤ t only. Also built by `keras_attn.models.transformer_decoder_lm(...)`.

    Decoding (the one-step contract, so greedy/beam/sample all work):
    `initial_state(prompt, max_length=50)` takes either a batch size (generate from
    the start id alone) or prompt ids `[B, P]` *without* the start id, right-padded
    with 0. The start id plus all prompt tokens but each row's last are run once to
    fill the KV cache; at step 0 the row's last prompt token is fed in place of the
    start id that decoding passes, so the first generated token continues the
    prompt. Each row keeps its own position, so prompts may differ in length. The
    state holds `max_length` new tokens; `generate()` wraps all of this.

    Training defaults: the `Transformer`'s (`training_policy`).

    Args:
        vocab_size: vocabulary size (0 padding, 1 start, 2 end, 3 unknown).
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
        tie_output_embedding: the output projection is the token embedding
            transposed; otherwise a separate dense layer with bias.
        **kwargs: `keras.Model` arguments (`name`).

    Example:

    >>> lm = TransformerDecoderLM(100, num_layers=2, d_model=32, num_heads=4, d_ff=64)
    >>> lm.output_shape
    (None, None, 100)
    >>> lm.generate(2, max_length=5)["tokens"].shape
    TensorShape([2, 5])
    """

    training_policy = TRANSFORMER_TRAINING_POLICY

    def __init__(self, vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                 attention_dropout=0.0, activation="relu", norm_first=False, tie_output_embedding=False,
                 layer_norm_epsilon=1e-6, max_wavelength=10000, **kwargs):
        check_transformer_arguments("transformer_decoder_lm", (("vocab_size", vocab_size),), num_layers, d_model,
                                    num_heads, d_ff, dropout, attention_dropout)
        self.build_shared_layers(num_layers, d_model, num_heads, d_ff, dropout, attention_dropout, activation,
                                 norm_first, layer_norm_epsilon, max_wavelength)
        self.tie_output_embedding = bool(tie_output_embedding)
        self.token_embedding = TokenEmbedding(vocab_size, d_model, name="token_embedding")
        self.decoder_blocks = [
            TransformerDecoderBlock(num_heads, d_ff, cross_attention=False, name=f"decoder_block_{i}",
                                    **self.block_config)
            for i in range(num_layers)
        ]
        self.decoder_norm = self.final_norm("decoder_norm")
        self.output_projection = (
            None if tie_output_embedding else keras.layers.Dense(vocab_size, dtype="float32", name="logits")
        )

        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        hidden, _ = self._decode(token_ids)
        super().__init__(inputs=token_ids, outputs=self._logits(hidden), **kwargs)
        self.vocab_size = vocab_size

    def _decode(self, token_ids, training=None, return_scores=False):
        x = self.embed(self.token_embedding, token_ids, training)
        return self.run_stack(self.decoder_blocks, self.decoder_norm, x, return_scores, training=training)

    def _logits(self, hidden):
        if self.output_projection is None:
            return self.token_embedding(hidden, reverse=True)
        return self.output_projection(hidden)

    @property
    def has_attention(self):
        return False  # no source to attend to

    def default_max_length(self, inputs):
        """50 new tokens, whatever the prompt's length."""
        return EXTRA_LENGTH

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
        x = self.embed(self.token_embedding, prefix, training=False)
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
            tokens = write_tokens(state["tokens"], positions, token_ids)
            prefix = ops.slice(tokens, (0, 0), (ops.shape(tokens)[0], ops.max(positions) + 1))
            hidden, _ = self._decode(prefix, training=False)
            hidden = ops.take_along_axis(hidden, positions[:, None, None], axis=1)
            return self._logits(hidden)[:, 0], dict(state, tokens=tokens), None
        x = self.embed_positions(self.token_embedding, token_ids, positions)
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
            `log_probs`, `scores`, and `attention` `[B, max_length, 0]` (no source).
        """
        if isinstance(prompt, int):
            checks.check_argument("TransformerDecoderLM.generate", "prompt", prompt, prompt > 0,
                                  "a positive batch size or int ids [B, P]")
            prompt = ops.zeros((prompt, 0), "int32")
        return super().generate(prompt, max_length=max_length, strategy=strategy, beam_size=beam_size,
                                length_penalty=length_penalty, temperature=temperature, top_k=top_k, seed=seed,
                                use_cache=use_cache)

    def get_config(self):
        return {**self.shared_config(), "vocab_size": self.vocab_size,
                "tie_output_embedding": self.tie_output_embedding}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def transformer_decoder_lm(vocab_size, num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                           attention_dropout=0.0, activation="relu", norm_first=False, tie_output_embedding=False,
                           layer_norm_epsilon=1e-6, max_wavelength=10000, name="transformer_decoder_lm"):
    """Builds a `TransformerDecoderLM` (the arguments are documented on the class)."""
    return TransformerDecoderLM(**locals())
