import keras
import numpy as np
import pytest

from keras_attn.layers import CachedMultiHeadAttention
from keras_attn.layers import MultiHeadAttention
from tests.testing import LayerCase
from tests.testing import reference
from tests.testing import standard_checks

CASES = [
    LayerCase("cached_mha_cross", lambda **kw: CachedMultiHeadAttention(2, 4, **kw), "cross", source_dim=6),
    LayerCase(
        "cached_mha_dims_no_bias_causal_dropout",
        lambda **kw: CachedMultiHeadAttention(3, 4, value_dim=5, output_dim=7, use_bias=False, dropout=0.1, **kw),
        "cross",
        call_kwargs={"use_causal_mask": True},
    ),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _layer(x, memory=None, **kwargs):
    """A built layer with non-zero biases (a wrong bias layout cannot pass unnoticed)."""
    layer = CachedMultiHeadAttention(**{"num_heads": 2, "key_dim": 4, **kwargs})
    layer(x, x if memory is None else memory)
    rng = np.random.default_rng(42)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("layer_kwargs", [{}, {"num_heads": 3, "key_dim": 4, "value_dim": 5, "output_dim": 7}])
def test_one_position_at_a_time_equals_full_causal_attention_over_the_prefix(layer_kwargs):
    x = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    layer = _layer(x, **layer_kwargs)
    full, full_weights = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    full, full_weights = _numpy(full), _numpy(full_weights)
    cache = layer.empty_cache(2, 9)
    for t in range(6):
        out, cache, weights = layer.step(x[:, t : t + 1], cache, np.array([t, t], "int32"),
                                         return_attention_scores=True)
        np.testing.assert_allclose(_numpy(out)[:, 0], full[:, t], atol=1e-5)
        weights = _numpy(weights)
        assert weights.shape == (2, layer.num_heads, 1, 9)
        np.testing.assert_allclose(weights[:, :, 0, : t + 1], full_weights[:, :, t, : t + 1], atol=1e-5)
        assert np.all(weights[:, :, 0, t + 1 :] == 0)  # later slots are masked
    # The cache holds every position's projected key and value, in slot order.
    np.testing.assert_allclose(_numpy(cache["key"])[:, :, :6], _numpy(layer.project_key(x)), atol=1e-6)
    np.testing.assert_allclose(_numpy(cache["value"])[:, :, :6], _numpy(layer.project_value(x)), atol=1e-6)
    assert np.all(_numpy(cache["key"])[:, :, 6:] == 0)


def test_rows_at_different_positions_ignore_stale_slots():
    x = np.random.default_rng(1).normal(size=(2, 5, 8)).astype("float32")
    layer = _layer(x)
    full = _numpy(layer(x, x, use_causal_mask=True))
    # Garbage in every slot: only the slots a row has written may count.
    rng = np.random.default_rng(2)
    cache = {name: keras.ops.convert_to_tensor(rng.normal(size=tuple(value.shape)).astype("float32") * 10)
             for name, value in layer.empty_cache(2, 7).items()}
    positions = np.array([0, 0], "int32")
    cache = layer.step(x[:, :1], cache, positions)[1]
    cache = layer.step(x[:, 1:2], cache, positions + 1)[1]  # row 0 and 1 at slot 1
    # Row 0 moves on to slot 2; row 1 rewrites slot 1 from position 1 again.
    for row_positions in ([2, 1], [3, 2], [4, 3]):
        positions = np.array(row_positions, "int32")
        out, cache = layer.step(x[np.arange(2), positions][:, None], cache, positions)
        np.testing.assert_allclose(_numpy(out)[:, 0], full[np.arange(2), positions], atol=1e-5)


def test_fill_cache_writes_the_prefix_then_steps_continue():
    x = np.random.default_rng(3).normal(size=(2, 6, 8)).astype("float32")
    layer = _layer(x, value_dim=3)
    full = _numpy(layer(x, x, use_causal_mask=True))
    out, cache = layer.fill_cache(layer.empty_cache(2, 6), x[:, :4])
    np.testing.assert_allclose(_numpy(out), full[:, :4], atol=1e-5)
    assert tuple(cache["key"].shape) == (2, 2, 6, 4) and tuple(cache["value"].shape) == (2, 2, 6, 3)
    for t in (4, 5):
        out, cache = layer.step(x[:, t : t + 1], cache, np.array([t, t], "int32"))
        np.testing.assert_allclose(_numpy(out)[:, 0], full[:, t], atol=1e-5)


def test_memory_cache_is_projected_once_and_matches_cross_attention():
    rng = np.random.default_rng(4)
    target = rng.normal(size=(2, 3, 8)).astype("float32")
    memory = rng.normal(size=(2, 5, 6)).astype("float32")
    memory_mask = np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)  # row 1: nothing to attend
    layer = _layer(target, memory)
    expected, expected_weights = layer(target, memory, value_mask=memory_mask, return_attention_scores=True)
    cache = layer.memory_cache(memory)
    assert sorted(cache) == ["key", "value"] and tuple(cache["key"].shape) == (2, 2, 5, 4)
    out, weights = layer.attend_cache(target, cache, memory_mask, return_attention_scores=True)
    np.testing.assert_allclose(_numpy(out), _numpy(expected), atol=1e-5)
    np.testing.assert_allclose(_numpy(weights), _numpy(expected_weights), atol=1e-6)
    # Without a mask every slot is attended.
    np.testing.assert_allclose(_numpy(layer.attend_cache(target, cache)), _numpy(layer(target, memory)), atol=1e-5)


def test_matches_numpy_reference_for_a_step():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    layer = _layer(x)
    out, _ = layer.fill_cache(layer.empty_cache(2, 4), x)
    mask = np.broadcast_to(reference.bottom_right_causal(4, 4), (2, 4, 4))
    expected, _ = reference.multi_head(x, x, x, layer.get_weights(), num_heads=2, mask=mask)
    np.testing.assert_allclose(_numpy(out), expected, atol=1e-5)


def test_same_weights_and_outputs_as_multi_head_attention():
    rng = np.random.default_rng(6)
    query, value = rng.normal(size=(2, 3, 8)).astype("float32"), rng.normal(size=(2, 5, 6)).astype("float32")
    cached = _layer(query, value)
    plain = MultiHeadAttention(2, 4)
    plain(query, value)
    assert [w.path.split("/")[-1] for w in cached.weights] == [w.path.split("/")[-1] for w in plain.weights]
    plain.set_weights(cached.get_weights())
    np.testing.assert_array_equal(_numpy(cached(query, value)), _numpy(plain(query, value)))


def test_cached_decoding_runs_in_the_compute_dtype_under_mixed_precision():
    x = np.random.default_rng(7).normal(size=(2, 3, 8)).astype("float32")
    layer = CachedMultiHeadAttention(2, 4, dtype="mixed_float16")
    full = _numpy(keras.ops.cast(layer(x, x, use_causal_mask=True), "float32"))
    cache = layer.empty_cache(2, 4)
    assert keras.backend.standardize_dtype(cache["key"].dtype) == "float16"
    out, cache = layer.fill_cache(cache, x[:, :2])
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    out, cache = layer.step(x[:, 2:], cache, np.array([2, 2], "int32"))
    np.testing.assert_allclose(_numpy(keras.ops.cast(out, "float32"))[:, 0], full[:, 2], atol=1e-2)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    assert keras.backend.standardize_dtype(cache["key"].dtype) == "float16"
    assert keras.backend.standardize_dtype(cache["value"].dtype) == "float16"
    assert np.all(np.isfinite(_numpy(keras.ops.cast(out, "float32"))))
