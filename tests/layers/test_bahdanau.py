import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_attn.layers import BahdanauAttention
from tests.testing import LayerCase
from tests.testing import properties
from tests.testing import reference
from tests.testing import standard_checks

CASES = [
    LayerCase("bahdanau", lambda **kw: BahdanauAttention(5, **kw), "cross", source_dim=6),
    LayerCase("bahdanau_normalized_no_bias_dropout",
              lambda **kw: BahdanauAttention(5, normalize=True, use_bias=False, dropout=0.1, **kw), "cross"),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _setup(normalize=False, use_bias=True, with_key=False, seed=0):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(3, 4, 7)).astype("float32")
    value = rng.normal(size=(3, 6, 5)).astype("float32")
    key = rng.normal(size=(3, 6, 9)).astype("float32") if with_key else None
    layer = BahdanauAttention(8, normalize=normalize, use_bias=use_bias)
    layer(query, value, key=key)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    return rng, query, value, key, layer


@pytest.mark.parametrize("normalize,use_bias,with_key", [(False, True, False), (True, True, True), (False, False, True)])
def test_matches_numpy_additive_attention(normalize, use_bias, with_key):
    rng, query, value, key, layer = _setup(normalize, use_bias, with_key)
    weights = layer.get_weights()
    w_q, w_k = weights[0], weights[1]
    b = weights[2] if use_bias else None
    att_v = weights[3 if use_bias else 2]
    g = weights[-1] if normalize else None
    query_mask = reference.padding_mask(3, 4, rng)
    value_mask = reference.padding_mask(3, 6, rng, fully_masked_row=2)
    context, attention = layer(
        query, value, key=key, query_mask=query_mask, value_mask=value_mask, return_attention_scores=True
    )
    mask = query_mask[:, :, None] & value_mask[:, None, :]
    expected, expected_attention = reference.bahdanau(
        query, value if key is None else key, value, w_q, w_k, b, att_v, mask=mask, g=g
    )
    rows = mask.any(-1)
    np.testing.assert_allclose(_numpy(context)[rows], expected[rows], atol=1e-5)
    np.testing.assert_allclose(_numpy(attention)[rows], expected_attention[rows], atol=1e-5)
    assert np.all(_numpy(context)[~rows] == 0) and np.all(_numpy(attention)[~rows] == 0)


def test_single_step_query_equals_a_one_step_sequence():
    rng, query, value, _, layer = _setup()
    value_mask = reference.padding_mask(3, 6, rng)
    step_context, step_weights = layer(query[:, 1], value, value_mask=value_mask, return_attention_scores=True)
    seq_context, seq_weights = layer(query[:, 1:2], value, value_mask=value_mask, return_attention_scores=True)
    assert tuple(step_context.shape) == (3, 5) and tuple(step_weights.shape) == (3, 6)
    np.testing.assert_allclose(_numpy(step_context), _numpy(seq_context)[:, 0], atol=1e-6)
    np.testing.assert_allclose(_numpy(step_weights), _numpy(seq_weights)[:, 0], atol=1e-6)


def test_weight_order_follows_the_spec():
    layer = BahdanauAttention(4, normalize=True)
    layer(np.zeros((1, 3), "float32"), np.zeros((1, 2, 5), "float32"))
    assert [tuple(w.shape) for w in layer.weights] == [(3, 4), (5, 4), (4,), (4,), ()]


@pytest.mark.parametrize(
    "args,message",
    [
        (((2, 4, 7), (2, 6)), r"`value` must have rank 3, got shape \(2, 6\)"),
        (((2, 1, 4, 7), (2, 6, 5)), r"`query` must have rank 2 or 3, got shape \(2, 1, 4, 7\)"),
    ],
)
def test_bad_shapes_raise(args, message):
    query, value = (np.zeros(s, "float32") for s in args)
    with pytest.raises(ValueError, match="BahdanauAttention layer 'additive': " + message):
        BahdanauAttention(4, name="additive")(query, value)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="BahdanauAttention: `units` must be a positive int, got -1"):
        BahdanauAttention(-1)


# Properties (hypothesis): invariants for any input, see tests/testing/properties.py ----------

PROPERTY_LAYERS = ["bahdanau", "bahdanau_normalized"]


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
@pytest.mark.parametrize("name", ["bahdanau"])
@properties.LAYER_SETTINGS
@given(inputs=properties.cross_inputs())
def test_single_step_query_equals_a_one_step_sequence_for_any_input(name, inputs):
    properties.check_single_step_query_equals_a_one_step_sequence(name, inputs)


def test_each_weight_starts_from_its_own_initializer():
    layer = BahdanauAttention(units=8)
    layer.build((None, 8), (None, 5, 8))
    query_kernel, key_kernel = (keras.ops.convert_to_numpy(w) for w in layer.get_weights()[:2])
    assert query_kernel.shape == key_kernel.shape and not np.allclose(query_kernel, key_kernel)
