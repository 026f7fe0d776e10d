import pytest

from keras_attn import experiments


@pytest.mark.slow
def test_attention_beats_the_fixed_context_on_reverse():
    rows = experiments.compare_on_task(
        "reverse", length=12, arms=("fixed_context", "bahdanau"), parameter_budget=30_000,
        train_size=10_000, test_size=200, epochs=4, learning_rate=5e-3, verbose=0,
    )
    scores = {row["model"]: row["exact_match"] for row in rows}
    assert 0.0 <= scores["fixed_context"] <= 1.0
    assert scores["bahdanau"] > 0.8 and scores["bahdanau"] > scores["fixed_context"] + 0.3
