import keras
import numpy as np
import pytest

from keras_attn import models

CONFIGS = {
    "lstm_fixed_context": dict(cell="lstm", attention=None),
    "gru_bahdanau_bidirectional": dict(cell="gru", attention="bahdanau", bidirectional=True),
    "lstm_luong_general_2_layers": dict(cell="lstm", attention="luong", num_layers=2),
    "rnn_luong_concat": dict(cell="rnn", attention="luong", luong_score="concat"),
    "lstm_fixed_context_bidirectional_2_layers": dict(cell="lstm", attention=None, bidirectional=True, num_layers=2),
}
VOCAB = 17


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _build(config, **overrides):
    keras.utils.set_random_seed(0)
    return models.seq2seq(VOCAB, VOCAB + 2, embedding_dim=8, units=12, **{**config, **overrides})


def _batch(batch=3, source_length=6, target_length=5, seed=0):
    rng = np.random.default_rng(seed)
    source = rng.integers(3, VOCAB, size=(batch, source_length)).astype("int32")
    source[0, 4:] = 0  # a shorter sentence in the batch
    target = rng.integers(3, VOCAB, size=(batch, target_length)).astype("int32")
    return {"source": source, "target_in": target}


@pytest.fixture(scope="module", params=list(CONFIGS), ids=list(CONFIGS))
def model(request):
    return _build(CONFIGS[request.param])


def test_outputs_float32_logits(model):
    logits = model(_batch())
    assert tuple(logits.shape) == (3, 5, VOCAB + 2)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"


def test_padding_appended_to_the_source_changes_no_logit(model):
    batch = _batch()
    padded = dict(batch, source=np.pad(batch["source"], ((0, 0), (0, 4))))
    np.testing.assert_allclose(_numpy(model(padded)), _numpy(model(batch)), atol=1e-5)


def test_future_target_tokens_change_no_earlier_logit(model):
    batch = _batch()
    changed = dict(batch, target_in=batch["target_in"].copy())
    changed["target_in"][:, 3:] = np.flip(changed["target_in"][:, 3:], axis=0) + 1
    np.testing.assert_allclose(_numpy(model(changed))[:, :3], _numpy(model(batch))[:, :3], atol=1e-6)


def test_step_by_step_decoding_reproduces_teacher_forcing(model):
    batch = _batch()
    forced = _numpy(model(batch))
    state = model.initial_state(batch["source"])
    for index in range(batch["target_in"].shape[1]):
        logits, state, attention = model.step(batch["target_in"][:, index], state, index)
        np.testing.assert_allclose(_numpy(logits), forced[:, index], atol=1e-5)
        attention = _numpy(attention)
        assert attention.shape == batch["source"].shape
        if model.attention is not None:
            # Weights sum to one over the real source tokens and are zero on padding.
            np.testing.assert_allclose(attention.sum(-1), 1.0, atol=1e-5)
            assert np.all(attention[batch["source"] == 0] == 0)
        else:
            assert np.all(attention == 0)


def test_state_leaves_have_the_batch_first(model):
    state = model.initial_state(_batch()["source"])
    for leaf in keras.tree.flatten(state):
        assert leaf.shape[0] == 3


def test_keras_file_round_trip(model, tmp_path):
    batch = _batch()
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model) and restored.get_config() == model.get_config()
    np.testing.assert_array_equal(_numpy(restored(batch)), _numpy(model(batch)))


@pytest.mark.parametrize("config", ["gru_bahdanau_bidirectional", "lstm_luong_general_2_layers"])
def test_xla_training_reduces_the_loss(config):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("XLA training is checked on the TensorFlow backend")
    model = models.compile_for_translation(
        _build(CONFIGS[config]), optimizer=keras.optimizers.Adam(0.02), jit_compile=True
    )
    batch = _batch(batch=8, seed=1)
    target_out = np.concatenate([batch["target_in"][:, 1:], np.full((8, 1), 2, "int32")], axis=1)
    target_out[0, 3:] = 0  # padding in the targets is ignored
    # fit() traces with an unknown batch size (8 samples in batches of 3): the loop
    # and its gradient must compile without static shapes.
    history = model.fit(batch, target_out, batch_size=3, epochs=4, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < history[0]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"seq2seq: `cell` must be one of \('rnn', 'gru', 'lstm'\), got 'transformer'"):
        models.seq2seq(10, 10, cell="transformer")
    with pytest.raises(ValueError, match=r"seq2seq: `attention` must be one of \(None, 'bahdanau', 'luong'\), got 'dot'"):
        models.seq2seq(10, 10, attention="dot")
    with pytest.raises(ValueError, match="seq2seq: `units` must be a positive int, got 0"):
        models.seq2seq(10, 10, units=0)
