import keras
import numpy as np
import pytest

from keras_attn.layers import MultiHeadAttention
from keras_attn.layers import MultiHeadSelfAttention
from tests.layers import reference
from tests.layers.layer_test_helper import LayerCase
from tests.layers.layer_test_helper import standard_checks

CASES = [
    LayerCase("mha_cross", lambda **kw: MultiHeadAttention(2, 4, **kw), "cross", source_dim=6),
    LayerCase(
        "mha_dims_no_bias_causal_dropout",
        lambda **kw: MultiHeadAttention(3, 4, value_dim=5, output_dim=7, use_bias=False, dropout=0.1, **kw),
        "cross",
        call_kwargs={"use_causal_mask": True},
    ),
    LayerCase("mhsa", lambda **kw: MultiHeadSelfAttention(2, 4, **kw), "self"),
    LayerCase("mhsa_causal", lambda **kw: MultiHeadSelfAttention(2, 4, dropout=0.1, **kw), "self",
              call_kwargs={"use_causal_mask": True}),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _inputs(rng, tq=4, tv=6, dq=8, dv=6):
    return rng.normal(size=(2, tq, dq)).astype("float32"), rng.normal(size=(2, tv, dv)).astype("float32")


def _randomize(layer):
    # Non-zero biases, so a wrong bias layout cannot pass unnoticed.
    rng = np.random.default_rng(42)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.get_weights()])


@pytest.mark.parametrize("causal", [False, True])
def test_matches_keras_multi_head_attention_with_copied_weights(causal):
    rng = np.random.default_rng(0)
    query, value = _inputs(rng, tq=5, tv=5)
    query_mask = reference.padding_mask(2, 5, rng)
    value_mask = reference.padding_mask(2, 5, rng)
    theirs_layer = keras.layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5)
    kwargs = dict(query_mask=query_mask, value_mask=value_mask, use_causal_mask=causal, return_attention_scores=True)
    theirs_layer(query, value, **kwargs)
    _randomize(theirs_layer)
    ours_layer = MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5)
    ours_layer(query, value)
    assert [w.shape for w in ours_layer.get_weights()] == [w.shape for w in theirs_layer.get_weights()]
    ours_layer.set_weights(theirs_layer.get_weights())
    ours, ours_weights = ours_layer(query, value, **kwargs)
    theirs, theirs_weights = theirs_layer(query, value, **kwargs)
    mask = query_mask[:, :, None] & value_mask[:, None, :]
    if causal:
        mask = mask & reference.bottom_right_causal(5, 5)  # Tq == Tk: same as keras' top-left
    rows = mask.any(-1)
    np.testing.assert_allclose(_numpy(ours)[rows], _numpy(theirs)[rows], atol=1e-5)
    np.testing.assert_allclose(
        _numpy(ours_weights).transpose(0, 2, 1, 3)[rows], _numpy(theirs_weights).transpose(0, 2, 1, 3)[rows], atol=1e-5
    )


def test_matches_numpy_multi_head_with_masks_and_bottom_right_causal():
    rng = np.random.default_rng(1)
    query, value = _inputs(rng, tq=3, tv=6)
    key = rng.normal(size=(2, 6, 5)).astype("float32")
    layer = MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, output_dim=7)
    layer(query, value, key=key)
    _randomize(layer)
    value_mask = reference.padding_mask(2, 6, rng)
    attention_mask = rng.random((2, 3, 6)) > 0.2
    out, weights = layer(
        query, value, key=key, value_mask=value_mask, attention_mask=attention_mask,
        use_causal_mask=True, return_attention_scores=True,
    )
    mask = value_mask[:, None, :] & attention_mask & reference.bottom_right_causal(3, 6)
    expected, expected_weights = reference.multi_head(
        query, key, value, layer.get_weights(), num_heads=2, mask=mask
    )
    rows = mask.any(-1)
    np.testing.assert_allclose(_numpy(out)[rows], expected[rows], atol=1e-5)
    np.testing.assert_allclose(
        _numpy(weights).transpose(0, 2, 1, 3)[rows], expected_weights.transpose(0, 2, 1, 3)[rows], atol=1e-5
    )


def test_fully_masked_query_row_gives_output_bias_and_zero_weights():
    rng = np.random.default_rng(2)
    query, value = _inputs(rng)
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    layer(query, value)
    _randomize(layer)
    value_mask = np.ones((2, 6), bool)
    value_mask[1] = False
    out, weights = layer(query, value, value_mask=value_mask, return_attention_scores=True)
    out, weights = _numpy(out), _numpy(weights)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[1], np.broadcast_to(_numpy(layer.output_bias), out[1].shape), atol=1e-6)
    assert np.all(weights[1] == 0)


def test_self_attention_equals_multi_head_attention_on_itself():
    rng = np.random.default_rng(3)
    x, _ = _inputs(rng)
    mask = reference.padding_mask(2, 4, rng)
    self_attention = MultiHeadSelfAttention(num_heads=2, key_dim=4)
    cross = MultiHeadAttention(num_heads=2, key_dim=4)
    self_attention(x)
    cross(x, x)
    cross.set_weights(self_attention.get_weights())
    ours = self_attention(x, mask=mask, use_causal_mask=True)
    theirs = cross(x, x, query_mask=mask, value_mask=mask, use_causal_mask=True)
    np.testing.assert_array_equal(_numpy(ours), _numpy(theirs))


@pytest.mark.parametrize(
    "layer_kwargs,message",
    [
        ({"num_heads": 0, "key_dim": 4}, "`num_heads` must be a positive int, got 0"),
        ({"num_heads": 2, "key_dim": 4.0}, "`key_dim` must be a positive int, got 4.0"),
        ({"num_heads": 2, "key_dim": 4, "dropout": -0.1}, "`dropout` must be a float in"),
    ],
)
def test_bad_arguments_raise(layer_kwargs, message):
    with pytest.raises(ValueError, match="MultiHeadAttention") as error:
        MultiHeadAttention(**layer_kwargs)
    assert message in str(error.value)


def test_bad_shapes_raise_value_error_naming_layer_argument_and_shapes():
    with pytest.raises(ValueError, match=r"MultiHeadAttention layer 'mha': `value` must have rank 3, got shape \(2, 6\)"):
        MultiHeadAttention(2, 4, name="mha")(np.zeros((2, 4, 8), "float32"), np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match=r"number of steps of `key` and `value` must match.*\(2, 5, 3\).*\(2, 6, 8\)"):
        MultiHeadAttention(2, 4)(np.zeros((2, 4, 8), "float32"), np.zeros((2, 6, 8), "float32"), key=np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"MultiHeadSelfAttention layer 'self': `inputs|query` must have rank 3"):
        MultiHeadSelfAttention(2, 4, name="self")(np.zeros((4, 8), "float32"))
