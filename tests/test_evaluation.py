import numpy as np
import pytest

from keras_attn import data
from keras_attn import evaluation
from keras_attn import experiments
from keras_attn import metrics
from keras_attn import tokenizers
from keras_attn.translator import Translator


@pytest.fixture(scope="module")
def ko_en():
    examples = list(data.generate("ko-en", "test", size=8, seed=3))
    source = tokenizers.WordTokenizer.from_corpus([e.source for e in examples])
    target = tokenizers.WordTokenizer.from_corpus([e.target for e in examples])
    model = experiments.ARMS["luong"].build(source.vocabulary_size(), target.vocabulary_size(), 8, embedding_dim=4)
    return examples, source, target, model


def test_score_model_agrees_with_the_metrics_on_its_own_translations(ko_en):
    examples, source, target, model = ko_en
    pairs = [(e.source, e.target) for e in examples]
    scores = evaluation.score_model(model, pairs, source, target, max_length=12)
    hypotheses = Translator(model, source, target, max_length=12).translate([s for s, _ in pairs])
    assert scores["exact_match"] == metrics.exact_match(hypotheses, [t for _, t in pairs])
    assert scores["bleu"] == pytest.approx(metrics.corpus_bleu(hypotheses, [t for _, t in pairs]))
    assert len(scores["examples"]) == 3 and scores["examples"][0][0] == hypotheses[0]


def test_alignment_error_rate_of_a_model_is_a_rate(ko_en):
    examples, source, target, model = ko_en
    aer = evaluation.alignment_error_rate(model, examples, source, target)
    assert 0.0 <= aer <= 1.0


def test_score_translator_adds_the_aer_only_where_it_applies(ko_en):
    examples, source, target, model = ko_en
    translator = Translator(model, source, target, max_length=12)
    pairs = [(e.source, e.target) for e in examples]
    with_aer = evaluation.score_translator(translator, pairs, alignments=examples)
    assert with_aer["sentences"] == 8 and 0 <= with_aer["aer"] <= 1
    assert with_aer["aer"] == round(evaluation.alignment_error_rate(model, examples, source, target), 4)
    assert "aer" not in evaluation.score_translator(translator, pairs)
    fixed = experiments.ARMS["fixed_context"].build(source.vocabulary_size(), target.vocabulary_size(), 8)
    assert "aer" not in evaluation.score_translator(Translator(fixed, source, target, max_length=12), pairs,
                                                    alignments=examples)
    with pytest.raises(ValueError, match="`pairs` is empty"):
        evaluation.score_translator(translator, [])


def test_a_perfect_translator_scores_full_marks(ko_en):
    examples, *_ = ko_en
    hypotheses = [tokenizers.normalize(e.target) for e in examples]
    assert metrics.exact_match(hypotheses, [e.target for e in examples]) == 1.0
    assert np.isclose(metrics.corpus_bleu(hypotheses, hypotheses), 100.0)
