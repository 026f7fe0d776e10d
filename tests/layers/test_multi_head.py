import os
import pathlib
import subprocess
import sys
from xml.etree import ElementTree

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_attn.layers import MultiHeadAttention
from keras_attn.layers import MultiHeadSelfAttention
from tests.testing import LayerCase
from tests.testing import properties
from tests.testing import reference
from tests.testing import standard_checks

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
    with pytest.raises(ValueError, match=r"every axis of `key` and `value` but the last must be equal.*\(2, 5, 3\).*\(2, 6, 8\)"):
        MultiHeadAttention(2, 4)(np.zeros((2, 4, 8), "float32"), np.zeros((2, 6, 8), "float32"), key=np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"MultiHeadSelfAttention layer 'self': `inputs|query` must have rank 3"):
        MultiHeadSelfAttention(2, 4, name="self")(np.zeros((4, 8), "float32"))


# Properties (hypothesis): invariants for any input, see tests/testing/properties.py ----------

PROPERTY_LAYERS = ["multi_head"]


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
@pytest.mark.parametrize("policy", properties.POLICIES)
@properties.LAYER_SETTINGS
@given(length=st.integers(1, 7), batch=st.integers(1, 3), data=st.data(), seed=st.integers(0, 2**16))
def test_multi_head_self_attention_causality_and_padding(policy, length, batch, data, seed):
    atol, rtol = properties.ATOL[policy], properties.RTOL[policy]
    inputs = data.draw(hnp.arrays(np.float32, (batch, length, properties.DQ), elements=properties.values))
    mask = data.draw(hnp.arrays(np.bool_, (batch, length)))
    probe = data.draw(st.integers(0, length - 1))
    layer = properties.built_layer("self", policy)
    output, weights = layer(inputs, mask=mask, use_causal_mask=True, return_attention_scores=True)
    output, weights = properties.np32(output), properties.np32(weights)
    assert np.all(np.isfinite(output))
    # A padded query is a fully masked row (output = output bias); a real query always
    # sees itself, so its weights sum to one.
    np.testing.assert_allclose(weights.sum(-1), np.broadcast_to(mask[:, None, :], weights.shape[:-1]),
                               atol=10 * atol)
    np.testing.assert_allclose(output[~mask], properties.fully_masked_output(layer, policy, output[~mask].shape),
                               atol=atol, rtol=rtol)
    assert np.all(np.triu(np.ones((length, length), bool), 1)[None, None] <= (weights == 0))
    rng = np.random.default_rng(seed)
    changed = inputs.copy()
    changed[:, probe + 1:] = rng.normal(0, 3, changed[:, probe + 1:].shape)
    changed_mask = mask.copy()
    changed_mask[:, probe + 1:] = rng.random(changed_mask[:, probe + 1:].shape) < 0.5
    np.testing.assert_allclose(properties.np32(layer(changed, mask=changed_mask, use_causal_mask=True))[:, :probe + 1],
                               output[:, :probe + 1], atol=atol, rtol=rtol)


# A drop-in for keras.layers.MultiHeadAttention -------------------------------------------
def test_query_key_and_value_kernels_start_different_with_keras_spread():
    # Seeded, and large enough (65,536 draws a kernel) that a sample's spread is within
    # 0.5 % of the initializer's: a 10 % tolerance then cannot fail by chance.
    keras.utils.set_random_seed(0)
    ours = MultiHeadAttention(num_heads=4, key_dim=64)
    ours.build((None, 5, 256), (None, 5, 256))
    kernels = [keras.ops.convert_to_numpy(w) for w in ours.get_weights()[::2]]  # Q, K, V, output kernels
    for i in range(4):
        for j in range(i + 1, 4):
            assert kernels[i].shape != kernels[j].shape or not np.allclose(kernels[i], kernels[j]), (i, j)
    theirs = keras.layers.MultiHeadAttention(num_heads=4, key_dim=64)
    theirs.build((None, 5, 256), (None, 5, 256))
    # Glorot uniform with keras' fans (in: D, out: H·d; output kernel in: H·d, out: D): std √(2 / (in + out)).
    expected = np.sqrt(2.0 / (256 + 4 * 64))
    for mine, keras_kernel in zip(kernels, theirs.get_weights()[::2]):
        assert mine.shape == keras_kernel.shape
        assert np.std(mine) == pytest.approx(np.std(keras_kernel), rel=0.10)
        assert np.std(mine) == pytest.approx(expected, rel=0.02)


def test_attention_masks_of_every_shape_keras_takes():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 8)).astype("float32")
    layer = MultiHeadAttention(num_heads=3, key_dim=4)  # num_heads == Tq: a [Tq, Tk] mask is not per head
    causal = np.tril(np.ones((3, 3), bool))
    expected = keras.ops.convert_to_numpy(layer(x, x, attention_mask=np.broadcast_to(causal, (2, 3, 3))))
    for mask in (causal, np.broadcast_to(causal, (2, 3, 3, 3))):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x, x, attention_mask=mask)), expected, atol=1e-6)
    with pytest.raises(ValueError, match=r"`attention_mask` must have shape \[Tq, Tk\].*got shape \(2, 3, 4\)"):
        layer(x, x, attention_mask=np.ones((2, 3, 4), bool))


def test_compute_output_shape_and_spec_follow_the_layer_under_mixed_precision():
    layer = MultiHeadAttention(num_heads=2, key_dim=4, output_dim=6, dtype="mixed_float16")
    assert layer.compute_output_shape((2, 3, 8), (2, 5, 7)) == (2, 3, 6)
    output, weights = layer.compute_output_spec(keras.KerasTensor((2, 3, 8)), keras.KerasTensor((2, 5, 7)),
                                                return_attention_scores=True)
    real_output, real_weights = layer(np.ones((2, 3, 8), "float32"), np.ones((2, 5, 7), "float32"),
                                      return_attention_scores=True)
    assert output.shape == tuple(real_output.shape) and weights.shape == tuple(real_weights.shape)
    assert output.dtype == keras.backend.standardize_dtype(real_output.dtype) == "float16"
    assert weights.dtype == keras.backend.standardize_dtype(real_weights.dtype)
    with pytest.raises(ValueError, match="every axis of `key` and `value` but the last must be equal"):
        layer.compute_output_shape((2, 3, 8), (2, 5, 7), (2, 4, 7))


# keras' own test file, through an adapter that only renames `output_shape` to `output_dim`.
KERAS_MHA_TESTS = pathlib.Path(keras.__file__).parent / "src" / "layers" / "attention" / "multi_head_attention_test.py"
# Tests of keras' file that may fail here, by the reason (test-name prefixes).
NOT_CLAIMED = {
    "attention_axes and inputs of rank > 3": (
        "test_attention_axes_negative_indexing", "test_high_dim_attention", "test_compute_output_shape_high_dim",
        "test_compute_output_shape_different_qv_last_dims"),
    "use_gate and weight constraints": ("test_basics", "test_initializer", "test_mha_constraints"),
    "a tuple output_shape": (
        "test_compute_output_shape_with_key_different_proj", "test_compute_output_shape_without_key_different_proj",
        "test_multi_head_attention_output_shape_as_tuple", "test_multi_head_attention_output_shape_error"),
    "sliding_window, flash_attention, LoRA and quantization": (
        "test_sliding_window", "test_flash_attention", "test_lora", "test_quantize", "test_dtype_policy_map"),
    "keras' private internals (_compute_attention, _query_dense, its causal fast path)": (
        "test_causal_only", "test_compute_attention_combines"),
    "the documented bottom-right causal alignment (Tq != Tk)": ("test_masking_causal",),
    "error wording ('argument `num_heads`')": ("test_invalid_scalar_args_rejected",),
}
MUST_PASS = ("test_masking_not_causal", "test_masking_with_different_shapes", "test_query_mask_propagation",
             "test_compute_output_shape_without_key_same_proj", "test_compute_output_shape_with_key_same_proj",
             "test_shape_mismatch_error_query_value_dim_mismatch", "test_shape_mismatch_error_key_value_dim_mismatch",
             "test_no_warning_with_keras_mask", "test_correctness")


@pytest.mark.skipif(not KERAS_MHA_TESTS.exists(), reason="this keras install ships without its test files")
def test_keras_own_multi_head_attention_tests(tmp_path):
    repo = pathlib.Path(__file__).resolve().parents[2]
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(KERAS_MHA_TESTS), "-p", "tests.layers.keras_mha_adapter",
         "-p", "no:cacheprovider", "-q", f"--junitxml={report}", f"--rootdir={tmp_path}"],
        cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True, text=True, timeout=600,
    )
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    failed, passed = set(), set()
    for case in ElementTree.parse(report).iter("testcase"):
        outcome = {child.tag for child in case}
        (failed if outcome & {"failure", "error"} else passed if not outcome & {"skipped"} else set()).add(
            case.get("name"))
    allowed = tuple(prefix for prefixes in NOT_CLAIMED.values() for prefix in prefixes)
    assert not [name for name in failed if not name.startswith(allowed)], done.stdout[-3000:]
    assert all(any(name.startswith(test) for name in passed) for test in MUST_PASS), sorted(passed)


# The fused path (issue 18): the kernel's own [B, T, H, d] layout and its causal flag. ------------

@pytest.mark.parametrize("value_dim", [None, 6])
@pytest.mark.parametrize("masks", ["none", "causal", "mask", "causal+mask", "cross causal"])
def test_the_fused_output_equals_the_explicit_one(masks, value_dim):
    """Without weights the layer may run the backend's fused kernel; with them, the explicit
    softmax path. Both give one answer, for every mask the layer takes."""
    rng = np.random.default_rng(3)
    query, value = _inputs(rng, tq=5, tv=5 if masks != "cross causal" else 7, dv=8)
    layer = MultiHeadAttention(num_heads=2, key_dim=4, value_dim=value_dim)
    kwargs = {"use_causal_mask": "causal" in masks}
    if "mask" in masks:
        kwargs["attention_mask"] = rng.random((2, 5, 5)) > 0.3
    fused = _numpy(layer(query, value, **kwargs))
    explicit, _ = layer(query, value, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(fused, _numpy(explicit), atol=2e-6)


def test_a_plain_causal_mask_reaches_the_kernel_as_its_flag(monkeypatch):
    """Tq == Tk, nothing else masked: `is_causal=True` and no mask tensor. A cache offset
    (Tq != Tk) or another mask keeps the explicit bottom-right mask."""
    from keras_attn.layers import scaled_dot_product

    if not scaled_dot_product.FUSED_BACKENDS[keras.backend.backend()]:
        pytest.skip(f"{keras.backend.backend()} has no fused kernel here (the explicit path is its fast one)")
    calls = []
    kernel = keras.ops.dot_product_attention

    def spy(*args, **kwargs):
        calls.append((kwargs.get("mask") is None, kwargs.get("is_causal")))
        return kernel(*args, **kwargs)

    monkeypatch.setattr(keras.ops, "dot_product_attention", spy)
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    layer(x, x, use_causal_mask=True)
    layer(x, x[:, :3], use_causal_mask=True)
    layer(x, x, use_causal_mask=True, query_mask=np.array([[1, 1, 1, 1, 0]] * 2, bool))
    assert calls == [(True, True), (False, False), (False, False)]


def test_the_jax_graph_holds_no_more_transposes_and_copies_than_keras():
    """The compiled forward graph (`jax.jit(...).lower(...).compile()`) of ours against
    keras' layer at B2 T16 D32, causal and not."""
    if keras.backend.backend() != "jax":
        pytest.skip("reads jax's compiled graph; runs under KERAS_BACKEND=jax (as CI does)")
    import re

    import jax

    x = np.random.default_rng(0).normal(size=(2, 16, 32)).astype("float32")

    def op_counts(layer, causal):
        layer(x, x)
        weights = [v.value for v in layer.trainable_variables]
        function = jax.jit(lambda w, x: layer.stateless_call(w, [], x, x, use_causal_mask=causal)[0])
        ops = re.findall(r"= \S+ (\w+)\(", function.lower(weights, x).compile().as_text())
        return {name: ops.count(name) for name in ("transpose", "copy")}

    for causal in (False, True):
        ours = op_counts(MultiHeadAttention(4, 8), causal)
        theirs = op_counts(keras.layers.MultiHeadAttention(4, 8), causal)
        assert ours["transpose"] <= theirs["transpose"] and ours["copy"] <= theirs["copy"], (causal, ours, theirs)
