"""A run's corpus: where its training, validation and test pairs come from.

A built-in data set has its own splits. A TSV corpus is split by a hash of each
normalised source sentence (`keras_attn.data.split_of`: 80 / 10 / 10 %), so the test
pairs are held out from training and every translation of a repeated source (Tatoeba
has several) falls on one side; or the user names validation and test files, and the
whole TSV file trains. `run.json` records the choice (`Corpus.arguments`), so that
`evaluate` scores the run's own held-out pairs.
"""

import dataclasses
import os
import warnings

from keras_attn import data
from keras_attn.runs.errors import RunError

ROLES = ("train", "validation", "test")
# The number of generated pairs a built-in data set trains on when no size is given.
DEFAULT_GENERATED_SIZE = 20_000


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The data of a run.

    Attributes:
        dataset: a built-in data set (`keras_attn.data.available()`), used when
            `tsv` is `None`.
        tsv: a tab-separated corpus, with its 0-based `source_column` and
            `target_column`.
        validation_tsv, test_tsv: held-out files for a TSV corpus. With neither,
            the TSV file is split by hash; with either, the whole TSV file trains
            and a role without a file has no pairs.
        seed: the seed of generated data sets.

    Example:

    >>> corpus = Corpus(tsv="kor.txt", source_column=1, target_column=0)
    >>> corpus.describe("test")
    'the held-out test split of kor.txt (10 % of its source sentences, by hash)'
    """

    dataset: str = "ko-en"
    tsv: str = None
    source_column: int = 0
    target_column: int = 1
    validation_tsv: str = None
    test_tsv: str = None
    seed: int = 0

    @classmethod
    def from_arguments(cls, arguments):
        """The corpus of a `run.json` record's `arguments` (runs before held-out files: none)."""
        fields = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in arguments.items() if key in fields})

    @property
    def arguments(self):
        """The fields, as `run.json` records them."""
        return dataclasses.asdict(self)

    def with_whole_file(self, path):
        """This corpus reading every line of the TSV file `path` for every role."""
        return dataclasses.replace(self, tsv=path, validation_tsv=path, test_tsv=path)

    @property
    def split_by_hash(self):
        """Whether the TSV file itself holds the validation and test pairs."""
        return self.tsv is not None and self.validation_tsv is None and self.test_tsv is None

    def source_of(self, role):
        """`(tsv file or None, split or None)` for `role`; `(None, None)` when a TSV run has no such pairs."""
        check_role(role)
        if self.tsv is None:
            return None, role
        if self.split_by_hash:
            return self.tsv, role
        return {"train": self.tsv, "validation": self.validation_tsv, "test": self.test_tsv}[role], None

    def has(self, role):
        """Whether the corpus has pairs for `role`."""
        path, split = self.source_of(role)
        return path is not None or split is not None

    def describe(self, role):
        """Where `role`'s pairs come from, in words (printed by `evaluate`)."""
        path, split = self.source_of(role)
        name = os.path.basename(path) if path else None
        if path is None and split is None:
            return f"no {role} pairs (the run names no {role} file)"
        if path is None:
            return f"the {split} split of the built-in {self.dataset!r} data set"
        if split is None:
            return f"every line of {name}"
        percent = round(100 * data.SPLIT_FRACTIONS[split])
        held_out = "the held-out " if role != "train" else "the "
        return f"{held_out}{split} split of {name} ({percent} % of its source sentences, by hash)"

    def pairs(self, role, size=None, **options):
        """`role`'s `(source, target)` string pairs, a `tf.data.Dataset`.

        `size` caps the pairs (`None`: every one; a built-in data set generates
        `DEFAULT_GENERATED_SIZE` for training); `options` go to `data.load`. A TSV
        file streams from disk on every pass; a built-in data set is generated (in
        Python, the slow part) on the first pass only and kept in memory, since a
        training reads its pairs three times: two tokenizers, then the batches.
        """
        path, split = self.source_of(role)
        if path is None and split is None:
            raise RunError(f"the run has no {role} pairs: its TSV corpus was split into files and none was given "
                           f"for {role}.")
        if path is None:
            if self.dataset not in data.available():
                raise RunError(f"unknown data set; expected one of {sorted(data.available())} or `tsv`.", "dataset",
                               self.dataset)
            if size is None and role == "train":
                size = DEFAULT_GENERATED_SIZE
            return data.load(self.dataset, split, size=size, seed=self.seed, **options).cache()
        if not os.path.isfile(path):
            raise RunError("no such file.", "tsv" if path == self.tsv else f"{role}_tsv", path)
        pairs = data.read_parallel_tsv(path, source_column=self.source_column, target_column=self.target_column,
                                       split=split)
        return pairs.take(size) if size else pairs


def check_role(role):
    if role not in ROLES:
        raise ValueError(f"Unknown corpus role {role!r}; expected one of {ROLES}.")


def load_corpus(dataset="ko-en", split="train", size=None, seed=0, tsv=None, source_column=0, target_column=1,
                **options):
    """`(source, target)` string pairs of `split` from a built-in data set or a TSV file.

    A TSV file is split by a hash of the normalised source (see `Corpus`); `split=None`
    reads every line. `size` caps the pairs.
    """
    corpus = Corpus(dataset=dataset, tsv=tsv, source_column=source_column, target_column=target_column, seed=seed)
    if tsv is not None and split is None:
        corpus, split = corpus.with_whole_file(tsv), "train"
    return corpus.pairs(split, size, **options)


def check_enough_pairs(pairs, batch_size):
    """Refuses, before anything is written, a corpus with fewer pairs than one training batch.

    Batches are full (XLA compiles one shape per length bucket), so such a corpus trains no
    step and would leave an untrained translator behind. Reads `batch_size` pairs at most.
    """
    count = sum(1 for _ in pairs.take(batch_size))
    if count < batch_size:
        raise RunError(f"the corpus has {count} training pair(s), fewer than one batch; lower `batch_size` or add "
                       "pairs.", "batch_size", batch_size)


def check_not_empty(pairs, tsv=None, source_column=0, target_column=1):
    """Refuses a corpus without one usable pair, before anything is written.

    Otherwise `fit` runs no step and a useless translator is saved (an empty TSV, a
    UTF-16 or Latin-1 file, or wrong columns: the reader skips every line).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", data.MalformedLinesWarning)
        empty = not any(True for _ in pairs.take(1))
    if not empty:
        return
    skipped = [str(w.message) for w in caught if issubclass(w.category, data.MalformedLinesWarning)]
    detail = f" ({skipped[0]})" if skipped else ""
    if tsv is None:
        raise RunError(f"the corpus has no usable sentence pair{detail}.")
    raise RunError(f"no usable sentence pair{detail}; expected UTF-8 text with the source in column {source_column} "
                   f"and the target in column {target_column} (0-based, tab-separated).", "tsv", tsv)
