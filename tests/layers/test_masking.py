"""Masks across layers: the helpers, and Keras mask propagation in functional models."""

import keras
import numpy as np
import pytest

from keras_attn import layers
from keras_attn.layers import causal_mask
from keras_attn.layers import masked_softmax


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_causal_mask_alignment():
    np.testing.assert_array_equal(_numpy(causal_mask(3, 3)), np.tril(np.ones((3, 3), bool)))
    # Tq < Tk: bottom-right, each query sees Tk - Tq more keys than under top-left.
    np.testing.assert_array_equal(
        _numpy(causal_mask(2, 4)), np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    )


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_masked_softmax_zeroes_fully_masked_rows_without_nan(dtype):
    scores = keras.ops.cast(np.array([[60000.0, -60000.0, 3.0], [1.0, 2.0, 3.0]]), dtype)
    mask = np.array([[False, False, False], [True, False, True]])
    weights = _numpy(masked_softmax(scores, mask))
    assert weights.dtype == np.float32 and np.all(np.isfinite(weights))
    np.testing.assert_array_equal(weights[0], 0)
    np.testing.assert_allclose(weights[1], [1 / (1 + np.e**2), 0, np.e**2 / (1 + np.e**2)], rtol=1e-3)


# Keras mask propagation: ids → Embedding(mask_zero=True) → layer → masked pooling.
# The functional model gets no explicit masks; the expected value is computed by
# calling the layer with explicit masks. Padded key embeddings are random vectors,
# so a key mask that is not applied changes the result.
_CROSS = [
    ("bahdanau", lambda: layers.BahdanauAttention(4)),
    ("luong", lambda: layers.LuongAttention("general")),
    ("multi_head", lambda: layers.MultiHeadAttention(2, 3)),
]


def _ids():
    target = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 5]], "int32")
    source = np.array([[2, 7, 1, 8, 0, 0], [2, 8, 0, 0, 0, 0]], "int32")
    return target, source


def _masked_mean(x, mask):
    return (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)


def _embeddings(dim=6):
    return keras.layers.Embedding(10, dim, mask_zero=True), keras.layers.Embedding(10, dim, mask_zero=True)


@pytest.mark.parametrize("name,make", _CROSS + [("scaled_dot_product", layers.ScaledDotProductAttention)])
def test_keras_masks_flow_through_cross_attention(name, make):
    target_embedding, source_embedding = _embeddings()
    target_in, source_in = keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")
    layer = make()
    t, s = target_embedding(target_in), source_embedding(source_in)
    attended = layer(t, s, s) if name == "scaled_dot_product" else layer(t, s)
    model = keras.Model([target_in, source_in], keras.layers.GlobalAveragePooling1D()(attended))

    target, source = _ids()
    t, s = target_embedding(target), source_embedding(source)
    t_mask, s_mask = target != 0, source != 0
    if name == "scaled_dot_product":
        explicit = layer(t, s, s, mask=t_mask[:, :, None] & s_mask[:, None, :])
    else:
        explicit = layer(t, s, query_mask=t_mask, value_mask=s_mask)
    expected = _masked_mean(_numpy(explicit), t_mask)
    np.testing.assert_allclose(_numpy(model([target, source])), expected, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_keras_mask_flows_through_self_attention_and_positional_encoding(causal):
    embedding = keras.layers.Embedding(10, 6, mask_zero=True)
    encoding = layers.PositionalEncoding()
    attention = layers.MultiHeadSelfAttention(2, 3)
    ids_in = keras.Input((None,), dtype="int32")
    hidden = attention(encoding(embedding(ids_in)), use_causal_mask=causal)
    model = keras.Model(ids_in, keras.layers.GlobalAveragePooling1D()(hidden))

    target, _ = _ids()
    mask = target != 0
    explicit = attention(encoding(embedding(target)), mask=mask, use_causal_mask=causal)
    np.testing.assert_allclose(_numpy(model(target)), _masked_mean(_numpy(explicit), mask), atol=1e-5)
