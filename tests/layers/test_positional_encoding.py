import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_attn.layers import PositionalEncoding
from tests.testing import LayerCase
from tests.testing import properties
from tests.testing import reference
from tests.testing import standard_checks

CASES = [
    LayerCase("positional_encoding", lambda **kw: PositionalEncoding(**kw), "self"),
    LayerCase("positional_encoding_odd_depth", lambda **kw: PositionalEncoding(max_wavelength=100, **kw), "self",
              target_dim=7),
    LayerCase("positional_encoding_both_ends", lambda **kw: PositionalEncoding(count_from="both_ends", **kw), "self",
              target_dim=7),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


@pytest.mark.parametrize("length,depth,start", [(5, 8, 0), (7, 5, 0), (3, 6, 11), (1, 1, 4)])
def test_matches_the_papers_formula(length, depth, start):
    x = np.random.default_rng(0).normal(size=(2, length, depth)).astype("float32")
    out = keras.ops.convert_to_numpy(PositionalEncoding()(x, start_index=start))
    np.testing.assert_allclose(out - x, np.broadcast_to(reference.positional_encoding(length, depth, start=start), x.shape), atol=1e-5)


def test_tensor_start_index_serves_step_by_step_decoding():
    layer = PositionalEncoding()
    zeros = np.zeros((1, 6, 4), "float32")
    full = keras.ops.convert_to_numpy(layer(zeros))
    for position in range(6):
        step = layer(zeros[:, :1], start_index=keras.ops.convert_to_tensor(position, "int32"))
        np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[0, 0], full[0, position], atol=1e-6)


def test_mask_passes_through_a_functional_model():
    ids = keras.Input((None,), dtype="int32")
    encoded = PositionalEncoding()(keras.layers.Embedding(5, 4, mask_zero=True)(ids))
    pooled = keras.layers.GlobalAveragePooling1D()(encoded)
    model = keras.Model(ids, [encoded, pooled])
    batch = np.array([[1, 2, 0, 0]], "int32")
    encoded_value, pooled_value = (keras.ops.convert_to_numpy(t) for t in model(batch))
    np.testing.assert_allclose(pooled_value[0], encoded_value[0, :2].mean(0), atol=1e-6)


@pytest.mark.parametrize("depth", [8, 7])
def test_both_ends_counts_from_the_start_and_from_each_rows_last_real_step(depth):
    lengths, steps = np.array([6, 4, 1]), 6
    x = np.random.default_rng(1).normal(size=(3, steps, depth)).astype("float32")
    mask = np.arange(steps)[None] < lengths[:, None]
    added = keras.ops.convert_to_numpy(PositionalEncoding(count_from="both_ends")(x, mask=mask)) - x
    first = depth - depth // 2
    for row, n in enumerate(lengths):
        # The first ⌈d/2⌉ features: the paper's table at that depth, position 0 first.
        np.testing.assert_allclose(added[row, :, :first], reference.positional_encoding(steps, first), atol=1e-5)
        # The rest: the table read backwards from the row's last real step (distance 0).
        np.testing.assert_allclose(added[row, :n, first:], reference.positional_encoding(n, depth // 2)[::-1],
                                   atol=1e-5)
    unmasked = keras.ops.convert_to_numpy(PositionalEncoding(count_from="both_ends")(x[:1])) - x[:1]
    np.testing.assert_allclose(unmasked, added[:1], atol=1e-6)  # row 0 has no padding


def test_both_ends_reads_the_keras_mask_of_a_functional_model():
    ids = keras.Input((None,), dtype="int32")
    encoded = PositionalEncoding(count_from="both_ends")(keras.layers.Embedding(5, 4, embeddings_initializer="zeros",
                                                                                mask_zero=True)(ids))
    model = keras.Model(ids, encoded)
    short, padded = (keras.ops.convert_to_numpy(model(np.array(row, "int32"))) for row in ([[1, 2, 3]], [[1, 2, 3, 0, 0]]))
    np.testing.assert_allclose(padded[:, :3], short, atol=1e-6)  # padding does not move the end


def test_bad_arguments_and_shapes_raise():
    with pytest.raises(ValueError, match="PositionalEncoding: `max_wavelength` must be a number greater than 1, got 0"):
        PositionalEncoding(max_wavelength=0)
    with pytest.raises(ValueError, match=r"PositionalEncoding layer 'pe': `inputs` must have rank .*got shape \(4,\)"):
        PositionalEncoding(name="pe")(np.zeros((4,), "float32"))
    with pytest.raises(ValueError, match=r"`count_from` must be one of \('start', 'both_ends'\), got 'end'"):
        PositionalEncoding(count_from="end")
    with pytest.raises(ValueError, match="PositionalEncoding layer .pe.: count_from='both_ends' encodes whole sequences; got start_index=3"):
        PositionalEncoding(count_from="both_ends", name="pe")(np.zeros((1, 2, 4), "float32"), start_index=3)


# Properties (hypothesis): invariants for any input, see tests/testing/properties.py ----------

@pytest.mark.property
@properties.ONE_KEY_SOFTMAX
@pytest.mark.parametrize("policy", properties.POLICIES)
@properties.LAYER_SETTINGS
@given(batch=st.integers(1, 3), length=st.integers(1, 9), depth=st.integers(1, 9),
       start=st.integers(0, 5000), data=st.data())
def test_positional_encoding_is_a_bounded_shift_consistent_table(policy, batch, length, depth, start, data):
    atol, rtol = properties.ATOL[policy], properties.RTOL[policy]
    np32 = properties.np32
    inputs = data.draw(hnp.arrays(np.float32, (batch, length, depth), elements=properties.values))
    layer = PositionalEncoding(dtype=policy)  # no weights: building is free
    encoded = np32(layer(inputs, start_index=start))
    assert np.all(np.isfinite(encoded))
    # The table is computed in float32 and only then cast, so even at position 5000
    # a float16 encoding is the float32 one rounded, never a float16 angle's error.
    table = np32(layer.encoding(start + length, depth))[start:]
    expected = np32(keras.ops.cast(keras.ops.cast(inputs, layer.compute_dtype)
                                   + keras.ops.cast(table, layer.compute_dtype), "float32"))
    np.testing.assert_allclose(encoded, expected, atol=atol, rtol=rtol)
    assert np.all(np.abs(table) <= 1 + 1e-6)
    np.testing.assert_allclose(table[0, 0::2], np.sin(start / 10000 ** (np.arange(0, depth, 2) / depth)), atol=2e-3)
    mask = np.arange(length)[None] < data.draw(st.integers(0, length))
    assert np.array_equal(np.asarray(layer.compute_mask(inputs, mask)), mask)
