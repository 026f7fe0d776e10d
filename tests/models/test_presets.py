import numpy as np
import pytest

from keras_attn import models

FAMILIES = {row["name"]: row["family"] for row in models.list_presets()}
TINY_TRANSFORMER = dict(num_layers=1, d_model=8, num_heads=2, d_ff=8)


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items() if family == "seq2seq"])
def test_every_seq2seq_preset_builds_and_decodes_a_step(name):
    model = models.from_preset(name, 50, 60, embedding_dim=8, units=8)
    assert model.count_params() > 0
    logits, _, _ = model.step([1, 1], model.initial_state([[5, 6, 2], [7, 2, 0]]), 0)
    assert tuple(logits.shape) == (2, 60)


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items() if family == "transformer"])
def test_every_transformer_preset_builds_and_decodes_a_step(name):
    model = models.from_preset(name, 50, 50, **TINY_TRANSFORMER)
    assert isinstance(model, models.Transformer)
    logits, _, attention = model.step(np.array([1, 1], "int32"), model.initial_state([[5, 6, 2], [7, 2, 0]]), 0)
    assert tuple(logits.shape) == (2, 50) and tuple(attention.shape) == (2, 3)


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items() if family == "transformer_encoder"])
def test_every_encoder_preset_takes_one_vocabulary(name):
    model = models.from_preset(name, 40, **TINY_TRANSFORMER)
    assert isinstance(model, models.TransformerEncoder) and model.vocab_size == 40
    assert tuple(model(np.array([[4, 5, 2, 0]], "int32")).shape) == (1, 4, 8)
    assert models.from_preset(name, vocab_size=30, **TINY_TRANSFORMER).vocab_size == 30


@pytest.mark.parametrize("name", [name for name, family in FAMILIES.items() if family == "transformer_decoder_lm"])
def test_every_lm_preset_takes_one_vocabulary_and_decodes_a_step(name):
    model = models.from_preset(name, 40, **TINY_TRANSFORMER)
    assert isinstance(model, models.TransformerDecoderLM)
    logits, _, attention = model.step(np.array([1, 1], "int32"), model.initial_state(2, max_length=4), 0)
    assert tuple(logits.shape) == (2, 40) and attention is None


def test_presets_keep_their_paper_configuration():
    model = models.from_preset("rnnsearch_2015", 100, 100)
    assert model.cell == "gru" and model.attention == "bahdanau" and model.bidirectional
    assert model.units == 1000 and model.embedding_dim == 620


def test_transformer_presets_keep_table_3():
    base = models.list_presets()[[r["name"] for r in models.list_presets()].index("transformer_base")]
    assert base["config"] == dict(num_layers=6, d_model=512, num_heads=8, d_ff=2048, dropout=0.1,
                                  share_embeddings=True, tie_output_embedding=True)
    assert base["paper_vocab"] == (37000, 37000)


@pytest.mark.parametrize("name,paper_millions", [("transformer_base", 65), ("transformer_big", 213)])
def test_transformer_parameter_counts_match_the_paper(name, paper_millions):
    # Built at the paper's shared 37,000-token vocabulary, not trained (~1-2 s each).
    count = models.parameter_count(name)
    assert abs(count / 1e6 - paper_millions) / paper_millions < 0.05, count


def test_tiny_preset_parameter_counts_are_listed(capsys):
    rows = [r for r in models.list_presets() if r["name"].startswith("tiny")]
    counts = {r["name"]: models.parameter_count(r["name"]) for r in rows}
    assert all(count > 10_000 for count in counts.values())
    assert {"tiny_transformer", "tiny_bert_like", "tiny_gpt_like"} <= set(counts)
    models.list_presets(print_table=True)
    out = capsys.readouterr().out
    assert "rnnsearch_2015" in out and "transformer_big" in out


def test_unknown_preset_raises():
    with pytest.raises(ValueError, match="from_preset: unknown preset 'gpt5'"):
        models.from_preset("gpt5", 10, 10)


def test_vocabulary_arguments_are_checked_per_family():
    with pytest.raises(ValueError, match="from_preset: preset 'tiny_gpt_like' is a single-vocabulary model"):
        models.from_preset("tiny_gpt_like", 10, 12)
    with pytest.raises(ValueError, match="from_preset: preset 'tiny_transformer' is an encoder-decoder"):
        models.from_preset("tiny_transformer", 10)
    with pytest.raises(ValueError, match="transformer: `share_embeddings` must be False"):
        models.from_preset("transformer_base", 10, 12, **TINY_TRANSFORMER)
