"""A run's corpus check (`check_not_empty`): `keras-attn train` refuses an unusable TSV
corpus before writing anything, with one clear line and exit code 2."""

import os

import pytest

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
