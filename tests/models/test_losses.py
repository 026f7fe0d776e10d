import keras
import numpy as np
import pytest

from keras_attn import models


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_masked_loss_is_the_token_mean_of_smoothed_cross_entropy(smoothing):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 4, 6)).astype("float32")
    targets = np.array([[3, 1, 2, 0], [4, 2, 0, 0]])
    log_probs = _log_softmax(logits.astype(np.float64))
    nll = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    per_token = (1 - smoothing) * nll - smoothing * log_probs.mean(-1)
    mask = targets != 0
    expected = per_token[mask].mean()
    loss = models.MaskedSparseCrossentropy(label_smoothing=smoothing)(targets, logits)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_masked_loss_config_round_trip():
    loss = models.MaskedSparseCrossentropy(label_smoothing=0.1)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, models.MaskedSparseCrossentropy) and restored.label_smoothing == 0.1
    with pytest.raises(ValueError, match="MaskedSparseCrossentropy: `label_smoothing` must be a float in \\[0, 1\\), got 1.0"):
        models.MaskedSparseCrossentropy(label_smoothing=1.0)


def test_masked_accuracy_counts_tokens_across_batches():
    metric = models.MaskedAccuracy()
    one_hot = lambda ids: np.eye(5)[ids]
    metric.update_state(np.array([[1, 2, 0]]), one_hot(np.array([[1, 3, 4]])))  # 1 of 2
    metric.update_state(np.array([[3, 3, 3]]), one_hot(np.array([[3, 3, 3]])))  # 3 of 3
    assert float(metric.result()) == pytest.approx(4 / 5)
    metric.reset_state()
    assert float(metric.result()) == 0.0
