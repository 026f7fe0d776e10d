"""The tokenizer interface shared by word, subword and character tokenizers.

A tokenizer normalises text (`keras_attn.tokenizers.text`), splits it into tokens
and maps them to ids with `tf.lookup` tables. `tokenize`, `detokenize`, `lookup_ids`
and `lookup_tokens` are made of TensorFlow and TensorFlow Text ops only, so they work
eagerly, inside `tf.data` pipelines and inside a `tf.function` saved in a SavedModel. A tokenizer is a
`tf.Module`: its tables are tracked, and when it was loaded from a directory its
vocabulary file becomes a SavedModel asset.
"""

import json
import os

import numpy as np
import tensorflow as tf

from keras_attn import files
from keras_attn.tokenizers import text
from keras_attn.tokenizers import vocabulary as vocab_lib

_CONFIG_FILE = "tokenizer.json"
_VOCABULARY_FILE = "vocabulary.txt"
_FORMAT_VERSION = 1
_REGISTRY = {}


def register(cls):
    """Makes a tokenizer class loadable by `Tokenizer.load` (class decorator)."""
    _REGISTRY[cls.__name__] = cls
    return cls


def as_text_dataset(texts):
    """A `tf.data.Dataset` of scalar strings from a Dataset or an iterable of `str`.

    The corpus argument of every `from_corpus` goes through it, so they all accept
    the same inputs and reject the same mistakes.

    Args:
        texts: a `tf.data.Dataset` whose elements are scalar `tf.string` tensors, or
            an iterable of `str` (read lazily, once per pass over the Dataset).

    Returns:
        `texts` itself when it is already such a Dataset, else a Dataset reading it.

    Raises:
        ValueError: for a Dataset of anything but scalar strings, e.g. of
            `(source, target)` pairs.
        TypeError: for a single `str` or `bytes` instead of an iterable of them.

    Example:

    >>> [t.decode() for t in as_text_dataset(["a b", "c"]).as_numpy_iterator()]
    ['a b', 'c']
    """
    if isinstance(texts, tf.data.Dataset):
        spec = texts.element_spec
        if not (isinstance(spec, tf.TensorSpec) and spec.dtype == tf.string and spec.shape.rank == 0):
            raise ValueError(
                "Expected a tf.data.Dataset of scalar tf.string elements, got element_spec "
                f"{spec}. For (source, target) pairs, map to one side first, e.g. "
                "`pairs.map(lambda source, target: source)`."
            )
        return texts
    if isinstance(texts, (str, bytes)):
        raise TypeError("Expected an iterable of strings (or a Dataset), got a single string.")
    return tf.data.Dataset.from_generator(
        lambda: iter(texts), output_signature=tf.TensorSpec((), tf.string)
    )


def normalized_token_batches(texts, split, batch_size=1024):
    """Yields numpy arrays of (bytes) tokens of normalised `texts`, batch by batch.

    Args:
        texts: a `tf.data.Dataset` of scalar strings or an iterable of `str`.
        split: maps a `[N]` tensor of normalised strings to a ragged `[N, None]`
            tensor of tokens.
        batch_size: strings normalised per TensorFlow call.
    """
    dataset = as_text_dataset(texts).batch(batch_size)
    dataset = dataset.map(lambda batch: split(text.normalize_tf(batch)).flat_values)
    yield from dataset.as_numpy_iterator()


class Tokenizer(tf.Module):
    """Base class: vocabulary tables, id/token conversions, saving and loading.

    Subclasses implement `_tokenize_normalized` (normalised strings → ragged ids)
    and `_join` (ragged token strings → strings), and list their options in
    `get_config`.

    Args:
        vocabulary: a list of tokens in id order, or the path of a vocabulary file
            (see `keras_attn.tokenizers.vocabulary`). It must start with the reserved
            tokens "[PAD]", "[START]", "[END]", "[UNK]".
        name: name of the `tf.Module`.
    """

    def __init__(self, vocabulary, name=None):
        super().__init__(name=name)
        if isinstance(vocabulary, (str, os.PathLike)):
            self._vocabulary_file = os.fspath(vocabulary)
            tokens = vocab_lib.read_vocabulary(self._vocabulary_file)
        else:
            self._vocabulary_file = None
            tokens = vocab_lib.check_vocabulary(vocabulary)
        self._check_tokens(tokens)
        self._tokens = tuple(tokens)
        self._ids = {token: index for index, token in enumerate(tokens)}
        if self._vocabulary_file:
            # Reading the file itself makes it a tracked asset of any SavedModel.
            to_id = tf.lookup.TextFileInitializer(
                self._vocabulary_file,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            to_token = tf.lookup.TextFileInitializer(
                self._vocabulary_file,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
            )
        else:
            keys = tf.constant(self._tokens, dtype=tf.string)
            ids = tf.range(len(self._tokens), dtype=tf.int64)
            to_id = tf.lookup.KeyValueTensorInitializer(keys, ids)
            to_token = tf.lookup.KeyValueTensorInitializer(ids, keys)
        self._token_to_id_table = tf.lookup.StaticHashTable(to_id, default_value=vocab_lib.UNK_ID)
        self._id_to_token_table = tf.lookup.StaticHashTable(to_token, default_value=vocab_lib.UNK_TOKEN)

    def _check_tokens(self, tokens):
        """Subclass hook: raise `ValueError` for tokens the tokenizer cannot produce."""

    # Vocabulary.

    def vocabulary_size(self):
        """Number of tokens, reserved tokens included."""
        return len(self._tokens)

    def get_vocabulary(self):
        """The list of tokens in id order."""
        return list(self._tokens)

    def id_to_token(self, token_id):
        """The token of an id, e.g. `id_to_token(2) == "[END]"`."""
        token_id = int(token_id)
        if not 0 <= token_id < len(self._tokens):
            raise ValueError(f"Token id {token_id} is out of range [0, {len(self._tokens)}).")
        return self._tokens[token_id]

    def token_to_id(self, token):
        """The id of a token, or the id of "[UNK]" if it is not in the vocabulary."""
        return self._ids.get(token, vocab_lib.UNK_ID)

    def ids_to_tokens(self, ids):
        """Token strings of a sequence (or a batch of sequences) of ids.

        Unlike `detokenize`, nothing is dropped or joined: use it to label the axes
        of an attention heatmap. Inside a graph use `lookup_tokens`.

        Args:
            ids: a list, array or tensor of ids, 1-D or 2-D (ragged allowed).

        Returns:
            A list of token strings, or a list of such lists.
        """
        if isinstance(ids, tf.RaggedTensor):
            ids = ids.to_list()
        elif isinstance(ids, (tf.Tensor, np.ndarray)):
            ids = np.asarray(ids).tolist()
        if isinstance(ids, (int, np.integer)):
            raise ValueError("ids_to_tokens expects a sequence of ids; use id_to_token for one id.")
        return [
            self.ids_to_tokens(row) if isinstance(row, (list, tuple)) else self.id_to_token(row)
            for row in ids
        ]

    # Tokenization.

    def tokenize(self, inputs, sequence_length=None):
        """Normalises and tokenizes strings into ids.

        Args:
            inputs: a string, a list of strings, or a `tf.string` tensor of rank 0
                or 1.
            sequence_length: if given, pad with 0 ("[PAD]") or truncate every row
                to this length and return a dense tensor.

        Returns:
            `int32` ids: for a single string a 1-D tensor; for a batch a
            `tf.RaggedTensor` `[B, None]`, or a dense `[B, sequence_length]` tensor
            when `sequence_length` is given. No start or end token is added.
        """
        inputs = tf.convert_to_tensor(inputs, dtype=tf.string)
        if inputs.shape.rank not in (0, 1):
            raise ValueError(
                f"{type(self).__name__}.tokenize expects a string or a 1-D batch of strings, "
                f"got a tensor of shape {inputs.shape}."
            )
        scalar = inputs.shape.rank == 0
        batch = tf.reshape(inputs, [-1])
        ids = self._tokenize_normalized(text.normalize_tf(batch))
        ids = tf.cast(ids, tf.int32)
        if sequence_length is not None:
            ids = ids.to_tensor(default_value=vocab_lib.PAD_ID, shape=[None, sequence_length])
        return ids[0] if scalar else ids

    def detokenize(self, ids):
        """Turns ids back into normalised text.

        "[PAD]" and "[START]" are dropped, and so is everything from the first
        "[END]" on, so raw decoder outputs can be passed in. Unknown tokens come
        out as "[UNK]".

        Args:
            ids: a 1-D or 2-D list, array, tensor or ragged tensor of ids.

        Returns:
            A scalar `tf.string` tensor for 1-D input, else a `[B]` tensor.
        """
        ids, scalar = _as_ragged_ids(ids)
        dense = ids.to_tensor(default_value=vocab_lib.PAD_ID)
        ended = tf.cumsum(tf.cast(tf.equal(dense, vocab_lib.END_ID), tf.int32), axis=1) > 0
        keep = (
            tf.logical_not(ended)
            & tf.not_equal(dense, vocab_lib.PAD_ID)
            & tf.not_equal(dense, vocab_lib.START_ID)
        )
        kept = tf.ragged.boolean_mask(dense, keep)
        tokens = self.lookup_tokens(kept)
        strings = self._join(tokens)
        return strings[0] if scalar else strings

    def lookup_ids(self, tokens):
        """Ids of token strings, a `tf.RaggedTensor` or tensor (graph-compatible)."""
        if isinstance(tokens, tf.RaggedTensor):
            return tf.ragged.map_flat_values(self._token_to_id_table.lookup, tokens)
        return self._token_to_id_table.lookup(tokens)

    def lookup_tokens(self, ids):
        """Token strings of ids, in-graph: the inverse of `lookup_ids`.

        Nothing is dropped or joined (unlike `detokenize`): every id gives one
        token, reserved ids their reserved token ("[PAD]", "[START]", "[END]",
        "[UNK]") and ids outside the vocabulary "[UNK]". It reads the same
        `tf.lookup` table as `detokenize`, so it works eagerly, inside a
        `tf.function` and `tf.data`, and in a SavedModel, where the table reads
        the tokenizer's vocabulary asset. `ids_to_tokens` is the Python-only
        counterpart that returns lists of `str`.

        Args:
            ids: integer ids of any shape: a tensor, `tf.RaggedTensor`, array or
                list.

        Returns:
            A `tf.string` tensor (or `tf.RaggedTensor`) of the same shape.

        Example:

        >>> tokenizer = Tokenizer(["[PAD]", "[START]", "[END]", "[UNK]", "rice"])
        >>> tokenizer.lookup_tokens([[1, 4, 2], [4, 0, 9]]).numpy().tolist()
        [[b'[START]', b'rice', b'[END]'], [b'rice', b'[PAD]', b'[UNK]']]
        """
        if isinstance(ids, tf.RaggedTensor):
            return tf.ragged.map_flat_values(self.lookup_tokens, ids)
        return self._id_to_token_table.lookup(tf.cast(ids, tf.int64))

    def _tokenize_normalized(self, texts):
        raise NotImplementedError

    def _join(self, tokens):
        raise NotImplementedError

    # Serialization.

    def get_config(self):
        """The constructor arguments, vocabulary (as a list) included."""
        return {"vocabulary": list(self._tokens), "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Builds a tokenizer from `get_config()`."""
        return cls(**config)

    def save(self, directory):
        """Writes `vocabulary.txt` and `tokenizer.json` into `directory`.

        Args:
            directory: a directory, created if needed.

        Returns:
            `directory`.
        """
        os.makedirs(directory, exist_ok=True)
        vocab_lib.write_vocabulary(self._tokens, os.path.join(directory, _VOCABULARY_FILE))
        config = self.get_config()
        config.pop("vocabulary")
        record = {
            "class_name": type(self).__name__,
            "format_version": _FORMAT_VERSION,
            "vocabulary_file": _VOCABULARY_FILE,
            "config": config,
        }
        with open(os.path.join(directory, _CONFIG_FILE), "w", encoding="utf-8") as file:
            json.dump(record, file, indent=2, ensure_ascii=False)
            file.write("\n")
        return directory

    @classmethod
    def load(cls, directory):
        """Loads a tokenizer saved by `save`.

        Called on `Tokenizer` it returns whichever tokenizer class was saved; called
        on a subclass it also checks the saved class is that one.

        Args:
            directory: the directory `save` wrote.

        Returns:
            The tokenizer, whose tables read the directory's vocabulary file.
        """
        path = os.path.join(directory, _CONFIG_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No saved tokenizer in {directory}: {_CONFIG_FILE} is missing.")
        record = files.read_record(path, {"class_name": str, "vocabulary_file": str, "config": dict})
        if record.get("format_version") != _FORMAT_VERSION:
            raise ValueError(
                f"{path}: unsupported format_version {record.get('format_version')!r}, "
                f"expected {_FORMAT_VERSION}."
            )
        class_name = record.get("class_name")
        if class_name not in _REGISTRY:
            raise ValueError(f"{path}: unknown tokenizer class {class_name!r}; known: {sorted(_REGISTRY)}.")
        saved_class = _REGISTRY[class_name]
        if not issubclass(saved_class, cls):
            raise ValueError(f"{path} holds a {class_name}, not a {cls.__name__}.")
        vocabulary_path = files.contained_path(directory, record["vocabulary_file"], path, "vocabulary_file")
        if not os.path.isfile(vocabulary_path):
            raise files.RecordError(f"{path}: the vocabulary file it names is missing.")
        try:
            return saved_class(vocabulary=vocabulary_path, **record["config"])
        except (TypeError, ValueError, tf.errors.OpError) as error:
            # Said without the message: a table error may quote the file's lines.
            raise files.RecordError(f"{path}: the tokenizer cannot be rebuilt from its config and vocabulary "
                                    f"({type(error).__name__}).") from None

    def __repr__(self):
        return f"{type(self).__name__}(vocabulary_size={self.vocabulary_size()})"


def _as_ragged_ids(ids):
    """(ragged int64 `[B, None]` ids, whether the input was a single sequence)."""
    if isinstance(ids, tf.RaggedTensor):
        ragged = ids
    elif isinstance(ids, (tf.Tensor, tf.Variable, np.ndarray)):
        ragged = tf.convert_to_tensor(ids)
    else:
        ids = list(ids)
        if ids and isinstance(ids[0], (list, tuple, np.ndarray)):
            ragged = tf.ragged.constant([list(row) for row in ids], dtype=tf.int64)
        else:
            ragged = tf.constant(ids, dtype=tf.int64, shape=[len(ids)])
    rank = ragged.shape.rank
    if rank not in (1, 2):
        raise ValueError(f"detokenize expects 1-D or 2-D ids, got shape {ragged.shape}.")
    if not ragged.dtype.is_integer:
        raise ValueError(f"detokenize expects integer ids, got dtype {ragged.dtype.name}.")
    ragged = tf.cast(ragged, tf.int64)
    scalar = rank == 1
    if scalar:
        ragged = ragged[tf.newaxis]
    if not isinstance(ragged, tf.RaggedTensor):
        ragged = tf.RaggedTensor.from_tensor(ragged)
    return ragged, scalar
