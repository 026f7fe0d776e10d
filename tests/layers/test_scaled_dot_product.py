import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_attn.layers import ScaledDotProductAttention
from tests.testing import input_gradient
from tests.testing import LayerCase
from tests.testing import properties
from tests.testing import reference
from tests.testing import standard_checks

CASES = [
    LayerCase("sdpa", lambda **kw: ScaledDotProductAttention(**kw), "qkv"),
    LayerCase("sdpa_causal_dropout", lambda **kw: ScaledDotProductAttention(dropout=0.2, **kw), "qkv",
              call_kwargs={"use_causal_mask": True}),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _qkv(rng, lead=(2, 3), tq=4, tk=6, dk=8, dv=5):
    q = rng.normal(size=lead + (tq, dk)).astype("float32")
    k = rng.normal(size=lead + (tk, dk)).astype("float32")
    v = rng.normal(size=lead + (tk, dv)).astype("float32")
    return q, k, v


def _assert_close_on_valid_rows(actual, expected, mask_rows):
    """Compare rows that attend at least one key; those rows only (SPEC: others are 0)."""
    np.testing.assert_allclose(actual[mask_rows], expected[mask_rows], atol=1e-5, rtol=0)


@pytest.mark.parametrize("tq,tk", [(4, 6), (6, 6), (1, 5)])
def test_matches_numpy_with_padding_and_causal_mask(tq, tk):
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng, tq=tq, tk=tk)
    padding = reference.padding_mask(2, tk, rng, fully_masked_row=1)[:, None, None, :]
    mask = padding & reference.bottom_right_causal(tq, tk)
    out, weights = ScaledDotProductAttention()(
        q, k, v, mask=padding, use_causal_mask=True, return_attention_scores=True
    )
    expected, expected_weights = reference.scaled_dot_product(q, k, v, np.broadcast_to(mask, (2, 3, tq, tk)))
    rows = np.broadcast_to(mask, (2, 3, tq, tk)).any(-1)
    _assert_close_on_valid_rows(keras.ops.convert_to_numpy(out), expected, rows)
    _assert_close_on_valid_rows(keras.ops.convert_to_numpy(weights), expected_weights, rows)
    # Fully masked rows: zero weights and a zero context, never NaN.
    assert np.all(keras.ops.convert_to_numpy(weights)[~rows] == 0)
    assert np.all(keras.ops.convert_to_numpy(out)[~rows] == 0)


def test_causal_mask_is_bottom_right_aligned():
    rng = np.random.default_rng(1)
    q, k, v = _qkv(rng, lead=(1,), tq=2, tk=5)
    _, weights = ScaledDotProductAttention()(q, k, v, use_causal_mask=True, return_attention_scores=True)
    weights = keras.ops.convert_to_numpy(weights)[0]
    # The last query is the newest position: it sees all 5 keys; the first sees 4.
    assert np.all(weights[1] > 0)
    assert np.all(weights[0, :4] > 0) and weights[0, 4] == 0


def test_matches_keras_dot_product_attention():
    rng = np.random.default_rng(2)
    q, k, v = _qkv(rng, tq=5, tk=7, dv=8)
    padding = reference.padding_mask(2, 7, rng)[:, None, None, :]
    ours = ScaledDotProductAttention()(q, k, v, mask=padding)
    # keras.ops takes [B, T, H, d] and a [B, H, Tq, Tk] boolean mask.
    theirs = keras.ops.dot_product_attention(
        np.swapaxes(q, 1, 2), np.swapaxes(k, 1, 2), np.swapaxes(v, 1, 2),
        mask=np.broadcast_to(padding, (2, 3, 5, 7)),
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours), np.swapaxes(keras.ops.convert_to_numpy(theirs), 1, 2), atol=1e-5
    )


def test_matches_torch_scaled_dot_product_attention():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, tq=3, tk=6)
    padding = reference.padding_mask(2, 6, rng)[:, None, None, :]
    mask = padding & reference.bottom_right_causal(3, 6)
    ours = ScaledDotProductAttention()(q, k, v, mask=padding, use_causal_mask=True)
    # torch's bool mask has the same meaning (True = take part); its is_causal aligns
    # top-left, so the bottom-right mask is passed explicitly.
    theirs = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), attn_mask=torch.from_numpy(mask.copy())
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), theirs.numpy(), atol=1e-5)


def test_weights_sum_to_one_and_dropout_only_in_training():
    rng = np.random.default_rng(4)
    q, k, v = _qkv(rng)
    layer = ScaledDotProductAttention(dropout=0.5)
    inference, weights = layer(q, k, v, return_attention_scores=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights).sum(-1), 1.0, atol=1e-5)
    again = layer(q, k, v, training=False)
    # (Not bit-equal: without weights requested the fused kernel may run instead.)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(inference), keras.ops.convert_to_numpy(again), atol=1e-6)
    dropped = layer(q, k, v, training=True)
    assert not np.allclose(keras.ops.convert_to_numpy(dropped), keras.ops.convert_to_numpy(inference))


@pytest.mark.parametrize(
    "shapes,message",
    [
        (((2, 4, 8), (2, 6, 7), (2, 6, 5)), "d_k"),
        (((2, 4, 8), (2, 6, 8), (2, 5, 5)), "number of steps"),
        (((2, 4, 8), (2, 1, 6, 8), (2, 1, 6, 5)), "`key` must have rank 3"),
        (((8,), (6, 8), (6, 5)), "`query` must have rank"),
    ],
)
def test_bad_shapes_raise_value_error_naming_layer_argument_and_shapes(shapes, message):
    q, k, v = (np.zeros(s, "float32") for s in shapes)
    with pytest.raises(ValueError, match="ScaledDotProductAttention layer 'sdpa'") as error:
        ScaledDotProductAttention(name="sdpa")(q, k, v)
    assert message in str(error.value)
    assert str(shapes[0]) in str(error.value) or str(shapes[1]) in str(error.value)


def test_bad_dropout_raises():
    with pytest.raises(ValueError, match="`dropout` must be a float in \\[0, 1\\), got 1.5"):
        ScaledDotProductAttention(dropout=1.5)


@pytest.mark.parametrize("fused", [True, False])
def test_fused_path_matches_weights_path_with_fully_masked_rows(monkeypatch, fused):
    """Without weights requested, the layer may take `keras.ops.dot_product_attention`:
    same outputs (zeros on fully masked rows), finite gradients, on either setting."""
    from keras_attn.layers import scaled_dot_product

    monkeypatch.setitem(scaled_dot_product.FUSED_BACKENDS, keras.backend.backend(), fused)
    rng = np.random.default_rng(5)
    q, k, v = _qkv(rng, tq=4, tk=6, dv=8)
    padding = reference.padding_mask(2, 6, rng, fully_masked_row=1)[:, None, None, :]
    layer = ScaledDotProductAttention()
    assert layer.can_fuse(q, training=False) is fused
    expected, _ = layer(q, k, v, mask=padding, use_causal_mask=True, return_attention_scores=True)
    actual = layer(q, k, v, mask=padding, use_causal_mask=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(actual), keras.ops.convert_to_numpy(expected), atol=1e-5)
    assert np.all(keras.ops.convert_to_numpy(actual)[1] == 0)  # example 1 has no key at all
    gradient = input_gradient(lambda q: layer(q, k, v, mask=padding, use_causal_mask=True), q)
    assert np.all(np.isfinite(gradient))


# Properties (hypothesis): invariants for any input, see tests/testing/properties.py ----------

@st.composite
def causal_inputs(draw):
    """Leading dims `[B, H]`, `Tq <= Tk` (cached decoding), a query index to probe."""
    batch, heads = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    tk = draw(st.integers(1, 7))
    tq = draw(st.integers(1, tk))
    shape = lambda t: (batch, heads, t, 4)
    query, key, value = (draw(hnp.arrays(np.float32, shape(t), elements=properties.values)) for t in (tq, tk, tk))
    key_mask = draw(hnp.arrays(np.bool_, (batch, 1, 1, tk)))
    return query, key, value, key_mask, draw(st.integers(0, tq - 1))


@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("policy", properties.POLICIES)
@properties.LAYER_SETTINGS
@given(inputs=causal_inputs(), seed=st.integers(0, 2**16))
def test_scaled_dot_product_causality_any_leading_dims(policy, inputs, seed):
    """Query i sees keys j <= i + Tk - Tq only: changing later keys/values leaves it alone."""
    atol, rtol = properties.ATOL[policy], properties.RTOL[policy]
    query, key, value, key_mask, probe = inputs
    layer = properties.built_layer("sdpa", policy)
    tq, tk = query.shape[-2], key.shape[-2]
    output, weights = layer(query, key, value, mask=key_mask, use_causal_mask=True, return_attention_scores=True)
    output, weights = properties.np32(output), properties.np32(weights)
    allowed = np.arange(tk)[None, :] <= np.arange(tq)[:, None] + (tk - tq)
    assert np.all(np.isfinite(output)) and np.all(weights[..., ~allowed] == 0)
    mask = allowed & key_mask  # [B, 1, Tq, Tk]
    live = np.broadcast_to(mask.any(-1), weights.shape[:-1])
    np.testing.assert_allclose(weights.sum(-1)[live], 1.0, atol=10 * atol)
    assert np.all(output[~live] == 0) and np.all(weights[~live] == 0)
    future = np.arange(tk) > probe + (tk - tq)
    rng = np.random.default_rng(seed)
    changed_key, changed_value = key.copy(), value.copy()
    changed_key[..., future, :] = rng.normal(0, 3, changed_key[..., future, :].shape)
    changed_value[..., future, :] = rng.normal(0, 3, changed_value[..., future, :].shape)
    changed = properties.np32(layer(query, changed_key, changed_value, mask=key_mask, use_causal_mask=True))
    np.testing.assert_allclose(changed[..., probe, :], output[..., probe, :], atol=atol, rtol=rtol)
