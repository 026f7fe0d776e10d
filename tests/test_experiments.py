import os

import keras
import numpy as np
import pytest

from keras_attn import data
from keras_attn import experiments


def test_parameter_budget_is_matched_closely():
    arm = experiments.ARMS["bahdanau"]
    units = experiments.match_parameter_budget(arm, 40_000, 20, 20, embedding_dim=16)
    count = arm.build(20, 20, units, embedding_dim=16).count_params()
    assert abs(count - 40_000) / 40_000 < 0.03
    neighbours = [arm.build(20, 20, u, embedding_dim=16).count_params() for u in (units - 1, units + 1)]
    assert all(abs(count - 40_000) <= abs(n - 40_000) for n in neighbours)


@pytest.mark.slow
def test_attention_beats_the_fixed_context_on_reverse():
    rows = experiments.compare_on_task(
        "reverse", length=12, arms=("fixed_context", "bahdanau"), parameter_budget=30_000,
        train_size=10_000, test_size=200, epochs=4, learning_rate=5e-3, verbose=0,
    )
    scores = {row["model"]: row["exact_match"] for row in rows}
    assert 0.0 <= scores["fixed_context"] <= 1.0
    assert scores["bahdanau"] > 0.8 and scores["bahdanau"] > scores["fixed_context"] + 0.3


@pytest.mark.slow
def test_bahdanau_learns_the_seed_sentence_and_its_alignment():
    study = experiments.ko_en_alignment_study(train_size=12_000, test_size=200, epochs=4, verbose=0)
    assert study["translation"] == "i ate rice"
    assert study["argmax"]["ate"] == "먹었다" and study["argmax"]["rice"] == "밥을"
    assert study["attention"].shape == (4, 4)  # i ate rice [END] x 나는 밥을 먹었다 [END]
    assert study["bleu"] > 80 and study["aer"] < 0.3


def test_teacher_forced_attention_follows_the_step_contract():
    model = experiments.ARMS["bahdanau"].build(12, 9, 8, embedding_dim=4)
    source = np.array([[4, 5, 6, 2], [7, 2, 0, 0]], "int32")
    target_in = np.array([[1, 4, 5], [1, 6, 0]], "int32")
    weights = experiments.teacher_forced_attention(model)(source, target_in).numpy()
    assert weights.shape == (2, 3, 4)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(weights[1, :, 2:] == 0)  # padding gets no weight
    # Row t is the attention of the step fed target_in[:, t].
    state = model.initial_state(source)
    for t in range(3):
        _, state, attention = model.step(target_in[:, t], state, t)
        np.testing.assert_allclose(weights[:, t], attention, atol=1e-6)


def test_alignment_error_rate_of_a_model_is_a_rate_and_unknown_arms_fail():
    examples = list(data.generate("ko-en", "test", size=8, seed=3))
    pairs = data.load("ko-en", "test", size=8, seed=3)
    source = data.WordTokenizer.from_corpus(pairs.map(lambda s, t: s))
    target = data.WordTokenizer.from_corpus(pairs.map(lambda s, t: t))
    model = experiments.ARMS["luong"].build(source.vocabulary_size(), target.vocabulary_size(), 8, embedding_dim=4)
    aer = experiments.attention_alignment_error_rate(model, examples, source, target)
    assert 0.0 <= aer <= 1.0
    with pytest.raises(ValueError, match="Unknown experiment arm 'transformers'"):
        experiments.match_parameter_budget("transformers", 1000, 10, 10)


def test_bottleneck_report_has_tables_and_plots(tmp_path):
    rows = [
        {"task": "reverse", "model": m, "group": str(n), "length": n, "parameters": 1000, "train_seconds": 1.0,
         "exact_match": em, "bleu": 100 * em, "aer": None}
        for m, scores in (("fixed_context", (0.5, 0.0)), ("bahdanau", (1.0, 0.9))) for n, em in zip((10, 20), scores)
    ]
    paths = experiments.write_bottleneck_report(rows, tmp_path / "out", settings={"epochs": 1})
    report = open(paths[0], encoding="utf-8").read()
    assert "| fixed_context | 0.500 | 0.000 |" in report and "| bahdanau | 100.0 | 90.0 |" in report
    assert len(paths) == 3 and all(os.path.getsize(p) > 1000 for p in paths[1:])

    # A rerun replaces the tables and keeps the hand-written discussion below the marker.
    with open(paths[0], "a", encoding="utf-8") as file:
        file.write(f"\n{experiments.NOTES_MARKER}\n## Reading the results\nAttention wins.\n")
    rows[0]["exact_match"] = 0.25
    experiments.write_bottleneck_report(rows, tmp_path / "out", settings={"epochs": 1})
    report = open(paths[0], encoding="utf-8").read()
    assert "| fixed_context | 0.250 | 0.000 |" in report and "0.500" not in report
    assert report.count("Attention wins.") == 1 and report.index("| bahdanau |") < report.index("Attention wins.")


def test_recurrent_arms_clip_the_global_gradient_norm():
    tiny_vocab = (12, 12)
    for name in ("bahdanau", "transformer"):
        model = experiments.ARMS[name].build(*tiny_vocab, 4)
        optimizer = experiments._optimizer(model, 1e-3, global_clipnorm=1.0)
        if name == "transformer":  # the warm-up-free Transformer recipe: β2 0.98, no clipping
            assert optimizer.beta_2 == 0.98 and optimizer.global_clipnorm is None
            continue
        assert optimizer.global_clipnorm == 1.0
        gradients = [keras.ops.convert_to_tensor(np.full(3, 1e6, "float32")),
                     keras.ops.convert_to_tensor(np.full(2, -1e6, "float32"))]
        clipped = [keras.ops.convert_to_numpy(g) for g in optimizer._clip_gradients(gradients)]
        assert np.sqrt(sum(np.sum(np.square(g)) for g in clipped)) == pytest.approx(1.0, rel=1e-5)
        np.testing.assert_allclose(clipped[0], np.full(3, 1 / np.sqrt(5)), rtol=1e-5)  # direction kept
    assert experiments.RECURRENT_GLOBAL_CLIPNORM == 1.0


def test_bottleneck_settings_per_task_and_argument_errors():
    assert experiments._for_task(None, "ko-en", experiments.EPOCHS) == experiments.EPOCHS["ko-en"]
    assert experiments._for_task(3, "ko-en", experiments.EPOCHS) == 3
    assert experiments._for_task({"reverse": 2}, "reverse", experiments.EPOCHS) == 2
    assert experiments._for_task({"reverse": 2}, "ko-en", experiments.EPOCHS) == experiments.EPOCHS["ko-en"]
    with pytest.raises(ValueError, match="unknown task 'en-ko'"):
        experiments.bottleneck_experiment(tasks=("reverse", "en-ko"))
    with pytest.raises(ValueError, match="Unknown experiment arm 'rnn'"):
        experiments.bottleneck_experiment(arms=("rnn",))
    with pytest.raises(ValueError, match="processes must be a positive int"):
        experiments.bottleneck_experiment(processes=0)


def test_every_arm_builds_at_a_matched_budget():
    for name, arm in experiments.ARMS.items():
        size = experiments.match_parameter_budget(name, 30_000, 14, 14)
        count = arm.build(14, 14, size).count_params()
        assert abs(count - 30_000) / 30_000 < 0.2, (name, size, count)


def test_greedy_translator_sizes_the_transformer_cache_to_the_decoding_length():
    """Decoding 70 tokens from a 3-token source must not run past the KV cache
    (whose default size is the source length + 50)."""
    from keras_attn import decoding
    from keras_attn import models

    model = models.transformer(12, 12, num_layers=1, d_model=8, num_heads=2, d_ff=16)
    logits = model.get_layer("logits")
    bias = logits.get_weights()[1]
    bias[decoding.END_ID] = -1e4  # never ends: every sentence decodes the full length
    logits.set_weights([logits.get_weights()[0], bias])
    source = np.array([[5, 6, decoding.END_ID]], "int32")
    assert decoding.initial_state(model, source, 70)["layers"][0]["self_key"].shape[2] == 70
    result = experiments.greedy_translator(model)(source, np.int32(70))
    assert result["tokens"].shape == (1, 70)
