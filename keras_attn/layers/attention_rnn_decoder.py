"""An RNN decoder with attention inside the recurrence (Bahdanau or Luong style).

The decoder of the recurrent encoder-decoder (`keras_attn.models.seq2seq`); it
depends only on keras' RNN cells and an attention mechanism layer.

Keras 3's `keras.layers.RNN` no longer hands a cell extra per-sequence tensors
("constants"), and an attention decoder needs the encoder states at every step. So
this layer runs the time loop itself (a `keras.ops` loop) over preallocated
time-major buffers, and exposes the single `step` it loops over: training (teacher
forcing) and step-by-step decoding run the same code.
"""

import keras
from keras import ops

from keras_attn.layers import checks

CELLS = {
    "rnn": keras.layers.SimpleRNNCell,
    "gru": keras.layers.GRUCell,
    "lstm": keras.layers.LSTMCell,
}
STYLES = ("bahdanau", "luong")
# The Luong style's h̃_t = act(W_c [c_t; h_t]): the paper's tanh, or None (linear, as in the
# attention wrapper of the TensorFlow NMT tutorial): see Seq2Seq for why it matters.
ATTENTIONAL_ACTIVATIONS = ("tanh", None)


def run_stacked_cells(cells, inputs, states, training=None, between=None):
    """One step of stacked RNN cells: `(top output, [per-cell state lists])`.

    Each cell's state is kept as a list whatever the cell returns (LSTM: `[h, c]`,
    GRU / simple RNN: `[h]`), so the structure is the same at every step.
    `between(x, training=...)`, when given, is applied to each cell's output before
    the next cell reads it (dropout between stacked layers).
    """
    new_states = []
    for i, (cell, state) in enumerate(zip(cells, states)):
        if i and between is not None:
            inputs = between(inputs, training=training)
        inputs, state = cell(inputs, state, training=training)
        new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
    return inputs, new_states


@keras.saving.register_keras_serializable(package="keras_attn")
class AttentionDecoder(keras.layers.Layer):
    """A stack of RNN cells that attends over the encoder states at every step.

    Bahdanau et al. 2015 (`style="bahdanau"`): the previous top state s_{i-1} is the
    query; the context c_i joins the input: s_i = f([y_{i-1}; c_i], s_{i-1}); the
    output is [s_i; c_i].

    Luong et al. 2015 (`style="luong"`), with input feeding (§3.3): h_t =
    f([y_{t-1}; h̃_{t-1}], h_{t-1}); c_t attends with the current h_t; the output is
    the attentional state h̃_t = tanh(W_c [c_t; h_t]), also fed to the next step.

    Args:
        cell: `"rnn"`, `"gru"` or `"lstm"`.
        units: size of every cell's state.
        attention: an `AttentionMechanism` layer (BahdanauAttention, LuongAttention).
        style: `"bahdanau"` or `"luong"`, as above.
        num_layers: number of stacked cells (attention uses the top one).
        attentional_activation: the Luong style's activation of h̃_t: `"tanh"` (the
            paper's) or `None` (linear).
        layer_dropout: dropout rate between stacked cells (Luong et al. 2015, after
            Zaremba et al. 2014).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: target embeddings `[B, T, E]` (teacher forcing).
        memory: encoder states `[B, S, M]`.
        initial_state: a list of `num_layers` state lists (the cells' own format),
            or `None` for zeros.
        memory_mask: `[B, S]`, True at real source positions (Keras fills it from
            the memory's mask).
        training: whether the cells' dropout is active.
        return_attention_scores: also return the attention weights (the default).

    Returns:
        `(outputs [B, T, D], attention [B, T, S])`, or `outputs` alone with
        `return_attention_scores=False`, where D is `units + M` for the Bahdanau
        style and `units` for the Luong style.

    One step (the decoding contract): `start(memory, initial_state, memory_mask)`
    gives the loop's carry, and `step(inputs [B, E], carry)` returns
    `(output [B, D], carry, attention [B, S])`.

    Example:

    >>> import numpy as np
    >>> from keras_attn.layers import BahdanauAttention
    >>> decoder = AttentionDecoder("gru", 8, BahdanauAttention(6))
    >>> target, memory = np.zeros((2, 3, 4), "float32"), np.ones((2, 5, 6), "float32")
    >>> outputs, attention = decoder(target, memory)
    >>> tuple(outputs.shape), tuple(attention.shape)
    ((2, 3, 14), (2, 3, 5))
    """

    def __init__(self, cell, units, attention, style="bahdanau", num_layers=1, attentional_activation="tanh",
                 layer_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        checks.check_argument(self, "cell", cell, cell in CELLS, f"one of {tuple(CELLS)}")
        checks.check_argument(self, "style", style, style in STYLES, f"one of {STYLES}")
        checks.check_argument(self, "attentional_activation", attentional_activation,
                              attentional_activation in ATTENTIONAL_ACTIVATIONS, f"one of {ATTENTIONAL_ACTIVATIONS}")
        checks.check_positive_int(self, "units", units)
        checks.check_positive_int(self, "num_layers", num_layers)
        checks.check_rate(self, "layer_dropout", layer_dropout)
        self.cell_type = cell
        self.units = units
        self.style = style
        self.num_layers = num_layers
        self.attention = attention
        self.supports_masking = True  # the outputs keep the target's padding mask
        self.cells = [
            CELLS[cell](units, dtype=self.dtype_policy, name=f"{cell}_cell_{i}") for i in range(num_layers)
        ]
        self.attentional_activation = attentional_activation
        self.layer_dropout = layer_dropout
        self.layer_dropout_layer = keras.layers.Dropout(layer_dropout, dtype=self.dtype_policy, name="layer_dropout")
        self.attentional_projection = None
        if style == "luong":
            # W_c of h̃_t = tanh(W_c [c_t; h_t]); no bias, as in the paper.
            self.attentional_projection = keras.layers.Dense(
                units, activation=attentional_activation, use_bias=False, dtype=self.dtype_policy,
                name="attentional_projection",
            )

    def build(self, inputs_shape, memory_shape):
        checks.check_rank(self, "inputs", inputs_shape, (3,))
        checks.check_rank(self, "memory", memory_shape, (3,))
        memory_dim = memory_shape[-1]
        feed_dim = memory_dim if self.style == "bahdanau" else self.units
        input_dim = inputs_shape[-1] + feed_dim
        for cell in self.cells:
            cell.build((inputs_shape[0], input_dim))
            input_dim = self.units
        if not self.attention.built:
            # A deserialized attention layer arrives built (its config carries its
            # build config): building it again would add its weights twice.
            self.attention.build((inputs_shape[0], self.units), memory_shape)
        if self.attentional_projection is not None:
            self.attentional_projection.build((inputs_shape[0], memory_dim + self.units))
        self._feed_dim = feed_dim
        self.built = True

    @property
    def output_dim(self):
        return self.units + self._feed_dim if self.style == "bahdanau" else self.units

    def _output_dim_for(self, memory_shape):
        if self.style == "luong":
            return self.units
        return None if memory_shape[-1] is None else self.units + memory_shape[-1]

    # One step ------------------------------------------------------------------
    def start(self, memory, initial_state=None, memory_mask=None):
        """The loop's carry before the first step: states, feed, prepared keys."""
        batch = ops.shape(memory)[0]
        if initial_state is None:
            initial_state = [self._zero_state(batch, memory.dtype) for _ in self.cells]
        feed = ops.zeros((batch, self._feed_dim), memory.dtype)
        if memory_mask is None:
            memory_mask = ops.ones(ops.shape(memory)[:2], "bool")
        return {
            "states": [list(s) for s in initial_state],
            "feed": feed,
            "memory": memory,
            "prepared_keys": self.attention.prepare_keys(memory),
            "memory_mask": ops.cast(memory_mask, "bool"),
        }

    def _zero_state(self, batch, dtype):
        count = 2 if self.cell_type == "lstm" else 1
        return [ops.zeros((batch, self.units), dtype) for _ in range(count)]

    def step(self, inputs, carry, training=None):
        """One decoder step: `inputs [B, E]` → `(output [B, D], carry, attention [B, S])`."""
        if self.style == "bahdanau":
            # The query is the previous top state s_{i-1}: attend before the cells run.
            context, weights = self._attend(carry["states"][-1][0], carry, training)
            top, states = self._run_cells(ops.concatenate([inputs, context], -1), carry["states"], training)
            output, feed = ops.concatenate([top, context], -1), context
        else:
            top, states = self._run_cells(ops.concatenate([inputs, carry["feed"]], -1), carry["states"], training)
            context, weights = self._attend(top, carry, training)
            output = self.attentional_projection(ops.concatenate([context, top], -1))
            feed = output
        return output, {**carry, "states": states, "feed": feed}, weights

    def _attend(self, query, carry, training):
        context, weights = self.attention.attend(
            ops.expand_dims(query, 1), carry["prepared_keys"], carry["memory"],
            mask=ops.expand_dims(carry["memory_mask"], 1), training=training,
        )
        return ops.squeeze(context, 1), ops.squeeze(weights, 1)

    def _run_cells(self, inputs, states, training):
        return run_stacked_cells(self.cells, inputs, states, training, between=self.layer_dropout_layer)

    # The time loop -------------------------------------------------------------
    def call(self, inputs, memory, initial_state=None, memory_mask=None, training=None,
             return_attention_scores=True):
        carry = self.start(memory, initial_state, memory_mask)
        time_major = ops.moveaxis(inputs, 1, 0)
        steps = ops.shape(time_major)[0]
        batch, source_length = ops.shape(memory)[0], ops.shape(memory)[1]
        outputs = ops.zeros((steps, batch, self.output_dim), self.compute_dtype)
        attention = ops.zeros((steps, batch, source_length), self.compute_dtype)

        def body(t, loop):
            carry, outputs, attention = loop
            output, carry, weights = self.step(time_major[t], carry, training=training)
            # scatter_update is a core op with a gradient on every backend (keras'
            # slice_update lowers to an XLA-only op on TensorFlow).
            index = ops.reshape(t, (1, 1))
            outputs = ops.scatter_update(outputs, index, ops.expand_dims(output, 0))
            attention = ops.scatter_update(attention, index, ops.expand_dims(ops.cast(weights, attention.dtype), 0))
            return carry, outputs, attention

        loop = (carry, outputs, attention)
        if keras.backend.backend() == "jax":
            # jax differentiates a counted loop (a scan: the length is static under `jit`),
            # not a `while_loop`.
            _, outputs, attention = ops.fori_loop(0, steps, body, loop)
        else:
            # TensorFlow's XLA needs the loop's bound (`maximum_iterations`) for its buffers.
            _, (_, outputs, attention) = ops.while_loop(
                lambda t, _: t < steps, lambda t, loop: (t + 1, body(t, loop)),
                (ops.convert_to_tensor(0, "int32"), loop), maximum_iterations=steps,
            )
        if not return_attention_scores:
            return ops.moveaxis(outputs, 0, 1)
        return ops.moveaxis(outputs, 0, 1), ops.moveaxis(attention, 0, 1)

    def compute_output_shape(self, inputs_shape, memory_shape):
        outputs = tuple(inputs_shape[:2]) + (self._output_dim_for(memory_shape),)
        return outputs, (inputs_shape[0], inputs_shape[1], memory_shape[1])

    def compute_output_spec(self, inputs, memory, initial_state=None, memory_mask=None, training=None,
                            return_attention_scores=True):
        outputs_shape, attention_shape = self.compute_output_shape(inputs.shape, memory.shape)
        outputs = keras.KerasTensor(outputs_shape, self.compute_dtype)
        if not return_attention_scores:
            return outputs
        return outputs, keras.KerasTensor(attention_shape, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": self.cell_type,
                "units": self.units,
                "attention": keras.saving.serialize_keras_object(self.attention),
                "style": self.style,
                "num_layers": self.num_layers,
                "attentional_activation": self.attentional_activation,
                "layer_dropout": self.layer_dropout,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["attention"] = keras.saving.deserialize_keras_object(config["attention"])
        return cls(**config)
