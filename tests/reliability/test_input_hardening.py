"""Bad input to the TSV reader and the CLI: clear one-line errors, exit 2, no partial outputs."""

import os
import warnings

import pytest
import tensorflow as tf

from keras_attn import cli
from keras_attn import data
from keras_attn import export
from tests import export_helpers

PAIR = "i ate rice\t나는 밥을 먹었다\n"
FILES = {
    "empty": lambda: b"",
    "utf16": lambda: (PAIR * 5).encode("utf-16"),
    "latin1": lambda: ("café au lait\tcafé crème\n" * 5).encode("latin-1"),
    "one column": lambda: ("i ate rice\n" * 5).encode(),
    "blank lines": lambda: b"\n\r\n \t \n" * 5,
}


@pytest.fixture
def corpus(tmp_path):
    def write(kind):
        path = tmp_path / f"{kind.replace(' ', '_')}.tsv"
        path.write_bytes(FILES[kind]())
        return str(path)
    return write


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind, message", [
    ("empty", "no usable sentence pair; expected UTF-8 text"),
    ("utf16", "UTF-16 text"),
    ("latin1", "skipped 5 malformed line(s): 5 invalid UTF-8"),
    ("one column", "5 too few columns"),
    ("blank lines", "blank"),
])
def test_train_refuses_an_unusable_corpus_before_writing_anything(kind, message, corpus, tmp_path, capsys,
                                                                   monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    output = tmp_path / "run"
    code, _, err = run(capsys, "train", "--tsv", corpus(kind), "--output-dir", str(output), "--epochs", "1")
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    # Before the fix, such a run trained zero steps, saved a useless translator and
    # then failed on its empty history.
    assert not output.exists() or os.listdir(output) == []


def test_train_names_a_wrong_column(corpus, tmp_path, capsys):
    code, _, err = run(capsys, "train", "--tsv", corpus("latin1"), "--output-dir",
                       str(tmp_path / "run"), "--target-column", "7")
    assert code == 2 and "column 7" in err


def test_reader_edge_cases(corpus, tmp_path):
    with pytest.raises(ValueError, match="UTF-16"):
        data.read_parallel_tsv(corpus("utf16"), 0, 1)
    with pytest.raises(ValueError, match="UTF-16"):
        data.iter_parallel_tsv(corpus("utf16"), 0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty file is not malformed: no warning
        assert list(data.iter_parallel_tsv(corpus("empty"), 0, 1)) == []
    with pytest.raises(ValueError, match=r"line 1: malformed line \(invalid UTF-8 at byte 3\)"):
        list(data.iter_parallel_tsv(corpus("latin1"), 0, 1, strict=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match="line 1: malformed line"):
        list(data.read_parallel_tsv(corpus("one column"), 0, 1, strict=True))
    # A huge line and a huge file stream through: a 1 MiB sentence comes back whole.
    huge = tmp_path / "huge.tsv"
    long_sentence = "가" * 2**20
    with open(huge, "w", encoding="utf-8") as file:
        file.write(f"{long_sentence}\tx\n")
        file.write(PAIR * 20_000)
    pairs = data.read_parallel_tsv(str(huge), 0, 1, normalize=False)
    first = next(iter(pairs))
    assert first[0].numpy().decode() == long_sentence
    assert sum(1 for _ in data.iter_parallel_tsv(str(huge), 0, 1)) == 20_001


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory holding an (untrained) saved translator: enough to evaluate/export."""
    path = tmp_path_factory.mktemp("hardening") / "run"
    export_helpers.untrained_translator("fixed_context").save(str(path / "translator"))
    return str(path)


def test_evaluate_on_an_empty_corpus_is_a_clear_error(run_dir, corpus, capsys):
    code, _, err = run(capsys, "evaluate", run_dir, "--tsv", corpus("empty"))
    assert code == 2 and "evaluation corpus is empty" in err


def test_unwritable_outputs_are_clear_errors_and_leave_nothing(run_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERAS_ATTN_DEBUG", raising=False)
    code, _, err = run(capsys, "export", run_dir, "--name", "m", "--base-dir", "/proc/keras_attn_models")
    assert code == 2 and "/proc/keras_attn_models" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "plot", run_dir, "나는 밥을 먹었다", "--output", "/proc/keras_attn/heatmap.png")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err

    # A failure in the middle of writing the SavedModel (disk full): no version folder,
    # no temporary folder left behind, one line on stderr.
    base = tmp_path / "saved_models"
    write = export._write_saved_model

    def disk_full_at_the_end(translator, path, *args):
        write(translator, path, *args)  # a complete SavedModel in the temp folder...
        raise OSError(28, "No space left on device")  # ...then the last write fails

    monkeypatch.setattr(export, "_write_saved_model", disk_full_at_the_end)
    code, _, err = run(capsys, "export", run_dir, "--name", "m", "--base-dir", str(base))
    assert code == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert os.listdir(base / "m") == []
