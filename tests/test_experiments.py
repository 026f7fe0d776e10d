import pytest

from keras_attn import experiments
from keras_attn import models


def test_parameter_budget_is_matched_closely():
    config = dict(experiments.ARMS["bahdanau"], embedding_dim=16)
    units = experiments.match_parameter_budget(config, 40_000, 20, 20)
    count = models.seq2seq(20, 20, units=units, **config).count_params()
    assert abs(count - 40_000) / 40_000 < 0.03
    neighbours = [models.seq2seq(20, 20, units=u, **config).count_params() for u in (units - 1, units + 1)]
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
