import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_attn.layers import LuongAttention
from tests.testing import LayerCase
from tests.testing import properties
from tests.testing import reference
from tests.testing import standard_checks

CASES = [
    LayerCase("luong_dot_scaled", lambda **kw: LuongAttention("dot", scale=True, **kw), "cross"),
    LayerCase("luong_general", lambda **kw: LuongAttention("general", dropout=0.1, **kw), "cross", source_dim=6),
    LayerCase("luong_concat", lambda **kw: LuongAttention("concat", units=5, **kw), "cross", source_dim=6),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("score", ["dot", "general", "concat"])
@pytest.mark.parametrize("scale", [False, True])
def test_matches_numpy_multiplicative_attention(score, scale):
    rng = np.random.default_rng(0)
    dk = 7 if score == "dot" else 5
    query = rng.normal(size=(3, 4, 7)).astype("float32")
    key = rng.normal(size=(3, 6, dk)).astype("float32")
    value = rng.normal(size=(3, 6, 4)).astype("float32")
    layer = LuongAttention(score, scale=scale)
    layer(query, value, key=key)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.get_weights()])
    weights = layer.get_weights()
    g = weights.pop() if scale else None
    query_mask = reference.padding_mask(3, 4, rng)
    value_mask = reference.padding_mask(3, 6, rng, fully_masked_row=1)
    context, attention = layer(
        query, value, key=key, query_mask=query_mask, value_mask=value_mask, return_attention_scores=True
    )
    mask = query_mask[:, :, None] & value_mask[:, None, :]
    expected, expected_attention = reference.luong(
        query, key, value, score, w=weights[0] if weights else None,
        att_v=weights[1] if len(weights) > 1 else None, g=g, mask=mask,
    )
    rows = mask.any(-1)
    np.testing.assert_allclose(_numpy(context)[rows], expected[rows], atol=1e-5)
    np.testing.assert_allclose(_numpy(attention)[rows], expected_attention[rows], atol=1e-5)
    assert np.all(_numpy(context)[~rows] == 0)


@pytest.mark.parametrize("scale", [False, True])
def test_dot_score_matches_keras_attention(scale):
    rng = np.random.default_rng(1)
    query = rng.normal(size=(2, 4, 6)).astype("float32")
    value = rng.normal(size=(2, 5, 6)).astype("float32")
    query_mask = reference.padding_mask(2, 4, rng)
    value_mask = reference.padding_mask(2, 5, rng)
    ours = LuongAttention("dot", scale=scale)
    theirs = keras.layers.Attention(use_scale=scale, score_mode="dot")
    ours_out = ours(query, value, query_mask=query_mask, value_mask=value_mask)
    theirs_out = theirs([query, value], mask=[query_mask, value_mask])
    if scale:  # both scales start at 1: set a common non-trivial value
        ours.set_weights([np.array(1.7, "float32")])
        theirs.set_weights([np.array(1.7, "float32")])
        ours_out = ours(query, value, query_mask=query_mask, value_mask=value_mask)
        theirs_out = theirs([query, value], mask=[query_mask, value_mask])
    # keras zeroes padded queries' outputs, as SPEC.md asks of ours: compare everything.
    np.testing.assert_allclose(_numpy(ours_out), _numpy(theirs_out), atol=1e-5)


def test_weight_shapes_follow_the_spec():
    query, value = np.zeros((1, 2, 3), "float32"), np.zeros((1, 4, 5), "float32")
    shapes = lambda layer: [tuple(w.shape) for w in layer.weights]
    general, concat = LuongAttention("general"), LuongAttention("concat", scale=True)
    general(query, value)
    concat(query, value)
    assert shapes(general) == [(3, 5)]
    assert shapes(concat) == [(8, 3), (3,), ()]  # units defaults to Dq


def test_bad_arguments_and_shapes_raise():
    with pytest.raises(ValueError, match=r"LuongAttention: `score` must be one of \('dot', 'general', 'concat'\), got 'cosine'"):
        LuongAttention("cosine")
    with pytest.raises(ValueError, match=r"LuongAttention layer 'mult': with score='dot' the feature sizes of `query` and `key` must match.*\(2, 4, 6\).*\(2, 5, 3\)"):
        LuongAttention("dot", name="mult")(np.zeros((2, 4, 6), "float32"), np.zeros((2, 5, 3), "float32"))


# Properties (hypothesis): invariants for any input, see tests/testing/properties.py ----------

PROPERTY_LAYERS = ["luong_concat", "luong_dot", "luong_general"]


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("policy", properties.POLICIES)
@pytest.mark.parametrize("name", PROPERTY_LAYERS)
@properties.LAYER_SETTINGS
@given(inputs=properties.cross_inputs())
def test_cross_attention_weights_masks_and_finiteness(name, policy, inputs):
    properties.check_cross_attention_weights_masks_and_finiteness(name, policy, inputs)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("policy", properties.POLICIES)
@pytest.mark.parametrize("name", PROPERTY_LAYERS)
@properties.LAYER_SETTINGS
@given(inputs=properties.cross_inputs(max_batch=3), extra=st.integers(1, 4),
       garbage=st.floats(-50, 50, width=32), seed=st.integers(0, 2**16))
def test_cross_attention_padding_and_batch_invariance(name, policy, inputs, extra, garbage, seed):
    properties.check_cross_attention_padding_and_batch_invariance(name, policy, inputs, extra, garbage, seed)


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("name", ["luong_general", "luong_concat"])
@properties.LAYER_SETTINGS
@given(inputs=properties.cross_inputs())
def test_single_step_query_equals_a_one_step_sequence_for_any_input(name, inputs):
    properties.check_single_step_query_equals_a_one_step_sequence(name, inputs)


def test_each_weight_starts_from_its_own_initializer():
    layer = LuongAttention("concat", units=8)
    layer.build((None, 8), (None, 5, 8))
    kernel, v = (keras.ops.convert_to_numpy(w) for w in layer.get_weights()[:2])
    assert not np.allclose(kernel[:8, 0], kernel[8:, 0]) and np.std(v) > 0
    shared = keras.initializers.GlorotUniform()
    a, b = LuongAttention("general", kernel_initializer=shared), LuongAttention("general", kernel_initializer=shared)
    for layer in (a, b):
        layer.build((None, 8), (None, 5, 8))
    assert not np.allclose(keras.ops.convert_to_numpy(a.kernel), keras.ops.convert_to_numpy(b.kernel))
