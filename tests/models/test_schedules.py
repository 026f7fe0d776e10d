import keras
import numpy as np
import pytest

from keras_attn import models


def _paper(step, d_model, warmup):
    return d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)


@pytest.mark.parametrize("d_model,warmup,scale", [(512, 4000, 1.0), (64, 100, 2.5)])
def test_schedule_matches_the_formula(d_model, warmup, scale):
    schedule = models.TransformerSchedule(d_model, warmup, scale)
    for step in (1, 2, 10, warmup // 2, warmup - 1, warmup, warmup + 1, 3 * warmup, 100_000):
        np.testing.assert_allclose(float(schedule(step)), scale * _paper(step, d_model, warmup), rtol=1e-5)
    # Keras's first optimizer step is 0: it gets step 1's rate, not 0.
    assert float(schedule(0)) == pytest.approx(float(schedule(1)))


def test_schedule_peaks_at_the_end_of_warmup():
    schedule = models.TransformerSchedule(512, 4000)
    rates = [float(schedule(s)) for s in range(3000, 5001, 50)]
    assert max(rates) == pytest.approx(float(schedule(4000)))
    assert float(schedule(4000)) == pytest.approx((512 * 4000) ** -0.5, rel=1e-6)


def test_schedule_is_serializable_and_drives_the_paper_optimizer():
    schedule = models.TransformerSchedule(128, 300, scale=2.0)
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(revived) is models.TransformerSchedule and revived.get_config() == schedule.get_config()
    optimizer = models.transformer_optimizer(128, 300, 2.0)
    config = optimizer.get_config()
    assert (config["beta_1"], config["beta_2"], config["epsilon"]) == (0.9, 0.98, 1e-9)
    restored = keras.optimizers.Adam.from_config(config)
    assert float(restored.learning_rate) == pytest.approx(float(schedule(0)))


def test_bad_schedule_arguments_raise():
    with pytest.raises(ValueError, match="TransformerSchedule: `warmup_steps` must be a positive int, got 0"):
        models.TransformerSchedule(512, 0)
