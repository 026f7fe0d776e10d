import numpy as np
import pytest
import tensorflow as tf

from keras_attn import data
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


def test_an_arm_trains_by_its_own_settings_or_at_the_experiments_rate():
    assert experiments.ARMS["bahdanau"].policy_overrides(3e-3) == {"learning_rate": 3e-3}
    transformer = experiments.ARMS["transformer"]
    model = transformer.build(12, 12, 12)  # d_model 48, the size of the bottleneck experiment's reverse arm
    optimizer = model.default_compile_kwargs(**transformer.policy_overrides(3e-3))["optimizer"]
    rates = []
    for step in (0, 200, 399, 1_000, 4_000):
        optimizer.iterations.assign(step)
        rates.append(float(optimizer.learning_rate))
    assert rates[2] == max(rates) and abs(rates[2] - 2e-3) < 5e-5  # warm-up over 400 steps to 2e-3
    assert rates[3] < rates[2] and rates[4] < rates[3]  # then the schedule's 1/√step decay
    assert model.norm_first and model.source_positions == "both_ends"


def test_train_model_knows_the_steps_of_an_epoch(recwarn):
    pairs = [("a b c", "c b a"), ("b c", "c b")] * 40
    tokenizers = arms.word_tokenizers(pairs)
    batches = data.make_training_dataset(pairs, *tokenizers, batch_size=8, max_length=8, seed=0)
    model = experiments.ARMS["fixed_context"].build(*(t.vocabulary_size() for t in tokenizers), 4)
    arms.train_model(model, batches, 2, 0)
    assert not [w for w in recwarn if "ran out of data" in str(w.message)]


def test_word_tokenizers_from_lists_and_datasets():
    pairs = [("나는 밥을 먹었다", "i ate rice"), ("나는 갔다", "i went")]
    source, target = arms.word_tokenizers(pairs)
    assert target.vocabulary_size() == 4 + 4 and source.vocabulary_size() == 4 + 4
