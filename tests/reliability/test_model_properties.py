"""Property-based tests of the model builders (hypothesis).

Tiny models are built once for the module (per dtype policy); hypothesis varies the
token ids, the batch, the lengths and the padding (empty sources included). For every
input: logits are finite float32, trailing padding and the other rows of the batch
change nothing, and the decoder is causal (a target token never influences the
logits of an earlier step).
"""

import functools

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_attn import models

VOCAB = 23
# Same reasoning as in test_layer_properties: differently shaped tensors sum in another
# order; a padding or causality leak moves logits by far more than this.
ATOL = {"float32": 1e-5, "mixed_float16": 1.5e-2, "mixed_bfloat16": 6e-2}
RTOL = {"float32": 1e-5, "mixed_float16": 5e-3, "mixed_bfloat16": 2e-2}
SETTINGS = settings(max_examples=8, deadline=None, database=None)
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis")

BUILDERS = {
    "seq2seq_fixed": lambda: models.seq2seq(VOCAB, VOCAB, cell="lstm", attention=None, embedding_dim=8, units=8),
    "seq2seq_bahdanau": lambda: models.seq2seq(VOCAB, VOCAB, cell="gru", attention="bahdanau", embedding_dim=8,
                                               units=8, bidirectional=True),
    "seq2seq_luong": lambda: models.seq2seq(VOCAB, VOCAB, cell="gru", attention="luong", embedding_dim=8, units=8),
    "transformer": lambda: models.transformer(VOCAB, VOCAB, num_layers=1, d_model=8, num_heads=2, d_ff=16,
                                              dropout=0.0),
    "decoder_lm": lambda: models.transformer_decoder_lm(VOCAB, num_layers=1, d_model=8, num_heads=2, d_ff=16,
                                                        dropout=0.0),
}
# Every family in float32; the mixed policies on one RNN and both Transformer kinds
# (building all fifteen would cost more CI time than it adds coverage).
CASES = [(name, "float32") for name in BUILDERS] + [
    (name, policy) for policy in ("mixed_float16", "mixed_bfloat16")
    for name in ("seq2seq_luong", "transformer", "decoder_lm")
]


@functools.lru_cache(maxsize=None)
def built(name, policy):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        return BUILDERS[name]()
    finally:
        keras.config.set_dtype_policy(previous)


@st.composite
def padded_ids(draw, batch, max_length, min_length=0):
    """`[B, T]` ids in [1, VOCAB) followed by padding; rows may be all padding."""
    length = draw(st.integers(max(1, min_length), max_length))
    lengths = draw(st.lists(st.integers(min_length, length), min_size=batch, max_size=batch))
    ids = np.array(draw(st.lists(st.lists(st.integers(1, VOCAB - 1), min_size=length, max_size=length),
                                 min_size=batch, max_size=batch)), "int32")
    ids[np.arange(length)[None, :] >= np.array(lengths)[:, None]] = 0
    return ids


@st.composite
def model_inputs(draw, name):
    batch = draw(st.integers(1, 3))
    if name == "decoder_lm":
        return {"ids": draw(padded_ids(batch, 8, min_length=1))}
    # Empty sources (all padding) are legal input: an empty sentence.
    return {"source": draw(padded_ids(batch, 7)), "target_in": draw(padded_ids(batch, 6, min_length=1))}


def run(model, inputs):
    feed = inputs["ids"] if "ids" in inputs else inputs
    return keras.ops.convert_to_numpy(model(feed, training=False))


def target_of(inputs):
    return inputs["ids"] if "ids" in inputs else inputs["target_in"]


def pad(inputs, extra):
    return {key: np.pad(ids, ((0, 0), (0, extra[key]))) for key, ids in inputs.items()}


@pytest.mark.parametrize("name,policy", CASES)
@SETTINGS
@given(data=st.data())
def test_logits_are_finite_and_padding_and_batch_invariant(name, policy, data):
    model = built(name, policy)
    inputs = data.draw(model_inputs(name))
    logits = run(model, inputs)
    target = target_of(inputs)
    assert logits.dtype == np.float32 and logits.shape == target.shape + (VOCAB,)
    assert np.all(np.isfinite(logits))
    real = target != 0
    # Trailing padding on either side leaves the logits of real target steps alone.
    extra = {key: data.draw(st.integers(1, 4), label=f"extra {key}") for key in inputs}
    padded = run(model, pad(inputs, extra))
    np.testing.assert_allclose(padded[:, :target.shape[1]][real], logits[real], atol=ATOL[policy], rtol=RTOL[policy])
    row = data.draw(st.integers(0, target.shape[0] - 1), label="row")
    alone = run(model, {key: ids[row:row + 1] for key, ids in inputs.items()})
    np.testing.assert_allclose(alone[0][real[row]], logits[row][real[row]], atol=ATOL[policy], rtol=RTOL[policy])


@pytest.mark.parametrize("name", list(BUILDERS))
@SETTINGS
@given(data=st.data())
def test_decoder_is_causal(name, data):
    model = built(name, "float32")
    inputs = data.draw(model_inputs(name))
    key = "ids" if "ids" in inputs else "target_in"
    length = inputs[key].shape[1]
    step = data.draw(st.integers(0, length - 1), label="step")
    logits = run(model, inputs)
    # Rewrite every later target token (padding included) with fresh non-pad ids.
    changed = dict(inputs)
    changed[key] = inputs[key].copy()
    later = data.draw(st.lists(st.integers(1, VOCAB - 1), min_size=length - step - 1, max_size=length - step - 1))
    changed[key][:, step + 1:] = np.array(later, "int32")[None, :]
    np.testing.assert_allclose(run(model, changed)[:, :step + 1], logits[:, :step + 1], atol=1e-5, rtol=1e-5)
