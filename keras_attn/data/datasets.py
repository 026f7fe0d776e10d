"""The built-in generated data sets: `load(name, split)` and `generate(name, split)`.

Every data set is generated offline, deterministically from its seed and options.
Sources and targets are normalised sentences (`keras_attn.data.normalize` leaves
them unchanged). Examples are drawn from the task with a `random.Random` seeded by
`(name, split, seed)` and kept only if the hash of their source falls in the
requested split (`keras_attn.data.splits`), so splits never share a source.
"""

import functools
import inspect
import random

import numpy as np
import tensorflow as tf

from keras_attn.data.corpora.algorithmic import AdditionTask
from keras_attn.data.corpora.algorithmic import CopyTask
from keras_attn.data.corpora.algorithmic import ReverseTask
from keras_attn.data.corpora.algorithmic import SortTask
from keras_attn.data.corpora.dates import DatesTask
from keras_attn.data.corpora.ko_en import KoEnTask
from keras_attn.data.splits import check_split
from keras_attn.data.splits import split_of

TASKS = {task.name: task for task in (CopyTask, ReverseTask, SortTask, AdditionTask, DatesTask, KoEnTask)}
DEFAULT_SIZES = {"train": 10_000, "validation": 1_000, "test": 1_000}
# Draws without a new example before giving up: the options leave too few sources
# in the split (or, with unique=True, too few distinct ones).
_MAX_FUTILE_DRAWS = 100_000
_CHUNK_SIZE = 256


def available():
    """Names of the built-in data sets."""
    return sorted(TASKS)


def get_task(name, **options):
    """The `Task` behind a data set name, built with its options.

    Raises:
        ValueError: for an unknown name or a bad option value.
        TypeError: for an option the data set does not have.
    """
    if name not in TASKS:
        raise ValueError(f"Unknown data set {name!r}: expected one of {available()}.")
    task_class = TASKS[name]
    known = [p for p in inspect.signature(task_class.__init__).parameters if p != "self"]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"Data set {name!r} has no option {', '.join(unknown)}; its options are {known}.")
    return task_class(**options)


def _resolve(split, size, seed):
    check_split(split)
    if size is None:
        size = DEFAULT_SIZES[split]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"`size` must be an int >= 0, got {size!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"`seed` must be an int, got {seed!r}.")
    return size


def _examples(task, split, size, seed, unique):
    rng = random.Random(f"{task.name}/{split}/{seed}")
    seen = set()
    produced = futile = 0
    while produced < size:
        example = task.sample(rng)
        if split_of(example.source) != split or (unique and example.source in seen):
            futile += 1
            if futile > _MAX_FUTILE_DRAWS:
                raise ValueError(
                    f"{task.name} ({task.get_config()}): found only {produced} of {size} "
                    f"{'distinct ' if unique else ''}{split} examples; {_MAX_FUTILE_DRAWS} draws in a "
                    "row gave nothing new. The options allow too few distinct sources."
                )
            continue
        futile = 0
        if unique:
            seen.add(example.source)
        produced += 1
        yield example


def generate(name, split="train", *, size=None, seed=0, unique=False, **options):
    """Generates examples of a built-in data set as Python objects.

    Args:
        name: one of `available()`: "copy", "reverse", "sort", "addition", "dates",
            "ko-en".
        split: "train", "validation" or "test".
        size: number of examples (default 10000 for train, 1000 otherwise).
        seed: examples are a deterministic function of (name, split, seed, options).
        unique: never repeat a source within the split (keeps a set of the sources
            seen, so memory grows with `size`).
        **options: the task's options, e.g. `min_length`, `max_length`,
            `vocabulary_size` for copy/reverse/sort (see the task classes).

    Returns:
        An iterator of `Example(source, target, alignment)`; `alignment` is `None`
        for tasks without alignments (addition, dates).

    Example:

    >>> examples = list(generate("reverse", "test", size=2, min_length=3, max_length=3))
    >>> [(e.source.split()[::-1] == e.target.split()) for e in examples]
    [True, True]
    """
    task = get_task(name, **options)
    size = _resolve(split, size, seed)
    return _examples(task, split, size, seed, unique)


def load(name, split="train", *, size=None, seed=0, unique=False, with_alignments=False, **options):
    """Loads a built-in data set as a streaming `tf.data.Dataset`.

    Arguments are those of `generate`, plus:

    Args:
        with_alignments: add the gold alignment of each pair (ko-en, copy, reverse,
            sort), an `int32 [num_links, 2]` tensor of `(target_index,
            source_index)` rows over whitespace tokens.

    Returns:
        A `tf.data.Dataset` of `(source, target)` scalar `tf.string` pairs, or
        `(source, target, alignment)` with `with_alignments`, of known cardinality
        `size`. It is generated lazily and identically on every iteration; use
        `to_pairs` (or `generate`) for Python lists.

    Example:

    >>> pairs = load("ko-en", "train", size=3, seed=1)
    >>> len(pairs), [tuple(s.dtype.name for s in pairs.element_spec)]
    (3, [('string', 'string')])
    """
    task = get_task(name, **options)
    size = _resolve(split, size, seed)
    if with_alignments and not task.has_alignments:
        raise ValueError(f"Data set {name!r} has no gold alignments; use with_alignments=False.")
    dataset = _stream(functools.partial(_examples, task, split, size, seed, unique), with_alignments)
    return dataset.apply(tf.data.experimental.assert_cardinality(size))


def _stream(examples, with_alignments):
    """A Dataset over `examples()`, fed in chunks (per-element Python calls are slow)."""
    strings = tf.TensorSpec((None,), tf.string)
    if not with_alignments:

        def chunks():
            for chunk in _chunked(examples()):
                yield [e.source for e in chunk], [e.target for e in chunk]

        return tf.data.Dataset.from_generator(chunks, output_signature=(strings, strings)).unbatch()

    def chunks_with_links():
        for chunk in _chunked(examples()):
            links = np.array([link for e in chunk for link in e.alignment], dtype=np.int32).reshape(-1, 2)
            counts = np.array([len(e.alignment) for e in chunk], dtype=np.int64)
            yield [e.source for e in chunk], [e.target for e in chunk], links, counts

    signature = (strings, strings, tf.TensorSpec((None, 2), tf.int32), tf.TensorSpec((None,), tf.int64))
    dataset = tf.data.Dataset.from_generator(chunks_with_links, output_signature=signature)
    dataset = dataset.map(
        lambda sources, targets, links, counts: (
            sources,
            targets,
            tf.RaggedTensor.from_row_lengths(links, counts),
        )
    )
    # Unbatched rows of a ragged tensor are rank-0 ragged specs; make them tensors.
    return dataset.unbatch().map(lambda source, target, links: (source, target, tf.identity(links)))


def _chunked(iterator, size=_CHUNK_SIZE):
    """Lists of up to `size` consecutive items of `iterator`."""
    chunk = []
    for item in iterator:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def to_pairs(dataset, limit=None):
    """Reads a (small) dataset of sentence pairs into Python tuples.

    Args:
        dataset: a Dataset from `load` or `read_parallel_tsv`.
        limit: read at most this many elements.

    Returns:
        A list of `(source, target)` `str` tuples, or `(source, target,
        alignment)` with `alignment` a tuple of `(target_index, source_index)`.
    """
    if limit is not None:
        dataset = dataset.take(limit)
    result = []
    for element in dataset.as_numpy_iterator():
        row = [element[0].decode("utf-8"), element[1].decode("utf-8")]
        for extra in element[2:]:
            row.append(tuple(tuple(int(value) for value in link) for link in extra))
        result.append(tuple(row))
    return result
