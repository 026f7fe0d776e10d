"""read_parallel_tsv on a messy Tatoeba-style file: exactly the good pairs survive; and on
hostile files (UTF-16, Latin-1, one column, empty, a 1 MiB line): clear errors, streaming."""

import warnings

import pytest
import tensorflow as tf

from keras_attn import data
from tests.testing import TSV_PAIR
from tests.testing import write_tsv

_MESSY = b"".join(
    [
        b"\xef\xbb\xbfGo.\t\xea\xb0\x80.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\r\n",
        "Hi.\t안녕.\tCC-BY 2.0\r\n".encode(),
        b"no tab on this line\r\n",
        b"\r\n",
        b"Bad\t\xff\xfe bytes\tCC-BY 2.0\n",
        "Run!\t뛰어!\tCC-BY 2.0\n".encode(),
        "Only English\t\t\n".encode(),
        b"\n",
        "I ate rice.\t나는 밥을 먹었다.\n".encode(),
        "Who?\t누가?".encode(),  # last line: no attribution, no line end
    ]
)
_GOOD_RAW = [("가.", "Go."), ("안녕.", "Hi."), ("뛰어!", "Run!"), ("나는 밥을 먹었다.", "I ate rice."), ("누가?", "Who?")]


@pytest.fixture
def messy_file(tmp_path):
    path = tmp_path / "kor.txt"
    path.write_bytes(_MESSY)
    return path


def test_messy_file_yields_exactly_its_good_pairs(messy_file):
    with pytest.warns(data.MalformedLinesWarning) as record:
        pairs = list(data.iter_parallel_tsv(messy_file, source_column=1, target_column=0))
    assert pairs == [(data.normalize(source), data.normalize(target)) for source, target in _GOOD_RAW]
    message = str(record[0].message)
    assert "skipped 5 malformed line(s)" in message
    for reason in ("1 too few columns", "2 blank", "1 invalid UTF-8", "1 empty sentence"):
        assert reason in message


def test_raw_text_and_swapped_columns(messy_file):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.MalformedLinesWarning)
        raw = list(data.iter_parallel_tsv(messy_file, 0, 1, normalize=False))
    assert raw == [(target, source) for source, target in _GOOD_RAW]


def test_dataset_streams_the_same_pairs(messy_file):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.MalformedLinesWarning)
        dataset = data.read_parallel_tsv(messy_file, source_column=1, target_column=0)
        assert dataset.element_spec == (tf.TensorSpec((), tf.string), tf.TensorSpec((), tf.string))
        expected = list(data.iter_parallel_tsv(messy_file, 1, 0))
        assert data.to_pairs(dataset) == expected
        assert data.to_pairs(dataset) == expected


@pytest.mark.filterwarnings("ignore::keras_attn.data.MalformedLinesWarning")
def test_split_keeps_the_pairs_whose_normalised_source_hashes_to_it(messy_file):
    every = list(data.iter_parallel_tsv(messy_file, 1, 0))
    by_split = {split: list(data.iter_parallel_tsv(messy_file, 1, 0, split=split)) for split in data.SPLITS}
    assert sorted(p for pairs in by_split.values() for p in pairs) == sorted(every)
    for split, pairs in by_split.items():
        assert all(data.split_of(source) == split for source, _ in pairs)
    # The split is by the normalised source, whatever text is returned.
    raw = data.to_pairs(data.read_parallel_tsv(messy_file, 1, 0, normalize=False, split="train"))
    assert [data.normalize(s) for s, _ in raw] == [s for s, _ in by_split["train"]]
    with pytest.raises(ValueError, match="Unknown split 'dev'"):
        data.iter_parallel_tsv(messy_file, 1, 0, split="dev")


def test_strict_mode_names_the_first_bad_line(messy_file):
    with pytest.raises(ValueError, match=r"kor.txt, line 3: malformed line \(1 tab-separated column"):
        list(data.iter_parallel_tsv(messy_file, 1, 0, strict=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match="line 3"):
        data.to_pairs(data.read_parallel_tsv(messy_file, 1, 0, strict=True))


def test_strict_mode_reports_invalid_utf8(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"a\tb\nc\t\xc3\x28\n")
    with pytest.raises(ValueError, match="line 2: malformed line \\(invalid UTF-8 at byte 2\\)"):
        list(data.iter_parallel_tsv(path, 0, 1, strict=True))


def test_clean_file_gives_no_warning(tmp_path):
    path = tmp_path / "clean.tsv"
    path.write_text("a\tb\tc\nd\te\tf\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(data.iter_parallel_tsv(path, 0, 2)) == [("a", "c"), ("d", "f")]


def test_missing_file_and_bad_columns(tmp_path):
    with pytest.raises(FileNotFoundError, match="Parallel corpus not found: .*missing.tsv"):
        data.read_parallel_tsv(tmp_path / "missing.tsv", 0, 1)
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        data.iter_parallel_tsv(tmp_path / "missing.tsv", 0, 1)
    with pytest.raises(IsADirectoryError):
        data.read_parallel_tsv(tmp_path, 0, 1)
    path = tmp_path / "ok.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="source_column"):
        data.read_parallel_tsv(path, -1, 1)
    with pytest.raises(ValueError, match="target_column"):
        data.iter_parallel_tsv(path, 0, "1")


@pytest.mark.fault
def test_reader_edge_cases(tmp_path):
    with pytest.raises(ValueError, match="UTF-16"):
        data.read_parallel_tsv(write_tsv(tmp_path, "utf16"), 0, 1)
    with pytest.raises(ValueError, match="UTF-16"):
        data.iter_parallel_tsv(write_tsv(tmp_path, "utf16"), 0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty file is not malformed: no warning
        assert list(data.iter_parallel_tsv(write_tsv(tmp_path, "empty"), 0, 1)) == []
    with pytest.raises(ValueError, match=r"line 1: malformed line \(invalid UTF-8 at byte 3\)"):
        list(data.iter_parallel_tsv(write_tsv(tmp_path, "latin1"), 0, 1, strict=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match="line 1: malformed line"):
        list(data.read_parallel_tsv(write_tsv(tmp_path, "one column"), 0, 1, strict=True))
    # A huge line and a huge file stream through: a 1 MiB sentence comes back whole.
    huge = tmp_path / "huge.tsv"
    long_sentence = "가" * 2**20
    with open(huge, "w", encoding="utf-8") as file:
        file.write(f"{long_sentence}\tx\n")
        file.write(TSV_PAIR * 20_000)
    pairs = data.read_parallel_tsv(str(huge), 0, 1, normalize=False)
    first = next(iter(pairs))
    assert first[0].numpy().decode() == long_sentence
    assert sum(1 for _ in data.iter_parallel_tsv(str(huge), 0, 1)) == 20_001
