"""A run's corpus: `Corpus` (where the train, validation and test pairs come from) and the
corpus check (`check_not_empty`: `keras-attn train` refuses an unusable TSV corpus before
writing anything, with one clear line and exit code 2)."""

import os

import pytest

from keras_attn.data.datasets import get_task
from keras_attn.runs import Corpus
from keras_attn.runs import RunError
from keras_attn.runs.corpus import ROLES
from tests.testing import KOR_SAMPLE
from tests.testing import KOR_SAMPLE_PAIRS
from tests.testing import run_cli
from tests.testing import write_tsv


@pytest.mark.fault
@pytest.mark.parametrize("kind, message", [
    ("empty", "no usable sentence pair; expected UTF-8 text"),
    ("utf16", "UTF-16 text"),
    ("latin1", "skipped 5 malformed line(s): 5 invalid UTF-8"),
    ("one column", "5 too few columns"),
    ("blank lines", "blank"),
])
def test_train_refuses_an_unusable_corpus_before_writing_anything(kind, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    output = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--tsv", write_tsv(tmp_path, kind), "--output-dir", str(output),
                           "--epochs", "1")
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    # Before the fix, such a run trained zero steps, saved a useless translator and
    # then failed on its empty history.
    assert not output.exists() or os.listdir(output) == []


@pytest.mark.fault
def test_train_names_a_wrong_column(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--tsv", write_tsv(tmp_path, "latin1"), "--output-dir",
                           str(tmp_path / "run"), "--target-column", "7")
    assert code == 2 and "column 7" in err


# Where a run's pairs come from (`Corpus`) ---------------------------------------------------

def _pairs(corpus, role):
    return [(s.decode("utf-8"), t.decode("utf-8")) for s, t in corpus.pairs(role).as_numpy_iterator()]


@pytest.mark.filterwarnings("ignore::keras_attn.data.MalformedLinesWarning")
def test_a_tsv_corpus_holds_out_whole_source_sentences():
    corpus = Corpus(tsv=KOR_SAMPLE, source_column=1, target_column=0)
    pairs = {role: _pairs(corpus, role) for role in ROLES}
    assert sum(map(len, pairs.values())) == KOR_SAMPLE_PAIRS  # every good line, in exactly one role
    assert 0.7 < len(pairs["train"]) / KOR_SAMPLE_PAIRS < 0.9 and pairs["validation"] and pairs["test"]
    roles_of = {}
    for role, role_pairs in pairs.items():
        for source, _ in role_pairs:
            roles_of.setdefault(source, set()).add(role)
    assert all(len(roles) == 1 for roles in roles_of.values())  # no source straddles two roles
    translations = [s for role_pairs in pairs.values() for s, _ in role_pairs]
    assert len(translations) - len(set(translations)) >= 15  # the file does repeat sources
    assert corpus.describe("test") == "the held-out test split of kor_sample.tsv (10 % of its source sentences, by hash)"
    assert Corpus(dataset="reverse").describe("test") == "the test split of the built-in 'reverse' data set"


@pytest.mark.filterwarnings("ignore::keras_attn.data.MalformedLinesWarning")
def test_named_held_out_files_leave_the_whole_tsv_for_training(tmp_path):
    test_file = tmp_path / "test.tsv"
    test_file.write_text("I ate rice.\t나는 밥을 먹었다.\n", encoding="utf-8")
    corpus = Corpus(tsv=KOR_SAMPLE, source_column=1, target_column=0, test_tsv=str(test_file))
    assert len(_pairs(corpus, "train")) == KOR_SAMPLE_PAIRS
    assert _pairs(corpus, "test") == [("나는 밥을 먹었다 .", "i ate rice .")]
    assert not corpus.has("validation") and corpus.describe("validation").startswith("no validation pairs")
    with pytest.raises(RunError, match="the run has no validation pairs"):
        corpus.pairs("validation")
    assert Corpus.from_arguments({**corpus.arguments, "preset": "tiny_bahdanau"}) == corpus


@pytest.mark.fault
def test_a_corpus_smaller_than_a_batch_is_refused_before_anything_is_written(tmp_path, capsys):
    """A one-line TSV used to train no step, save an untrained translator and then fail."""
    one_line = tmp_path / "one.tsv"
    one_line.write_text("I ate rice.\t나는 밥을 먹었다.\tattribution\n", encoding="utf-8")
    output = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--tsv", str(one_line), "--source-column", "1", "--target-column", "0",
                           "--output-dir", str(output), "--epochs", "1")
    assert code == 2 and "--batch-size 64: the corpus has 1 training pair(s), fewer than one batch" in err
    assert not output.exists() or os.listdir(output) == []


def test_a_built_in_data_set_is_generated_once_for_every_pass(monkeypatch):
    task_class = type(get_task("reverse"))
    sample, calls = task_class.sample, []
    monkeypatch.setattr(task_class, "sample", lambda self, rng: calls.append(1) or sample(self, rng))
    pairs = Corpus(dataset="reverse", seed=1).pairs("train", 20)
    first = list(pairs.as_numpy_iterator())
    generated = len(calls)
    assert generated >= 20 and list(pairs.as_numpy_iterator()) == first
    assert len(calls) == generated  # the second pass (a tokenizer's, the batches') reads memory
