"""The Transformer's decoder block through the shared layer check-list."""

import keras
import numpy as np
import pytest

from keras_attn.layers import CachedMultiHeadAttention
from keras_attn.layers import TransformerDecoderBlock
from tests.testing import LayerCase
from tests.testing import standard_checks

CASES = [
    LayerCase("decoder_block_cross", lambda **kw: TransformerDecoderBlock(2, 16, attention_dropout=0.1, **kw),
              "cross", source_dim=6),
    LayerCase("decoder_block_lm",
              lambda **kw: TransformerDecoderBlock(2, 16, cross_attention=False, norm_first=True, **kw), "self"),
]


@pytest.mark.parametrize("case,check", standard_checks(CASES))
def test_standard_checks(case, check, tmp_path):
    check(case, tmp_path)


def test_decoder_block_step_matches_the_full_causal_call():
    keras.utils.set_random_seed(1)
    block = TransformerDecoderBlock(2, 16, dropout=0.0)
    rng = np.random.default_rng(0)
    target = rng.normal(size=(2, 4, 8)).astype("float32")
    memory = rng.normal(size=(2, 5, 8)).astype("float32")
    memory_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
    full = keras.ops.convert_to_numpy(block(target, memory, memory_mask=memory_mask))
    cache = block.empty_cache(2, 6, memory)
    for t in range(4):
        out, cache, cross = block.step(target[:, t : t + 1], cache, np.array([t, t], "int32"), memory_mask)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out)[:, 0], full[:, t], atol=1e-5)
        assert np.all(keras.ops.convert_to_numpy(cross)[1, :, 0, 2:] == 0)  # padded memory gets no weight


def test_cache_layout_and_attention_sublayers():
    block = TransformerDecoderBlock(2, 16)
    memory = np.ones((3, 5, 6), "float32")
    block(np.zeros((3, 4, 8), "float32"), memory)
    assert isinstance(block.self_attention, CachedMultiHeadAttention)
    assert isinstance(block.cross_attention_layer, CachedMultiHeadAttention)
    cache = block.empty_cache(3, 7, memory)
    assert sorted(cache) == ["cross_key", "cross_value", "self_key", "self_value"]
    assert tuple(cache["self_key"].shape) == tuple(cache["self_value"].shape) == (3, 2, 7, 4)
    assert tuple(cache["cross_key"].shape) == tuple(cache["cross_value"].shape) == (3, 2, 5, 4)
    lm_block = TransformerDecoderBlock(2, 16, cross_attention=False)
    lm_block(np.zeros((3, 4, 8), "float32"))
    assert sorted(lm_block.empty_cache(3, 7)) == ["self_key", "self_value"]


def test_fill_cache_then_step_matches_the_full_causal_call_with_rows_at_different_positions():
    keras.utils.set_random_seed(2)
    block = TransformerDecoderBlock(2, 16, cross_attention=False, dropout=0.0, norm_first=True)
    x = np.random.default_rng(1).normal(size=(2, 6, 8)).astype("float32")
    full = keras.ops.convert_to_numpy(block(x))
    cache, prefix_out = block.fill_cache(block.empty_cache(2, 8), x[:, :3])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(prefix_out), full[:, :3], atol=1e-5)
    # Row 1 restarts at slot 2 (its slot 2 is overwritten), row 0 continues at slot 3.
    positions = np.array([3, 2], "int32")
    for _ in range(3):
        inputs = x[np.arange(2), positions][:, None]
        out, cache, cross = block.step(inputs, cache, positions)
        assert cross is None
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out)[:, 0], full[np.arange(2), positions], atol=1e-5)
        positions = positions + 1


@pytest.mark.parametrize("cross_attention", [True, False])
def test_step_runs_in_the_compute_dtype_under_mixed_precision(cross_attention):
    keras.utils.set_random_seed(3)
    block = TransformerDecoderBlock(2, 16, cross_attention=cross_attention, dropout=0.0, dtype="mixed_float16")
    rng = np.random.default_rng(4)
    target = rng.normal(size=(2, 3, 8)).astype("float32")
    memory = rng.normal(size=(2, 5, 8)).astype("float32") if cross_attention else None
    full = keras.ops.convert_to_numpy(keras.ops.cast(block(target, memory), "float32"))
    cache = block.empty_cache(2, 4, memory)
    assert all(keras.backend.standardize_dtype(value.dtype) == "float16" for value in cache.values())
    for t in range(3):
        out, cache, _ = block.step(target[:, t : t + 1], cache, np.array([t, t], "int32"))
        assert keras.backend.standardize_dtype(out.dtype) == "float16"
        out = keras.ops.convert_to_numpy(keras.ops.cast(out, "float32"))
        np.testing.assert_allclose(out[:, 0], full[:, t], atol=2e-2)


def test_fill_cache_serves_decoder_only_blocks():
    block = TransformerDecoderBlock(2, 16, name="decoder")
    memory = np.ones((1, 3, 8), "float32")
    block(np.zeros((1, 2, 8), "float32"), memory)
    with pytest.raises(ValueError, match="'decoder': `fill_cache` serves decoder-only blocks"):
        block.fill_cache(block.empty_cache(1, 4, memory), np.zeros((1, 2, 8), "float32"))
    with pytest.raises(ValueError, match="'decoder': `memory` is required with cross-attention"):
        block(np.zeros((1, 2, 8), "float32"))


def test_bad_block_arguments_name_the_layer():
    with pytest.raises(ValueError, match="TransformerDecoderBlock: `d_ff` must be a positive int, got 0"):
        TransformerDecoderBlock(2, 0)
    with pytest.raises(ValueError, match="must be divisible by num_heads=3"):
        TransformerDecoderBlock(3, 16, cross_attention=False)(np.zeros((1, 2, 8), "float32"))
    with pytest.raises(ValueError, match=r"TransformerDecoderBlock layer 'block': `memory` must have rank 3"):
        TransformerDecoderBlock(2, 16, name="block")(np.zeros((1, 2, 8), "float32"), np.zeros((1, 8), "float32"))
