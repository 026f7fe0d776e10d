"""Shared pieces of the property-based tests (hypothesis, marker `property`).

The layer tests (tests/layers) check each layer against a numpy reference on a few
fixed inputs; their property tests instead let hypothesis pick batch sizes, lengths,
masks (fully masked rows included), values and the dtype policy, and check invariants
that must hold for every input: finite outputs, weights that sum to one over unmasked
keys (zero for fully masked rows), padding invariance, batch independence and
causality. The model tests do the same on tiny models: for every input, logits are
finite float32, trailing padding and the other rows of the batch change nothing, and
the decoder is causal (a target token never influences the logits of an earlier step).

Layers and models are built once per policy (keras layers accept any batch and length
after `build`); hypothesis only varies the inputs.
"""

import keras
import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_attn import layers

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
# Tolerances when the same row is computed in differently shaped tensors: the CPU
# kernels then sum in another order, in float16/bfloat16 (outputs reach ~10, where a
# float16 ulp is 0.008, and a projection sums 8 such terms). A masking, padding or
# causality bug moves outputs (or logits) by O(1), far beyond these.
ATOL = {"float32": 1e-5, "mixed_float16": 1.5e-2, "mixed_bfloat16": 6e-2}
RTOL = {"float32": 1e-5, "mixed_float16": 5e-3, "mixed_bfloat16": 2e-2}
LAYER_SETTINGS = settings(max_examples=15, deadline=None, database=None)
MODEL_SETTINGS = settings(max_examples=8, deadline=None, database=None)
# Keras warns when a softmax axis has size 1 (one key): a legitimate case here.
ONE_KEY_SOFTMAX = pytest.mark.filterwarnings("ignore:You are using a softmax over axis")


def np32(x):
    return keras.ops.convert_to_numpy(keras.ops.cast(x, "float32"))


# Layers --------------------------------------------------------------------------

DQ, DV = 8, 8
# Cross-attention layers that share the (query, value, query_mask, value_mask) call.
CROSS_LAYERS = {
    "bahdanau": lambda dtype: layers.BahdanauAttention(6, dtype=dtype),
    "bahdanau_normalized": lambda dtype: layers.BahdanauAttention(6, normalize=True, dtype=dtype),
    "luong_dot": lambda dtype: layers.LuongAttention("dot", dtype=dtype),
    "luong_general": lambda dtype: layers.LuongAttention("general", scale=True, dtype=dtype),
    "luong_concat": lambda dtype: layers.LuongAttention("concat", units=5, dtype=dtype),
    "multi_head": lambda dtype: layers.MultiHeadAttention(2, 4, dtype=dtype),
}
_BUILT = {}


def built_layer(name, policy):
    """The layer `name` (a CROSS_LAYERS key, "sdpa" or "self") under `policy`, built
    once for the whole test process."""
    if (name, policy) not in _BUILT:
        if name in CROSS_LAYERS:
            layer = CROSS_LAYERS[name](policy)
            layer(np.zeros((1, 2, DQ), "float32"), np.zeros((1, 3, DV), "float32"))
        elif name == "sdpa":
            layer = layers.ScaledDotProductAttention(dtype=policy)
        elif name == "self":
            layer = layers.MultiHeadSelfAttention(2, 4, dtype=policy)
            layer(np.zeros((1, 2, DQ), "float32"))
        if layer.weights:
            # Non-zero biases and a learned scale away from 1, so a bias leaking into
            # masked rows, or a scale applied in the wrong place, shows.
            rng = np.random.default_rng(0)
            layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
        _BUILT[name, policy] = layer
    return _BUILT[name, policy]


values = st.floats(-3, 3, width=32, allow_nan=False, allow_infinity=False)


@st.composite
def cross_inputs(draw, max_batch=4, max_tq=5, max_tv=7):
    batch = draw(st.integers(1, max_batch))
    tq, tv = draw(st.integers(1, max_tq)), draw(st.integers(1, max_tv))
    query = draw(hnp.arrays(np.float32, (batch, tq, DQ), elements=values))
    value = draw(hnp.arrays(np.float32, (batch, tv, DV), elements=values))
    value_mask = draw(hnp.arrays(np.bool_, (batch, tv)))
    query_mask = draw(hnp.arrays(np.bool_, (batch, tq)))
    if draw(st.booleans()):
        value_mask[draw(st.integers(0, batch - 1))] = False  # a fully masked row
    return query, value, query_mask, value_mask


def call_cross(layer, query, value, query_mask, value_mask):
    """(output, weights) with weights `[B, heads, Tq, Tv]` (heads = 1 if none)."""
    output, weights = layer(query, value, query_mask=query_mask, value_mask=value_mask,
                            return_attention_scores=True)
    weights = np32(weights)
    return np32(output), weights if weights.ndim == 4 else weights[:, None]


def fully_masked_output(layer, policy, shape):
    """What a fully masked query row must give: zero context, or MHA's output bias."""
    if isinstance(layer, layers.MultiHeadAttention):
        compute_dtype = keras.mixed_precision.Policy(policy).compute_dtype
        return np.broadcast_to(np32(keras.ops.cast(layer.output_bias, compute_dtype)), shape)
    return np.zeros(shape, "float32")


def check_weights(weights, row_mask, key_mask, policy):
    """Rows with a live key sum to 1, masked keys get exactly 0, dead rows are all 0."""
    live = row_mask & key_mask.any(-1)[:, None]  # [B, Tq]
    assert np.all(np.isfinite(weights)) and np.all(weights >= 0)
    assert np.all(weights[~np.broadcast_to(key_mask[:, None, None, :], weights.shape)] == 0)
    sums = weights.sum(-1)  # [B, H, Tq]
    np.testing.assert_allclose(sums[np.broadcast_to(live[:, None], sums.shape)], 1.0, atol=10 * ATOL[policy])
    assert np.all(weights[np.broadcast_to(~live[:, None, :, None], weights.shape)] == 0)
    return live


def check_cross_attention_weights_masks_and_finiteness(name, policy, inputs):
    query, value, query_mask, value_mask = inputs
    layer = built_layer(name, policy)
    output, weights = call_cross(layer, *inputs)
    assert output.shape == query.shape[:2] + (DQ if name == "multi_head" else DV,)
    assert np.all(np.isfinite(output))
    live = check_weights(weights, query_mask, value_mask, policy)
    np.testing.assert_allclose(output[~live], fully_masked_output(layer, policy, output[~live].shape),
                               atol=ATOL[policy], rtol=RTOL[policy])


def check_cross_attention_padding_and_batch_invariance(name, policy, inputs, extra, garbage, seed):
    """Masked keys with any values, extra queries or other rows in the batch change nothing."""
    query, value, query_mask, value_mask = inputs
    layer = built_layer(name, policy)
    output, weights = call_cross(layer, *inputs)
    rng = np.random.default_rng(seed)
    batch, tq, tv = value_mask.shape[0], query.shape[1], value.shape[1]
    padded_value = np.concatenate([value, np.full((batch, extra, DV), garbage, "float32")], 1)
    padded_query = np.concatenate([query, rng.normal(size=(batch, extra, DQ)).astype("float32")], 1)
    padded_mask = np.concatenate([value_mask, np.zeros((batch, extra), bool)], 1)
    padded_query_mask = np.concatenate([query_mask, rng.random((batch, extra)) < 0.5], 1)
    padded_output, padded_weights = call_cross(layer, padded_query, padded_value, padded_query_mask, padded_mask)
    np.testing.assert_allclose(padded_output[:, :tq], output, atol=ATOL[policy], rtol=RTOL[policy])
    np.testing.assert_allclose(padded_weights[:, :, :tq, :tv], weights, atol=ATOL[policy], rtol=RTOL[policy])
    assert np.all(padded_weights[..., tv:] == 0)
    row = rng.integers(batch)
    alone, alone_weights = call_cross(layer, query[row:row + 1], value[row:row + 1], query_mask[row:row + 1],
                                      value_mask[row:row + 1])
    np.testing.assert_allclose(alone[0], output[row], atol=ATOL[policy], rtol=RTOL[policy])
    np.testing.assert_allclose(alone_weights[0], weights[row], atol=ATOL[policy], rtol=RTOL[policy])


def check_single_step_query_equals_a_one_step_sequence(name, inputs):
    """The decoder's `[B, Dq]` query path is the `[B, 1, Dq]` path squeezed."""
    query, value, _, value_mask = inputs
    layer = built_layer(name, "float32")
    step, step_weights = layer(query[:, 0], value, value_mask=value_mask, return_attention_scores=True)
    sequence, sequence_weights = call_cross(layer, query[:, :1], value, None, value_mask)
    np.testing.assert_allclose(np32(step), sequence[:, 0], atol=1e-6)
    np.testing.assert_allclose(np32(step_weights), sequence_weights[:, 0, 0], atol=1e-6)


# Models --------------------------------------------------------------------------

MODEL_VOCAB = 23


def build_under_policy(builder, policy):
    """`builder()` (seeded) under the dtype policy `policy`."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        return builder()
    finally:
        keras.config.set_dtype_policy(previous)


@st.composite
def padded_token_ids(draw, batch, max_length, min_length=0):
    """`[B, T]` ids in [1, MODEL_VOCAB) followed by padding; rows may be all padding."""
    length = draw(st.integers(max(1, min_length), max_length))
    lengths = draw(st.lists(st.integers(min_length, length), min_size=batch, max_size=batch))
    ids = np.array(draw(st.lists(st.lists(st.integers(1, MODEL_VOCAB - 1), min_size=length, max_size=length),
                                 min_size=batch, max_size=batch)), "int32")
    ids[np.arange(length)[None, :] >= np.array(lengths)[:, None]] = 0
    return ids


@st.composite
def model_inputs(draw, decoder_only):
    """`{"ids"}` for a decoder-only language model, else `{"source", "target_in"}`."""
    batch = draw(st.integers(1, 3))
    if decoder_only:
        return {"ids": draw(padded_token_ids(batch, 8, min_length=1))}
    # Empty sources (all padding) are legal input: an empty sentence.
    return {"source": draw(padded_token_ids(batch, 7)), "target_in": draw(padded_token_ids(batch, 6, min_length=1))}


def run_model(model, inputs):
    feed = inputs["ids"] if "ids" in inputs else inputs
    return keras.ops.convert_to_numpy(model(feed, training=False))


def target_of(inputs):
    return inputs["ids"] if "ids" in inputs else inputs["target_in"]


def pad(inputs, extra):
    return {key: np.pad(ids, ((0, 0), (0, extra[key]))) for key, ids in inputs.items()}


def check_logits_are_finite_and_padding_and_batch_invariant(model, policy, data, decoder_only):
    inputs = data.draw(model_inputs(decoder_only))
    logits = run_model(model, inputs)
    target = target_of(inputs)
    assert logits.dtype == np.float32 and logits.shape == target.shape + (MODEL_VOCAB,)
    assert np.all(np.isfinite(logits))
    real = target != 0
    # Trailing padding on either side leaves the logits of real target steps alone.
    extra = {key: data.draw(st.integers(1, 4), label=f"extra {key}") for key in inputs}
    padded = run_model(model, pad(inputs, extra))
    np.testing.assert_allclose(padded[:, :target.shape[1]][real], logits[real], atol=ATOL[policy], rtol=RTOL[policy])
    row = data.draw(st.integers(0, target.shape[0] - 1), label="row")
    alone = run_model(model, {key: ids[row:row + 1] for key, ids in inputs.items()})
    np.testing.assert_allclose(alone[0][real[row]], logits[row][real[row]], atol=ATOL[policy], rtol=RTOL[policy])


def check_decoder_is_causal(model, data, decoder_only):
    inputs = data.draw(model_inputs(decoder_only))
    key = "ids" if "ids" in inputs else "target_in"
    length = inputs[key].shape[1]
    step = data.draw(st.integers(0, length - 1), label="step")
    logits = run_model(model, inputs)
    # Rewrite every later target token (padding included) with fresh non-pad ids.
    changed = dict(inputs)
    changed[key] = inputs[key].copy()
    later = data.draw(st.lists(st.integers(1, MODEL_VOCAB - 1), min_size=length - step - 1, max_size=length - step - 1))
    changed[key][:, step + 1:] = np.array(later, "int32")[None, :]
    np.testing.assert_allclose(run_model(model, changed)[:, :step + 1], logits[:, :step + 1], atol=1e-5, rtol=1e-5)
