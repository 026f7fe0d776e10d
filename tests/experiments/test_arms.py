import numpy as np
import pytest
import tensorflow as tf

from keras_attn import experiments
from keras_attn.experiments import arms


def test_parameter_budget_is_matched_closely():
    arm = experiments.ARMS["bahdanau"]
    units = experiments.match_parameter_budget(arm, 40_000, 20, 20, embedding_dim=16)
    count = arm.build(20, 20, units, embedding_dim=16).count_params()
    assert abs(count - 40_000) / 40_000 < 0.03
    neighbours = [arm.build(20, 20, u, embedding_dim=16).count_params() for u in (units - 1, units + 1)]
    assert all(abs(count - 40_000) <= abs(n - 40_000) for n in neighbours)


def test_every_arm_builds_at_a_matched_budget():
    for name, arm in experiments.ARMS.items():
        size = experiments.match_parameter_budget(name, 30_000, 14, 14)
        count = arm.build(14, 14, size).count_params()
        assert abs(count - 30_000) / 30_000 < 0.2, (name, size, count)


def test_unknown_arms_fail_with_the_known_ones():
    with pytest.raises(ValueError, match="Unknown experiment arm 'transformers'.*'bahdanau'"):
        experiments.match_parameter_budget("transformers", 1000, 10, 10)


def test_which_arms_have_attention():
    assert {name: arm.has_attention for name, arm in experiments.ARMS.items()} == {
        "fixed_context": False, "bahdanau": True, "luong": True, "transformer": True}


def test_build_matched_is_seeded():
    first, size = arms.build_matched("bahdanau", (12, 12), 5_000, 8, seed=3)
    second, _ = arms.build_matched("bahdanau", (12, 12), 5_000, 8, seed=3)
    assert size == first.units
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_model_uses_the_family_policy_with_the_callers_overrides():
    batches = tf.data.Dataset.from_tensors(
        ({"source": np.array([[4, 5, 2]] * 4, "int32"), "target_in": np.array([[1, 4, 5]] * 4, "int32")},
         np.array([[4, 5, 2]] * 4, "int32")))
    for name in ("bahdanau", "transformer"):
        model = experiments.ARMS[name].build(12, 12, 4)
        seconds = arms.train_model(model, batches, 1, 0, learning_rate=1e-3, global_clipnorm=1.0)
        expected = model.default_compile_kwargs(learning_rate=1e-3, global_clipnorm=1.0)
        assert seconds > 0 and model.optimizer.global_clipnorm == 1.0
        assert model.optimizer.beta_2 == expected["optimizer"].beta_2
        assert model.optimizer.epsilon == expected["optimizer"].epsilon
        assert model.loss.label_smoothing == expected["loss"].label_smoothing
    assert model.optimizer.beta_2 == 0.98 and model.loss.label_smoothing == 0.1  # the Transformer's


def test_word_tokenizers_from_lists_and_datasets():
    pairs = [("나는 밥을 먹었다", "i ate rice"), ("나는 갔다", "i went")]
    source, target = arms.word_tokenizers(pairs)
    assert target.vocabulary_size() == 4 + 4 and source.vocabulary_size() == 4 + 4
