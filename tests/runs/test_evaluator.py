"""`evaluate` scores what the run held out: the corpus comes from run.json, flags override."""

import os

import pytest

from keras_attn import runs
from keras_attn.runs import RunDirectory
from keras_attn.runs.evaluator import scored_corpus
from tests.testing import KOR_SAMPLE
from tests.testing import run_cli
from tests.testing import save_untrained_run


def _record(path, **arguments):
    RunDirectory(path).write_record({"arguments": {"preset": "tiny_bahdanau", **arguments}, "finished": True})
    return path


@pytest.fixture
def reverse_run(tmp_path):
    """An (untrained) run whose run.json says it trained on `reverse`."""
    return _record(save_untrained_run(tmp_path), dataset="reverse", tsv=None, seed=3)


def test_evaluate_scores_the_runs_own_data_set_without_flags(reverse_run):
    scores = runs.evaluate(reverse_run, size=4)
    assert scores["data"] == "the test split of the built-in 'reverse' data set" and scores["sentences"] == 4
    assert scored_corpus(reverse_run).seed == 3  # the run's generation seed, too
    assert runs.evaluate(reverse_run, dataset="copy", size=2)["data"] == "the test split of the built-in 'copy' data set"
    train = runs.evaluate(reverse_run, size=2, split="train")
    assert train["data"] == "the train split of the built-in 'reverse' data set (training pairs, not held out)"


def test_the_runs_translator_in_memory_scores_as_the_one_it_saved(reverse_run):
    translator = runs.load_translator(reverse_run)
    assert runs.evaluate(reverse_run, size=4, translator=translator) == runs.evaluate(reverse_run, size=4)


def test_a_tsv_run_is_scored_on_its_held_out_split_or_on_another_file_whole(tmp_path):
    os.makedirs(tmp_path / "run")
    run = _record(str(tmp_path / "run"), tsv=KOR_SAMPLE, source_column=1, target_column=0)
    assert scored_corpus(run).describe("test").startswith("the held-out test split of kor_sample.tsv")
    assert scored_corpus(run, tsv=KOR_SAMPLE).describe("test").startswith("the held-out test split")  # the same file
    other = tmp_path / "mine.tsv"
    other.write_text("I ate rice.\t나는 밥을 먹었다.\n", encoding="utf-8")
    mine = scored_corpus(run, tsv=str(other))
    assert mine.describe("test") == "every line of mine.tsv" and (mine.source_column, mine.target_column) == (1, 0)


def test_without_run_json_the_data_must_be_named(tmp_path, capsys):
    path = save_untrained_run(tmp_path)  # a bare translator folder
    code, _, err = run_cli(capsys, "evaluate", path)
    assert code == 2 and "no run.json there to read the corpus from" in err and "--data" in err
