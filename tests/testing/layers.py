"""The check-list every keras_attn layer goes through.

A layer test describes its layer once as a `LayerCase` (how to make it and how to
wire it into a small functional model fed by `Embedding(mask_zero=True)`), then runs
`standard_checks(CASES)`: `.keras` round-trip, config round-trip, mixed precision
(float16 and bfloat16), an XLA training step and gradients reaching every weight.
"""

import dataclasses
from typing import Callable

import keras
import numpy as np
import pytest

BACKEND = keras.backend.backend()
VOCAB = 11


@dataclasses.dataclass
class LayerCase:
    """A layer configuration and how it is called.

    `make_layer(**kwargs)` returns a fresh layer (kwargs: base layer arguments such as
    `dtype`). `wiring` is one of:
      - "cross": `layer(target, source)` (Bahdanau, Luong, MultiHeadAttention);
      - "qkv": `layer(target, source, source)` (ScaledDotProductAttention);
      - "self": `layer(target)` (MultiHeadSelfAttention, PositionalEncoding).
    `call_kwargs` are passed to the call (e.g. `use_causal_mask=True`).
    `output_dtype` is the output's dtype under a mixed precision policy: None (the
    default) for the policy's compute dtype, or a dtype the layer keeps by design
    (e.g. "float32": `TokenEmbedding(reverse=True)`'s logits stay float32).
    """

    name: str
    make_layer: Callable
    wiring: str
    call_kwargs: dict = dataclasses.field(default_factory=dict)
    target_dim: int = 8
    source_dim: int = 8
    output_dtype: str | None = None

    def __str__(self):
        return self.name

    def inputs(self, batch=3, target_length=4, source_length=6):
        """Padded ids; the last source row is all padding (fully masked rows)."""
        inputs = {"target": padded_ids(batch, target_length, seed=1)}
        if self.wiring != "self":
            inputs["source"] = padded_ids(batch, source_length, seed=2, fully_padded_row=batch - 1)
        return inputs


def padded_ids(batch, length, seed, fully_padded_row=None):
    """Token ids in [1, VOCAB) with trailing padding (0) of varying length."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, VOCAB, size=(batch, length))
    lengths = np.linspace(length, 1, batch).round().astype(int)
    ids[np.arange(length)[None, :] >= lengths[:, None]] = 0
    if fully_padded_row is not None:
        ids[fully_padded_row] = 0
    return ids.astype("int32")


def build_model(case, layer, dtype=None):
    """`Embedding(mask_zero=True)` inputs → the layer → its output (a functional model)."""
    embed = lambda dim, name: keras.layers.Embedding(VOCAB, dim, mask_zero=True, dtype=dtype, name=name)
    inputs = {"target": keras.Input((None,), dtype="int32", name="target")}
    target_states = embed(case.target_dim, "target_embedding")(inputs["target"])
    if case.wiring == "self":
        return keras.Model(inputs, layer(target_states, **case.call_kwargs))
    inputs["source"] = keras.Input((None,), dtype="int32", name="source")
    source_states = embed(case.source_dim, "source_embedding")(inputs["source"])
    if case.wiring == "cross":
        output = layer(target_states, source_states, **case.call_kwargs)
    elif case.wiring == "qkv":
        output = layer(target_states, source_states, source_states, **case.call_kwargs)
    else:
        raise ValueError(f"unknown wiring {case.wiring!r}")
    return keras.Model(inputs, output)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def gradients(model, inputs):
    """Gradients of a scalar loss for every trainable variable (None where none flows)."""
    variables = model.trainable_variables
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = keras.ops.sum(keras.ops.square(keras.ops.cast(model(inputs, training=True), "float32")))
        return tape.gradient(loss, variables)
    if BACKEND == "torch":
        loss = keras.ops.sum(keras.ops.square(keras.ops.cast(model(inputs, training=True), "float32")))
        loss.backward()
        return [v.value.grad for v in variables]
    if BACKEND == "jax":
        import jax

        constants = [v.value for v in model.non_trainable_variables]

        def loss(values):
            outputs, _ = model.stateless_call(values, constants, inputs, training=True)
            return keras.ops.sum(keras.ops.square(keras.ops.cast(outputs, "float32")))

        return jax.grad(loss)([v.value for v in variables])
    pytest.skip(f"no gradient helper for the {BACKEND} backend")


def input_gradient(function, x):
    """Gradient of `sum(function(x))` with respect to the numpy array `x`, as numpy."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = keras.ops.sum(function(x))
        return tape.gradient(loss, x).numpy()
    if BACKEND == "torch":
        # On the backend's device (a GPU when there is one), as the layer's weights are.
        x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        keras.ops.sum(function(x)).backward()
        return keras.ops.convert_to_numpy(x.grad)
    if BACKEND == "jax":
        import jax

        # On the backend's default device, as the layer's weights are.
        return np.asarray(jax.grad(lambda x: keras.ops.sum(function(x)))(keras.ops.convert_to_tensor(x)))
    pytest.skip(f"no gradient helper for the {BACKEND} backend")


# The checks ---------------------------------------------------------------------
def check_keras_file_round_trip(case, tmp_path):
    model = build_model(case, case.make_layer())
    inputs = case.inputs()
    expected = _numpy(model(inputs))
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(_numpy(restored(inputs)), expected)


def check_config_round_trip(case, tmp_path):
    layer = case.make_layer()
    model = build_model(case, layer)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    # A serialized-and-deserialized layer (registered name included) is the same layer.
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config
    clone_model = build_model(case, clone)
    clone_model.set_weights(model.get_weights())
    inputs = case.inputs()
    np.testing.assert_array_equal(_numpy(clone_model(inputs)), _numpy(model(inputs)))


def _check_mixed_precision(case, policy):
    layer = case.make_layer(dtype=policy)
    model = build_model(case, layer, dtype=policy)
    output = model(case.inputs())
    expected_dtype = case.output_dtype or keras.mixed_precision.Policy(policy).compute_dtype
    assert keras.backend.standardize_dtype(output.dtype) == expected_dtype
    values = _numpy(keras.ops.cast(output, "float32"))
    assert np.all(np.isfinite(values)), f"{case}: non-finite output under {policy}"
    assert all(
        keras.backend.standardize_dtype(v.dtype) == "float32" for v in layer.weights
    ), "variables must stay float32 under mixed precision"


def check_mixed_float16(case, tmp_path):
    _check_mixed_precision(case, "mixed_float16")


def check_mixed_bfloat16(case, tmp_path):
    _check_mixed_precision(case, "mixed_bfloat16")


def check_xla_training_step(case, tmp_path):
    if BACKEND != "tensorflow":
        pytest.skip("the XLA training step is checked on the TensorFlow backend")
    model = build_model(case, case.make_layer())
    inputs = case.inputs()
    targets = np.ones_like(_numpy(model(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", jit_compile=True)
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(inputs, targets)
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def check_gradients_reach_every_weight(case, tmp_path):
    layer = case.make_layer()
    model = build_model(case, layer)
    grads = gradients(model, case.inputs())
    by_path = {v.path: g for v, g in zip(model.trainable_variables, grads)}
    for variable in model.trainable_variables:
        grad = by_path[variable.path]
        assert grad is not None, f"{case}: no gradient for {variable.path}"
        assert np.any(_numpy(grad) != 0), f"{case}: zero gradient for {variable.path}"


STANDARD_CHECKS = (
    check_keras_file_round_trip,
    check_config_round_trip,
    check_mixed_float16,
    check_mixed_bfloat16,
    check_xla_training_step,
    check_gradients_reach_every_weight,
)


def standard_checks(cases):
    """pytest parameters: every case crossed with every standard check."""
    return [
        pytest.param(case, check, id=f"{case.name}-{check.__name__.removeprefix('check_')}")
        for case in cases
        for check in STANDARD_CHECKS
    ]
