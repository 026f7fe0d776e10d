import keras
import pytest

from keras_attn import models


def test_replace_keeps_defaults_for_none_and_refuses_unknown_settings():
    policy = models.TrainingPolicy(learning_rate=None, beta_2=0.98)
    assert policy.replace(learning_rate=None, warmup_steps=10).warmup_steps == 10
    assert policy.replace(learning_rate=None).learning_rate is None
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['lr'\]"):
        policy.replace(lr=1e-3)


def test_optimizer_is_a_fixed_rate_or_the_warm_up_schedule():
    fixed = models.TrainingPolicy(learning_rate=1e-3, beta_2=0.98, epsilon=1e-9, global_clipnorm=1.0).optimizer()
    assert isinstance(fixed, keras.optimizers.Adam) and fixed.beta_2 == 0.98 and fixed.global_clipnorm == 1.0
    scheduled = models.TrainingPolicy(learning_rate=None, warmup_steps=4000).optimizer(d_model=512)
    schedule = scheduled.get_config()["learning_rate"]
    assert schedule["class_name"] == "TransformerSchedule"
    assert schedule["config"] == {"d_model": 512, "warmup_steps": 4000, "scale": 1.0}
    assert scheduled.beta_2 == 0.999  # the policy's Adam settings are not the schedule's business
    with pytest.raises(ValueError, match="d_model"):
        models.TrainingPolicy(learning_rate=None).optimizer()


def test_compile_kwargs_hold_the_masked_loss_and_accuracy():
    kwargs = models.TrainingPolicy(label_smoothing=0.1).compile_kwargs()
    assert set(kwargs) == {"optimizer", "loss", "metrics", "jit_compile"}
    assert isinstance(kwargs["loss"], models.MaskedSparseCrossentropy) and kwargs["loss"].label_smoothing == 0.1
    assert isinstance(kwargs["metrics"][0], models.MaskedAccuracy)


def test_xla_follows_the_device():
    # These test machines have no accelerator: the CPU setting decides.
    assert models.TrainingPolicy(xla_on_cpu=True).use_xla() is True
    assert models.TrainingPolicy(xla_on_cpu=False, xla_on_accelerator=True).use_xla() is False


def test_compile_transformer_is_the_family_policy_with_its_settings():
    model = models.transformer(12, 12, num_layers=1, d_model=8, num_heads=2, d_ff=8)
    models.compile_transformer(model, warmup_steps=10, scale=2.0, label_smoothing=0.0)
    schedule = model.optimizer.get_config()["learning_rate"]["config"]
    assert schedule == {"d_model": 8, "warmup_steps": 10, "scale": 2.0}
    assert model.optimizer.epsilon == 1e-9 and model.loss.label_smoothing == 0.0 and not model.jit_compile
