import pytest

from keras_attn import models


@pytest.mark.parametrize("name", [row["name"] for row in models.list_presets()])
def test_every_preset_builds_and_decodes_a_step(name):
    model = models.from_preset(name, 50, 60, embedding_dim=8, units=8)
    assert model.count_params() > 0
    logits, _, _ = model.step([1, 1], model.initial_state([[5, 6, 2], [7, 2, 0]]), 0)
    assert tuple(logits.shape) == (2, 60)


def test_presets_keep_their_paper_configuration():
    model = models.from_preset("rnnsearch_2015", 100, 100)
    assert model.cell == "gru" and model.attention == "bahdanau" and model.bidirectional
    assert model.units == 1000 and model.embedding_dim == 620


def test_tiny_preset_parameter_counts_are_listed(capsys):
    rows = [r for r in models.list_presets() if r["name"].startswith("tiny")]
    counts = {r["name"]: models.parameter_count(r["name"]) for r in rows}
    assert all(count > 10_000 for count in counts.values())
    models.list_presets(print_table=True)
    assert "rnnsearch_2015" in capsys.readouterr().out


def test_unknown_preset_raises():
    with pytest.raises(ValueError, match="from_preset: unknown preset 'gpt5'"):
        models.from_preset("gpt5", 10, 10)
