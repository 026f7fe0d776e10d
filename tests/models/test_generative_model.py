"""The contract every generating family states: `generate`, traced once per shape, and
`compile()` with the family's training defaults."""

import keras
import numpy as np
import pytest

from keras_attn import decoding
from keras_attn import models

SOURCE = np.array([[5, 6, 7, 2], [8, 2, 0, 0]], "int32")


def _families():
    return {
        "seq2seq": models.seq2seq(12, 14, cell="gru", units=8, embedding_dim=4),
        "transformer": models.transformer(12, 14, num_layers=1, d_model=8, num_heads=2, d_ff=16),
        "lm": models.transformer_decoder_lm(14, num_layers=1, d_model=8, num_heads=2, d_ff=16),
    }


@pytest.mark.parametrize("family", ["seq2seq", "transformer", "lm"])
def test_generate_returns_one_result_dict_and_does_not_retrace(family):
    model = _families()[family]
    inputs = SOURCE if family != "lm" else SOURCE[:, :2]
    state_options = {"use_cache": True} if family == "lm" else {}  # what the LM's generate passes on
    for strategy in ("greedy", "beam", "sample"):
        settings = dict(strategy=strategy, beam_size=3, seed=1)
        first = model.generate(inputs, max_length=6, **settings)
        function = decoding.generation_function(model, strategy=strategy, beam_size=3, length_penalty=0.6,
                                                temperature=1.0, top_k=None, seed=1, **state_options)
        traces = function.experimental_get_tracing_count()
        second = model.generate(inputs, max_length=6, **settings)
        assert traces >= 1 and function.experimental_get_tracing_count() == traces, (family, strategy)
        assert set(first) == {"tokens", "lengths", "log_probs", "scores", "attention"}
        assert first["tokens"].shape == (2, 6) and first["attention"].shape[:2] == (2, 6)
        np.testing.assert_array_equal(first["tokens"], second["tokens"])
    # Another shape signature traces once more; it is then cached too.
    model.generate(inputs[:1], max_length=6)
    greedy = decoding.generation_function(model, strategy="greedy", beam_size=4, length_penalty=0.6,
                                          temperature=1.0, top_k=None, seed=None, **state_options)
    count = greedy.experimental_get_tracing_count()
    model.generate(inputs[:1], max_length=6)
    assert greedy.experimental_get_tracing_count() == count


def test_generate_matches_the_plain_decoding_loop():
    model = _families()["transformer"]
    expected = decoding.greedy_search(model.step, model.initial_state(SOURCE, max_length=5), 2, 5)
    np.testing.assert_array_equal(model.generate(SOURCE, max_length=5)["tokens"], expected["tokens"])
    np.testing.assert_array_equal(model.decode(SOURCE, max_length=5)["tokens"], expected["tokens"])


def test_the_decoding_contract_is_stated_by_each_family():
    families = _families()
    assert families["seq2seq"].has_attention and families["transformer"].has_attention
    assert not families["lm"].has_attention
    assert not models.seq2seq(12, 14, attention=None, units=8).has_attention
    assert families["transformer"].default_max_length(SOURCE) == 4 + 50
    assert families["lm"].default_max_length(SOURCE) == 50
    for model in families.values():
        assert isinstance(model, models.GenerativeModel)
        assert model.max_decode_length is None and model.max_source_length is None


def test_compile_without_arguments_applies_the_family_policy():
    families = _families()
    seq2seq, transformer = families["seq2seq"], families["transformer"]
    seq2seq.compile()
    assert float(keras.ops.convert_to_numpy(seq2seq.optimizer.learning_rate)) == pytest.approx(3e-3)
    assert seq2seq.loss.label_smoothing == 0.0 and seq2seq.jit_compile  # XLA wins for recurrent steps on a CPU
    transformer.compile()
    assert transformer.optimizer.get_config()["learning_rate"]["class_name"] == "TransformerSchedule"
    assert transformer.optimizer.epsilon == 1e-9 and transformer.loss.label_smoothing == 0.1
    assert not transformer.jit_compile  # on a CPU-only machine
    transformer.compile(optimizer="sgd")  # "auto" arguments keep their defaults
    assert isinstance(transformer.optimizer, keras.optimizers.SGD) and transformer.loss.label_smoothing == 0.1
    transformer.compile(loss="mse")  # a loss of one's own drops the masked accuracy
    assert transformer.loss == "mse"


def test_a_preset_adjusts_its_family_policy():
    model = models.from_preset("tiny_transformer", 20, 20)
    assert model.training_policy.warmup_steps == 1000
    assert models.transformer(20, 20, num_layers=1, d_model=8, num_heads=2, d_ff=8).training_policy.warmup_steps == 4000


def test_a_saved_compiled_model_loads_compiled_with_its_optimizer_state(tmp_path):
    model = _families()["transformer"]
    model.compile(**model.default_compile_kwargs(learning_rate=1e-3))
    batch = ({"source": SOURCE, "target_in": np.array([[1, 5, 6], [1, 8, 0]], "int32")},
             np.array([[5, 6, 2], [8, 2, 0]], "int32"))
    model.fit(*batch, epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")
    assert restored.compiled and int(restored.optimizer.iterations) == 1
    assert restored.optimizer.epsilon == 1e-9 and restored.loss.label_smoothing == 0.1
    for ours, theirs in zip(restored.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs))
