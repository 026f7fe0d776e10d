"""RNN encoder-decoder models, with and without attention.

`attention=None` is the fixed-context baseline of Sutskever et al. 2014: the decoder
starts from the encoder's last state and sees nothing else of the source, so the whole
sentence must squeeze through that one vector. `"bahdanau"` and `"luong"` give the
decoder a fresh context vector at every step (Bahdanau et al. 2015; Luong et al. 2015).
"""

import keras
from keras import ops

from keras_attn.layers import BahdanauAttention
from keras_attn.layers import LuongAttention
from keras_attn.layers import Maxout
from keras_attn.layers import checks
from keras_attn.models.generative_model import GenerativeModel
from keras_attn.models.training_policy import TrainingPolicy
from keras_attn.layers.attention_rnn_decoder import CELLS
from keras_attn.layers.attention_rnn_decoder import AttentionDecoder
from keras_attn.layers.attention_rnn_decoder import run_stacked_cells

# Adam at 3e-3; XLA on the CPU too, where it speeds the time loop's many small ops up 1.42×.
SEQ2SEQ_TRAINING_POLICY = TrainingPolicy(learning_rate=3e-3, xla_on_cpu=True)
# Luong et al. 2015 (§4.1) rescale the gradient whenever its norm exceeds 5: the attentional
# state is fed back at every step (input feeding), and without a bound on the update a run
# that was converging (ko-en loss 0.33) diverged in its fourth epoch (loss 3.44).
LUONG_TRAINING_POLICY = SEQ2SEQ_TRAINING_POLICY.replace(global_clipnorm=5.0)
RNN_LAYERS = {"rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
ATTENTIONS = (None, "bahdanau", "luong")
# Where a bidirectional encoder's decoder start comes from: both directions' final states
# (tanh(W [h→_Tx; h←_1] + b)), or Bahdanau et al.'s s_0 = tanh(W_s h←_1) (backward only, no bias).
BRIDGES = ("both", "backward")
_CLASS = "seq2seq"


@keras.saving.register_keras_serializable(package="keras_attn")
class Seq2Seq(GenerativeModel, keras.Model):
    """An RNN encoder-decoder as a functional model, with the one-step contract.

    Inputs `{"source": int32 [B, Ts], "target_in": int32 [B, Tt]}` (0 = padding),
    output float32 logits `[B, Tt, target_vocab_size]` (teacher forcing). Build it
    with `keras_attn.models.seq2seq(...)`; the arguments are documented there.

    For decoding, `initial_state(source_ids)` encodes the source once and
    `step(token_ids, state, index)` runs one decoder step, returning
    `(logits [B, V], state, attention [B, Ts])`; every leaf of `state` has the batch
    first. A model without attention returns zero attention.

    Training defaults (`training_policy`): Adam with learning rate 3e-3, no label
    smoothing, no clipping (Luong attention: the global gradient norm clipped at 5, as
    Luong et al. did), and XLA on the CPU too, where it speeds the time loop's many
    small ops up 1.42× (tiny_bahdanau, docs/performance.md).
    """

    training_policy = SEQ2SEQ_TRAINING_POLICY

    def __init__(
        self,
        source_vocab_size,
        target_vocab_size,
        cell="lstm",
        attention="bahdanau",
        embedding_dim=64,
        units=128,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        attention_units=None,
        luong_score="general",
        attentional_activation=None,
        bridge="both",
        deep_output_units=None,
        layer_dropout=0.0,
        **kwargs,
    ):
        _check_arguments(source_vocab_size, target_vocab_size, cell, attention, embedding_dim, units, num_layers, dropout,
                         bidirectional, bridge, deep_output_units, layer_dropout)
        # === Layers === (attributes before `super().__init__`, so that `_encode` and
        # `step` below serve both the functional graph and step-by-step decoding)
        self.cell = cell
        self.attention = attention
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.bridge = bridge
        self.source_embedding = keras.layers.Embedding(
            source_vocab_size, embedding_dim, mask_zero=True, name="source_embedding"
        )
        self.target_embedding = keras.layers.Embedding(
            target_vocab_size, embedding_dim, mask_zero=True, name="target_embedding"
        )
        self.encoder_layers, self.bridges = _encoder_layers(cell, units, num_layers, bidirectional, bridge,
                                                            sum_directions=attention == "luong" and luong_score == "dot")
        # Dropout between stacked layers (Zaremba et al. 2014, as Luong et al. used it).
        self.layer_dropout_layer = keras.layers.Dropout(layer_dropout, name="layer_dropout")
        self.decoder = _decoder(cell, units, num_layers, attention, attention_units, luong_score, attentional_activation,
                                layer_dropout)
        self.dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        # Bahdanau et al.'s deep output (A.2.2): maxout over U_o s_i + V_o E y_{i-1} + C_o c_i.
        self.deep_output = Maxout(deep_output_units, pool_size=2, name="deep_output") if deep_output_units else None
        self.logits_layer = keras.layers.Dense(target_vocab_size, dtype="float32", name="logits")

        # === Functional model ===
        source = keras.Input((None,), dtype="int32", name="source")
        target_in = keras.Input((None,), dtype="int32", name="target_in")
        memory, memory_mask, states = self._encode(source)
        embedded = self.dropout_layer(self.target_embedding(target_in))
        if attention is None:
            hidden = embedded
            for i, (layer, state) in enumerate(zip(self.decoder, states)):
                hidden = layer(self.layer_dropout_layer(hidden) if i else hidden, initial_state=state)
        else:
            hidden, _ = self.decoder(embedded, memory, initial_state=states, memory_mask=memory_mask)
        logits = self.logits_layer(self.dropout_layer(self._output_features(hidden, embedded)))
        super().__init__(inputs={"source": source, "target_in": target_in}, outputs=logits, **kwargs)

        # === Config ===
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.dropout = dropout
        self.attention_units = attention_units
        self.luong_score = luong_score
        self.attentional_activation = attentional_activation
        self.deep_output_units = deep_output_units
        self.layer_dropout = layer_dropout
        if attention == "luong":
            self.training_policy = LUONG_TRAINING_POLICY

    # Encoder -------------------------------------------------------------------
    def _encode(self, source_ids, training=None):
        """Encoder states `[B, Ts, M]`, the source mask and the decoder's first states."""
        memory_mask = ops.not_equal(source_ids, 0)
        hidden = self.dropout_layer(self.source_embedding(source_ids), training=training)
        final_states = []
        for i, layer in enumerate(self.encoder_layers):
            if i:
                hidden = self.layer_dropout_layer(hidden, training=training)
            hidden, *states = layer(hidden, mask=memory_mask, training=training)
            if self.bidirectional:  # [forward states..., backward states...]
                half = len(states) // 2
                forward, backward = states[:half], states[half:]
                states = backward if self.bridge == "backward" else [
                    ops.concatenate([f, b], -1) for f, b in zip(forward, backward)]
            final_states.append(states)
        if self.bidirectional:
            bridges = iter(self.bridges)
            final_states = [[next(bridges)(s) for s in states] for states in final_states]
        return hidden, memory_mask, final_states

    def _output_features(self, hidden, embedded):
        """What the logits read: the decoder's output, or the deep output's maxout of it and E y_{i-1}."""
        if self.deep_output is None:
            return hidden
        return self.deep_output(ops.concatenate([hidden, embedded], -1))

    # The one-step contract -------------------------------------------------------
    @property
    def has_attention(self):
        return self.attention is not None

    def initial_state(self, source_ids, max_length=None):
        """Encodes `source_ids [B, Ts]` once; returns the decoder's state.

        `max_length` is part of the contract every family shares; a recurrent
        state does not grow with the generated length.
        """
        source_ids = ops.convert_to_tensor(source_ids, "int32")
        memory, memory_mask, states = self._encode(source_ids, training=False)
        if self.attention is None:
            return {"states": states, "memory_mask": memory_mask}
        return self.decoder.start(memory, states, memory_mask)

    def step(self, token_ids, state, index=None):
        """One decoder step for `token_ids [B]` → `(logits [B, V], state, attention [B, Ts])`.

        `index` (the position of `token_ids` in the target) is part of the contract
        every family shares; a recurrent decoder carries its position in its state.
        """
        # The embedding lookup without the layer call: one step has no padding mask.
        embedded = ops.cast(
            ops.take(self.target_embedding.embeddings, ops.convert_to_tensor(token_ids, "int32"), axis=0),
            self.target_embedding.compute_dtype,
        )
        if self.attention is None:
            cells = [layer.cell for layer in self.decoder]
            hidden, states = run_stacked_cells(cells, embedded, state["states"], training=False)
            mask = state["memory_mask"]
            attention = ops.zeros(ops.shape(mask), "float32")
            state = {"states": states, "memory_mask": mask}
        else:
            hidden, state, attention = self.decoder.step(embedded, state, training=False)
        logits = self.logits_layer(self._output_features(hidden, embedded))
        return logits, state, ops.cast(attention, "float32")

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "source_vocab_size": self.source_vocab_size,
            "target_vocab_size": self.target_vocab_size,
            "cell": self.cell,
            "attention": self.attention,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "attention_units": self.attention_units,
            "luong_score": self.luong_score,
            "attentional_activation": self.attentional_activation,
            "bridge": self.bridge,
            "deep_output_units": self.deep_output_units,
            "layer_dropout": self.layer_dropout,
        }

    @classmethod
    def from_config(cls, config):
        # Models saved before the option existed computed the paper's tanh.
        return cls(**{"attentional_activation": "tanh", **config})


def seq2seq(
    source_vocab_size,
    target_vocab_size,
    cell="lstm",
    attention="bahdanau",
    embedding_dim=64,
    units=128,
    num_layers=1,
    bidirectional=False,
    dropout=0.0,
    attention_units=None,
    luong_score="general",
    attentional_activation=None,
    bridge="both",
    deep_output_units=None,
    layer_dropout=0.0,
    name="seq2seq",
):
    """Builds an RNN encoder-decoder (a functional `keras.Model`).

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes (id 0 is padding).
        cell: `"rnn"`, `"gru"` or `"lstm"`.
        attention: `None` (fixed context: the decoder starts from the encoder's last
            state only), `"bahdanau"` (additive, previous state as query, context fed
            into the RNN) or `"luong"` (multiplicative, attentional state
            `tanh(W_c [c_t; h_t])` with input feeding).
        embedding_dim: size of the source and target embeddings.
        units: size of every RNN state.
        num_layers: stacked RNN layers in the encoder and the decoder.
        bidirectional: bidirectional encoder layers (their final states are mapped to
            the decoder's size by a tanh layer, as in Bahdanau et al.). With
            `luong_score="dot"` the two directions are summed, so that the encoder
            states have the decoder's size as the dot score needs (concatenated
            otherwise).
        dropout: dropout on the embeddings and on the decoder outputs.
        attention_units: hidden size of the Bahdanau / Luong-concat score
            (default: `units`).
        luong_score: `"dot"`, `"general"` or `"concat"` for `attention="luong"`.
        attentional_activation: for `attention="luong"`, the activation of the
            attentional state h̃_t = act(W_c [c_t; h_t]): `None` (linear, the default)
            or `"tanh"` (Luong et al.'s eq. 5). With tanh, h̃ saturates early in
            training (68 % of its units above 0.95 after 315 steps on ko-en), which
            blocks the gradient to the context, so the attention never learns to
            align and the model stays a fixed-context one (BLEU 2.2 against 15.3
            linear, at equal budget). The TensorFlow NMT tutorial's attention
            wrapper projects linearly too.
        bridge: with a bidirectional encoder, where the decoder's first state comes
            from: `"both"` (tanh(W [h→_Tx; h←_1] + b), the default) or `"backward"`
            (Bahdanau et al.'s s_0 = tanh(W_s h←_1): the backward state, which has read
            the whole sentence ending at its first word; no bias).
        deep_output_units: `None` (logits from the decoder's output) or the number of
            maxout units (pool 2) of Bahdanau et al.'s deep output, t_i = maxout(U_o s_i
            + V_o E y_{i-1} + C_o c_i), read by the logits (500 in the paper).
        layer_dropout: dropout between stacked RNN layers, in the encoder and the
            decoder (Luong et al. 2015: 0.2, after Zaremba et al. 2014).
        name: the model's name.

    Returns:
        A `Seq2Seq` (a functional `keras.Model`): `{"source", "target_in"}` →
        float32 logits `[B, Tt, target_vocab_size]`.

    Example:

    >>> model = seq2seq(100, 120, cell="gru", attention="luong", units=32)
    >>> model.output_shape
    (None, None, 120)
    """
    return Seq2Seq(**locals())


def _encoder_layers(cell, units, num_layers, bidirectional, bridge, sum_directions):
    """The encoder's RNN layers, and the bridges from a bidirectional encoder's final states.

    Luong's dot score compares h_t with h̄_s directly, so their sizes must agree: with
    `sum_directions` a bidirectional encoder sums its directions (k) instead of
    concatenating them (2k). The bridges map the final states to the decoder's size: from
    both directions, or as Bahdanau et al.'s s_0 = tanh(W_s h←_1) from the backward one.
    """
    layers = []
    for i in range(num_layers):
        rnn = RNN_LAYERS[cell](units, return_sequences=True, return_state=True, name=f"encoder_{cell}_{i}")
        layers.append(
            keras.layers.Bidirectional(rnn, merge_mode="sum" if sum_directions else "concat",
                                       name=f"encoder_bi{cell}_{i}")
            if bidirectional else rnn
        )
    state_count = 2 if cell == "lstm" else 1
    bridges = [
        keras.layers.Dense(units, activation="tanh", use_bias=bridge == "both", name=f"bridge_{i}_{j}")
        for i in range(num_layers) for j in range(state_count)
    ] if bidirectional else []
    return layers, bridges


def _decoder(cell, units, num_layers, attention, attention_units, luong_score, attentional_activation, layer_dropout):
    """The decoder: stacked RNN layers (fixed context), or an `AttentionDecoder` with its mechanism."""
    if attention is None:
        return [RNN_LAYERS[cell](units, return_sequences=True, name=f"decoder_{cell}_{i}") for i in range(num_layers)]
    mechanism = (
        BahdanauAttention(attention_units or units, name="attention")
        if attention == "bahdanau"
        else LuongAttention(luong_score, units=attention_units, name="attention")
    )
    return AttentionDecoder(cell, units, mechanism, style=attention, num_layers=num_layers,
                            attentional_activation=attentional_activation, layer_dropout=layer_dropout, name="decoder")


def _check_arguments(source_vocab_size, target_vocab_size, cell, attention, embedding_dim, units, num_layers, dropout,
                     bidirectional, bridge, deep_output_units, layer_dropout):
    for argument, value in (
        ("source_vocab_size", source_vocab_size), ("target_vocab_size", target_vocab_size),
        ("embedding_dim", embedding_dim), ("units", units), ("num_layers", num_layers),
    ):
        checks.check_positive_int(_CLASS, argument, value)
    checks.check_positive_int(_CLASS, "deep_output_units", deep_output_units, allow_none=True)
    checks.check_argument(_CLASS, "cell", cell, cell in CELLS, f"one of {tuple(CELLS)}")
    checks.check_argument(_CLASS, "attention", attention, attention in ATTENTIONS, f"one of {ATTENTIONS}")
    checks.check_argument(_CLASS, "bridge", bridge, bridge in BRIDGES, f"one of {BRIDGES}")
    checks.check_argument(_CLASS, "bridge", bridge, bridge == "both" or bidirectional,
                          "'both' unless the encoder is bidirectional (bidirectional=True)")
    checks.check_rate(_CLASS, "dropout", dropout)
    checks.check_rate(_CLASS, "layer_dropout", layer_dropout)
