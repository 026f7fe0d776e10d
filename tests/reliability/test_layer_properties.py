"""Property-based tests of the attention layers (hypothesis).

tests/layers checks each layer against a numpy reference on a few fixed inputs. These
tests instead let hypothesis pick batch sizes, lengths, masks (fully masked rows
included), values and the dtype policy, and check invariants that must hold for every
input: finite outputs, weights that sum to one over unmasked keys (zero for fully
masked rows), padding invariance, batch independence and causality.

Each layer is built once per policy (keras layers accept any batch and length after
`build`); hypothesis only varies the inputs.
"""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_attn import layers

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
# Tolerances when the same row is computed in differently shaped tensors: the CPU
# kernels then sum in another order, in float16/bfloat16 (outputs reach ~10, where a
# float16 ulp is 0.008, and a projection sums 8 such terms). A masking, padding or
# causality bug moves outputs by O(1), far beyond these.
ATOL = {"float32": 1e-5, "mixed_float16": 1.5e-2, "mixed_bfloat16": 6e-2}
RTOL = {"float32": 1e-5, "mixed_float16": 5e-3, "mixed_bfloat16": 2e-2}
# Keras warns when a softmax axis has size 1 (one key): a legitimate case here.
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
SETTINGS = settings(max_examples=15, deadline=None, database=None)

DQ, DV = 8, 8
# Cross-attention layers that share the (query, value, query_mask, value_mask) call.
CROSS = {
    "bahdanau": lambda dtype: layers.BahdanauAttention(6, dtype=dtype),
    "bahdanau_normalized": lambda dtype: layers.BahdanauAttention(6, normalize=True, dtype=dtype),
    "luong_dot": lambda dtype: layers.LuongAttention("dot", dtype=dtype),
    "luong_general": lambda dtype: layers.LuongAttention("general", scale=True, dtype=dtype),
    "luong_concat": lambda dtype: layers.LuongAttention("concat", units=5, dtype=dtype),
    "multi_head": lambda dtype: layers.MultiHeadAttention(2, 4, dtype=dtype),
}
_BUILT = {}


def built(name, policy):
    """The layer `name` under `policy`, built once for the whole module."""
    if (name, policy) not in _BUILT:
        if name in CROSS:
            layer = CROSS[name](policy)
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


def np32(x):
    return keras.ops.convert_to_numpy(keras.ops.cast(x, "float32"))


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
        return np.broadcast_to(np32(keras.ops.cast(layer.output_bias, keras.mixed_precision.Policy(policy).compute_dtype)), shape)
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


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", sorted(CROSS))
@SETTINGS
@given(inputs=cross_inputs())
def test_cross_attention_weights_masks_and_finiteness(name, policy, inputs):
    query, value, query_mask, value_mask = inputs
    layer = built(name, policy)
    output, weights = call_cross(layer, *inputs)
    assert output.shape == query.shape[:2] + (DQ if name == "multi_head" else DV,)
    assert np.all(np.isfinite(output))
    live = check_weights(weights, query_mask, value_mask, policy)
    np.testing.assert_allclose(output[~live], fully_masked_output(layer, policy, output[~live].shape), atol=ATOL[policy], rtol=RTOL[policy])


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", sorted(CROSS))
@SETTINGS
@given(inputs=cross_inputs(max_batch=3), extra=st.integers(1, 4),
       garbage=st.floats(-50, 50, width=32), seed=st.integers(0, 2**16))
def test_cross_attention_padding_and_batch_invariance(name, policy, inputs, extra, garbage, seed):
    """Masked keys with any values, extra queries or other rows in the batch change nothing."""
    query, value, query_mask, value_mask = inputs
    layer = built(name, policy)
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


@pytest.mark.parametrize("name", ["bahdanau", "luong_general", "luong_concat"])
@SETTINGS
@given(inputs=cross_inputs())
def test_single_step_query_equals_a_one_step_sequence(name, inputs):
    """The decoder's `[B, Dq]` query path is the `[B, 1, Dq]` path squeezed."""
    query, value, _, value_mask = inputs
    layer = built(name, "float32")
    step, step_weights = layer(query[:, 0], value, value_mask=value_mask, return_attention_scores=True)
    sequence, sequence_weights = call_cross(layer, query[:, :1], value, None, value_mask)
    np.testing.assert_allclose(np32(step), sequence[:, 0], atol=1e-6)
    np.testing.assert_allclose(np32(step_weights), sequence_weights[:, 0, 0], atol=1e-6)


@st.composite
def causal_inputs(draw):
    """Leading dims `[B, H]`, `Tq <= Tk` (cached decoding), a query index to probe."""
    batch, heads = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    tk = draw(st.integers(1, 7))
    tq = draw(st.integers(1, tk))
    shape = lambda t: (batch, heads, t, 4)
    query, key, value = (draw(hnp.arrays(np.float32, shape(t), elements=values)) for t in (tq, tk, tk))
    key_mask = draw(hnp.arrays(np.bool_, (batch, 1, 1, tk)))
    return query, key, value, key_mask, draw(st.integers(0, tq - 1))


@pytest.mark.parametrize("policy", POLICIES)
@SETTINGS
@given(inputs=causal_inputs(), seed=st.integers(0, 2**16))
def test_scaled_dot_product_causality_any_leading_dims(policy, inputs, seed):
    """Query i sees keys j <= i + Tk - Tq only: changing later keys/values leaves it alone."""
    query, key, value, key_mask, probe = inputs
    layer = built("sdpa", policy)
    tq, tk = query.shape[-2], key.shape[-2]
    output, weights = layer(query, key, value, mask=key_mask, use_causal_mask=True, return_attention_scores=True)
    output, weights = np32(output), np32(weights)
    allowed = np.arange(tk)[None, :] <= np.arange(tq)[:, None] + (tk - tq)
    assert np.all(np.isfinite(output)) and np.all(weights[..., ~allowed] == 0)
    mask = allowed & key_mask  # [B, 1, Tq, Tk]
    live = np.broadcast_to(mask.any(-1), weights.shape[:-1])
    np.testing.assert_allclose(weights.sum(-1)[live], 1.0, atol=10 * ATOL[policy])
    assert np.all(output[~live] == 0) and np.all(weights[~live] == 0)
    future = np.arange(tk) > probe + (tk - tq)
    rng = np.random.default_rng(seed)
    changed_key, changed_value = key.copy(), value.copy()
    changed_key[..., future, :] = rng.normal(0, 3, changed_key[..., future, :].shape)
    changed_value[..., future, :] = rng.normal(0, 3, changed_value[..., future, :].shape)
    changed = np32(layer(query, changed_key, changed_value, mask=key_mask, use_causal_mask=True))
    np.testing.assert_allclose(changed[..., probe, :], output[..., probe, :], atol=ATOL[policy], rtol=RTOL[policy])


@pytest.mark.parametrize("policy", POLICIES)
@SETTINGS
@given(length=st.integers(1, 7), batch=st.integers(1, 3), data=st.data(), seed=st.integers(0, 2**16))
def test_multi_head_self_attention_causality_and_padding(policy, length, batch, data, seed):
    inputs = data.draw(hnp.arrays(np.float32, (batch, length, DQ), elements=values))
    mask = data.draw(hnp.arrays(np.bool_, (batch, length)))
    probe = data.draw(st.integers(0, length - 1))
    layer = built("self", policy)
    output, weights = layer(inputs, mask=mask, use_causal_mask=True, return_attention_scores=True)
    output, weights = np32(output), np32(weights)
    assert np.all(np.isfinite(output))
    # A padded query is a fully masked row (output = output bias); a real query always
    # sees itself, so its weights sum to one.
    np.testing.assert_allclose(weights.sum(-1), np.broadcast_to(mask[:, None, :], weights.shape[:-1]),
                               atol=10 * ATOL[policy])
    np.testing.assert_allclose(output[~mask], fully_masked_output(layer, policy, output[~mask].shape),
                               atol=ATOL[policy], rtol=RTOL[policy])
    assert np.all(np.triu(np.ones((length, length), bool), 1)[None, None] <= (weights == 0))
    rng = np.random.default_rng(seed)
    changed = inputs.copy()
    changed[:, probe + 1:] = rng.normal(0, 3, changed[:, probe + 1:].shape)
    changed_mask = mask.copy()
    changed_mask[:, probe + 1:] = rng.random(changed_mask[:, probe + 1:].shape) < 0.5
    np.testing.assert_allclose(np32(layer(changed, mask=changed_mask, use_causal_mask=True))[:, :probe + 1],
                               output[:, :probe + 1], atol=ATOL[policy], rtol=RTOL[policy])


@pytest.mark.parametrize("policy", POLICIES)
@SETTINGS
@given(batch=st.integers(1, 3), length=st.integers(1, 9), depth=st.integers(1, 9),
       start=st.integers(0, 5000), data=st.data())
def test_positional_encoding_is_a_bounded_shift_consistent_table(policy, batch, length, depth, start, data):
    inputs = data.draw(hnp.arrays(np.float32, (batch, length, depth), elements=values))
    layer = layers.PositionalEncoding(dtype=policy)  # no weights: building is free
    encoded = np32(layer(inputs, start_index=start))
    assert np.all(np.isfinite(encoded))
    # The table is computed in float32 and only then cast, so even at position 5000
    # a float16 encoding is the float32 one rounded, never a float16 angle's error.
    table = np32(layer.encoding(start + length, depth))[start:]
    expected = np32(keras.ops.cast(keras.ops.cast(inputs, layer.compute_dtype)
                                   + keras.ops.cast(table, layer.compute_dtype), "float32"))
    np.testing.assert_allclose(encoded, expected, atol=ATOL[policy], rtol=RTOL[policy])
    assert np.all(np.abs(table) <= 1 + 1e-6)
    np.testing.assert_allclose(table[0, 0::2], np.sin(start / 10000 ** (np.arange(0, depth, 2) / depth)), atol=2e-3)
    mask = np.arange(length)[None] < data.draw(st.integers(0, length))
    assert np.array_equal(np.asarray(layer.compute_mask(inputs, mask)), mask)
