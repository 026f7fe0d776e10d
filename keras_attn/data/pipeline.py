"""`tf.data` pipelines that turn sentence pairs into teacher-forcing batches."""

import tensorflow as tf

from keras_attn.tokenizers import vocabulary as vocab_lib

DEFAULT_BUCKET_BOUNDARIES = (8, 16, 32, 64, 128)
_TOKENIZE_BATCH = 256


def _check_positive(argument, value, allow_none=True):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"make_dataset: `{argument}` must be a positive int, got {value!r}.")


def _as_pairs_dataset(pairs):
    """A Dataset of (source, target) scalar strings from a Dataset or a list of pairs."""
    if not isinstance(pairs, tf.data.Dataset):
        pairs = list(pairs)
        if not pairs:
            raise ValueError("make_dataset: got an empty list of pairs.")
        if any(len(pair) < 2 for pair in pairs):
            raise ValueError("make_dataset: every pair must be a (source, target) tuple.")
        sources = [pair[0] for pair in pairs]
        targets = [pair[1] for pair in pairs]
        return tf.data.Dataset.from_tensor_slices((sources, targets))
    spec = pairs.element_spec
    def is_string_scalar(component):
        return (
            isinstance(component, tf.TensorSpec)
            and component.dtype == tf.string
            and component.shape.rank == 0
        )

    if not isinstance(spec, tuple) or len(spec) < 2 or not all(map(is_string_scalar, spec[:2])):
        raise ValueError(
            "make_dataset: expected a Dataset of (source, target, ...) tuples whose first two "
            f"components are scalar tf.string, got element_spec {spec}."
        )
    if len(spec) == 2:
        return pairs
    return pairs.map(lambda source, target, *rest: (source, target))


def _with_end(ids):
    end = tf.fill([ids.nrows(), 1], tf.constant(vocab_lib.END_ID, ids.dtype))
    return tf.concat([ids, tf.RaggedTensor.from_tensor(end)], axis=1)


def _with_start(ids):
    start = tf.fill([ids.nrows(), 1], tf.constant(vocab_lib.START_ID, ids.dtype))
    return tf.concat([tf.RaggedTensor.from_tensor(start), ids], axis=1)


def _as_tensors(*rows):
    return tuple(tf.identity(row) for row in rows)


def make_dataset(
    pairs,
    source_tokenizer,
    target_tokenizer,
    batch_size=64,
    max_source_length=None,
    max_target_length=None,
    shuffle=False,
    shuffle_buffer_size=10_000,
    seed=None,
    bucket_boundaries=DEFAULT_BUCKET_BOUNDARIES,
    cache=False,
    drop_remainder=False,
    pad_to_bucket_boundary=False,
):
    """Builds teacher-forcing batches from (source, target) sentence pairs.

    Pipeline: tokenize (in batches, in parallel) → truncate → add "[END]" to the
    source, "[START]"/"[END]" to the target → optional cache → optional shuffle →
    batch by length buckets (or plain padded batches) padded with 0 → prefetch.
    Pairs stream through: nothing is materialised in Python, so memory does not
    grow with the corpus size (unless `cache=True`).

    Every source ends with "[END]" (an empty sentence is the valid input
    `[END]`); `target_in = [START] + target` and `target_out = target + [END]`, so
    `target_out[t]` is the token predicted after reading `target_in[: t + 1]`, and
    with word-level tokenizers source position `s` and target position `t` are
    the word positions of the gold alignments.

    Args:
        pairs: a `tf.data.Dataset` of `(source, target)` (or `(source, target,
            alignment)`) scalar strings, e.g. from `load` or `read_parallel_tsv`,
            or a list of `(source, target)` string pairs.
        source_tokenizer: a `Tokenizer` for the sources.
        target_tokenizer: a `Tokenizer` for the targets.
        batch_size: examples per batch.
        max_source_length: truncate sources to this many tokens, "[END]" included
            (`None`: no limit).
        max_target_length: truncate targets so `target_in` and `target_out` have
            at most this many tokens (`None`: no limit).
        shuffle: shuffle examples (before batching) with a buffer of
            `shuffle_buffer_size`, reshuffled each epoch.
        shuffle_buffer_size: size of the shuffle buffer.
        seed: seed of the shuffle, for reproducible orders.
        bucket_boundaries: increasing lengths that split examples into buckets by
            `max(len(source), len(target_in))`; each batch comes from one bucket,
            which saves padding. `None` or `()` for plain batches in input order.
        cache: `False`, `True` (cache the tokenized examples in memory) or a file
            path prefix (cache on disk).
        drop_remainder: drop the last, smaller batch of each bucket.
        pad_to_bucket_boundary: pad every batch to its bucket's largest length
            (`boundary - 1`) instead of its longest example, so batches come in a
            handful of shapes (XLA compiles once per shape). Examples must then be
            shorter than the last boundary: truncate with `max_source_length` /
            `max_target_length`.

    Returns:
        A `tf.data.Dataset` of `({"source": int32 [B, Ts], "target_in": int32
        [B, Tt]}, target_out int32 [B, Tt])`, padded with 0.

    Example:

    >>> from keras_attn.data import WordTokenizer
    >>> pairs = [("나는 밥을 먹었다", "i ate rice")]
    >>> source = WordTokenizer.from_corpus([p[0] for p in pairs])
    >>> target = WordTokenizer.from_corpus([p[1] for p in pairs])
    >>> inputs, target_out = next(iter(make_dataset(pairs, source, target)))
    >>> inputs["source"].numpy().tolist(), inputs["target_in"].numpy().tolist()
    ([[4, 6, 5, 2]], [[1, 5, 4, 6]])
    >>> target_out.numpy().tolist()
    [[5, 4, 6, 2]]
    """
    boundaries = _checked_options(batch_size, max_source_length, max_target_length, shuffle_buffer_size,
                                  bucket_boundaries, cache, pad_to_bucket_boundary)
    dataset = _tokenized(_as_pairs_dataset(pairs), source_tokenizer, target_tokenizer, max_source_length,
                         max_target_length)
    if cache is True:
        dataset = dataset.cache()
    elif isinstance(cache, str):
        dataset = dataset.cache(cache)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=seed, reshuffle_each_iteration=True)
    dataset = _padded_batches(dataset, batch_size, boundaries, drop_remainder, pad_to_bucket_boundary)
    dataset = dataset.map(
        lambda source, target_in, target_out: ({"source": source, "target_in": target_in}, target_out)
    )
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(without_autotuning())


def _checked_options(batch_size, max_source_length, max_target_length, shuffle_buffer_size, bucket_boundaries, cache,
                     pad_to_bucket_boundary):
    """`make_dataset`'s options checked; returns the bucket boundaries as a list."""
    _check_positive("batch_size", batch_size, allow_none=False)
    _check_positive("max_source_length", max_source_length)
    _check_positive("max_target_length", max_target_length)
    _check_positive("shuffle_buffer_size", shuffle_buffer_size, allow_none=False)
    boundaries = list(bucket_boundaries or ())
    if any(
        isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in boundaries
    ) or boundaries != sorted(set(boundaries)):
        raise ValueError(
            "make_dataset: `bucket_boundaries` must be strictly increasing positive ints, "
            f"got {bucket_boundaries!r}."
        )
    if pad_to_bucket_boundary:
        longest = max(max_source_length or 0, max_target_length or 0)
        if not boundaries or not max_source_length or not max_target_length or longest >= boundaries[-1]:
            raise ValueError(
                "make_dataset: `pad_to_bucket_boundary=True` needs `bucket_boundaries` and "
                "`max_source_length`/`max_target_length` below the last boundary, got "
                f"boundaries {bucket_boundaries!r}, max_source_length={max_source_length}, "
                f"max_target_length={max_target_length}."
            )
    if not (isinstance(cache, bool) or isinstance(cache, str)):
        raise ValueError(f"make_dataset: `cache` must be a bool or a file path prefix, got {cache!r}.")
    return boundaries


def _tokenized(pairs, source_tokenizer, target_tokenizer, max_source_length, max_target_length):
    """`(source + [END], [START] + target, target + [END])` id rows, truncated, one per pair."""

    def encode(sources, targets):
        source_ids = source_tokenizer.tokenize(sources)
        target_ids = target_tokenizer.tokenize(targets)
        if max_source_length is not None:
            source_ids = source_ids[:, : max_source_length - 1]
        if max_target_length is not None:
            target_ids = target_ids[:, : max_target_length - 1]
        return _with_end(source_ids), _with_start(target_ids), _with_end(target_ids)

    return (
        pairs.batch(_TOKENIZE_BATCH)
        .map(encode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .unbatch()
        # Unbatched rows are rank-0 ragged specs; padded batching wants tensors.
        .map(_as_tensors)
    )


def _padded_batches(rows, batch_size, boundaries, drop_remainder, pad_to_bucket_boundary):
    """Batches of id rows padded with 0: by length bucket when there are `boundaries`."""
    padded_shapes = ([None], [None], [None])
    padding_values = tuple(tf.constant(vocab_lib.PAD_ID, tf.int32) for _ in range(3))
    if not boundaries:
        return rows.padded_batch(batch_size, padded_shapes=padded_shapes, padding_values=padding_values,
                                 drop_remainder=drop_remainder)
    return rows.bucket_by_sequence_length(
        element_length_func=lambda source, target_in, target_out: tf.maximum(
            tf.shape(source)[0], tf.shape(target_in)[0]
        ),
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=padded_shapes,
        padding_values=padding_values,
        drop_remainder=drop_remainder,
        pad_to_bucket_boundary=pad_to_bucket_boundary,
    )


def without_autotuning():
    """`tf.data.Options` that switch off tf.data's autotuning model.

    Measured on 2-core machines with two trainings side by side (the quickstart):
    at an epoch's end, dropping the epoch's iterator waited for the autotuning
    thread, and a training sat idle for 5–35 s per epoch (docs/performance.md).
    Without the model, `AUTOTUNE` parallelism is the number of cores and the
    prefetch buffer still grows on demand.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def make_training_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=64, max_length=64, seed=None,
                          cache=True, validation=False):
    """Shuffled training batches in a handful of fixed shapes, for `jit_compile=True`.

    `make_dataset` with length buckets every 16 tokens up to `max_length` (longer
    examples are truncated to it), every batch padded to its bucket's length and
    full (the remainder of each bucket is dropped), so XLA compiles the training
    step once per bucket instead of once per batch length.

    Args:
        pairs, source_tokenizer, target_tokenizer, batch_size, seed, cache: as in
            `make_dataset`.
        max_length: the longest source and `target_in`, in tokens.
        validation: batches for `fit(validation_data=...)`: in order, and with
            the last, smaller batch of each bucket kept.

    Returns:
        The dataset of `make_dataset`.
    """
    _check_positive("max_length", max_length, allow_none=False)
    boundaries = tuple(b for b in range(16, 257, 16) if b < max_length) + (max_length + 1,)
    return make_dataset(
        pairs, source_tokenizer, target_tokenizer, batch_size=batch_size, shuffle=not validation, seed=seed,
        cache=cache, bucket_boundaries=boundaries, max_source_length=max_length, max_target_length=max_length,
        pad_to_bucket_boundary=True, drop_remainder=not validation,
    )


def with_known_cardinality(dataset):
    """`dataset`, counted once, with its number of elements stated.

    Length buckets and filters leave a dataset's size unknown to `tf.data`, so
    `fit` would show progress bars without an end and warn at each epoch's end that
    the input "ran out of data". Counting iterates the dataset once (filling its
    cache on the way).
    """
    if dataset.cardinality() >= 0:
        return dataset
    count = int(dataset.reduce(0, lambda count, _: count + 1))
    return dataset.apply(tf.data.experimental.assert_cardinality(count))
