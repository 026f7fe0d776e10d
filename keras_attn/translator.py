"""`Translator`: a model, its two tokenizers and the decoding settings, as one object.

The whole text → text path is one TensorFlow graph (`Translator.serving_fn`):
normalise and tokenize the source in-graph, encode it, run greedy or beam search
over the model's one-step contract (`initial_state` / `step`, see
`keras_attn.decoding`), then detokenize. `translate` runs that graph in-process and
`keras_attn.export.export` writes the very same graph into a SavedModel, so an
exported model and the Python object give the same translations.

Nothing here depends on a particular model family: the model is a
`keras_attn.models.GenerativeModel`, whose contract (`initial_state(source_ids,
max_length)`, `step(token_ids, state, index)`, and the caps `max_decode_length` and
`max_source_length`) is all the translator uses.
"""

import json
import numbers
import os
import typing
import weakref
import zipfile

import keras
import numpy as np
import tensorflow as tf

from keras_attn import data
from keras_attn import decoding
from keras_attn import files
from keras_attn import models
from keras_attn.tokenizers import vocabulary as vocab_lib
from keras_attn.version import __version__

STRATEGIES = ("greedy", "beam")
OUTPUT_KEYS = ("translation", "scores", "source_tokens", "target_tokens", "attention")
_SETTINGS_FILE = "translator.json"
_MODEL_FILE = "model.keras"
_SOURCE_DIR = "source_tokenizer"
_TARGET_DIR = "target_tokenizer"
_FORMAT_VERSION = 1
# `translate` feeds the graph in chunks so a long list does not become one huge batch.
# Upper bounds checked before any work: a beam's memory grows with beams × length × vocabulary
# (20,000 beams took 13 GB), and no sentence of the zoo's corpora needs more.
MAX_BEAM_SIZE = 64
MAX_DECODE_LENGTH = 1024
# Sentences per graph call when translating many: bounded memory, and a progress bar that moves.
TRANSLATE_BATCH = 64


def translate_in_batches(run_batch, sentences, progress=False):
    """`run_batch(texts) → outputs dict` over `sentences` in `TRANSLATE_BATCH`es; the translations.

    `progress` shows a Keras progress bar counting sentences. Shared by
    `Translator.translate` and the SavedModel path of `keras_attn.runs.translate`.
    """
    bar = keras.utils.Progbar(len(sentences), unit_name="sentence") if progress and sentences else None
    translations = []
    for start in range(0, len(sentences), TRANSLATE_BATCH):
        batch = sentences[start:start + TRANSLATE_BATCH]
        translations += [value.decode("utf-8") for value in np.asarray(run_batch(batch)["translation"])]
        if bar:
            bar.add(len(batch))
    return translations


class Attention(typing.NamedTuple):
    """The attention of one translation, ready for `keras_attn.viz.attention_heatmap`.

    `weights[t, s]` is the attention target token `t` paid to source token `s`;
    `source_tokens` ends with "[END]" (what the model read) and `target_tokens`
    with "[END]" when the hypothesis ended.
    """

    source_tokens: list
    target_tokens: list
    weights: np.ndarray
    translation: str
    score: float

    @classmethod
    def from_outputs(cls, outputs, index=0):
        """Sentence `index` of a batch of `Translator.run` (or exported signature) outputs, trimmed of padding."""
        source = [t.decode("utf-8") for t in np.asarray(outputs["source_tokens"])[index] if t]
        target = [t.decode("utf-8") for t in np.asarray(outputs["target_tokens"])[index] if t]
        return cls(
            source_tokens=source,
            target_tokens=target,
            weights=np.asarray(outputs["attention"])[index, : len(target), : len(source)],
            translation=np.asarray(outputs["translation"])[index].decode("utf-8"),
            score=float(np.asarray(outputs["scores"])[index]),
        )


class Translator:
    """Translates text with a model that provides the one-step decoding contract.

    Sources are normalised and tokenized with `source_tokenizer`, truncated to
    `max_source_length - 1` tokens and terminated with "[END]" (as in
    `keras_attn.data.make_dataset`); at most `max_length` target tokens are
    generated, "[END]" included. An input that is empty after normalisation
    translates to "" (score 0, no target tokens) whatever the model would emit.

    Args:
        model: a `keras_attn.models.GenerativeModel` (the one-step contract),
            e.g. from `keras_attn.models.seq2seq` or `transformer`.
        source_tokenizer: a `keras_attn.data.Tokenizer` for the source language.
        target_tokenizer: a `keras_attn.data.Tokenizer` for the target language.
        strategy: `"greedy"` or `"beam"`.
        beam_size: beams for `strategy="beam"` (an int from 1 to `MAX_BEAM_SIZE`).
        length_penalty: GNMT length penalty alpha >= 0 for beam search.
        max_length: maximum generated tokens, "[END]" included (at most
            `MAX_DECODE_LENGTH`); capped at the model's `max_decode_length` when it
            has one.
        max_source_length: maximum source tokens, "[END]" included (longer inputs
            are truncated); capped at the model's `max_source_length` when it has one.

    Example:

    >>> model = keras_attn.models.seq2seq(src.vocabulary_size(), tgt.vocabulary_size())
    >>> translator = Translator(model, src, tgt, strategy="beam", beam_size=4)
    >>> translator.translate(["나는 밥을 먹었다", ""])
    ['i ate rice', '']
    """

    def __init__(
        self,
        model,
        source_tokenizer,
        target_tokenizer,
        strategy="greedy",
        beam_size=4,
        length_penalty=0.6,
        max_length=50,
        max_source_length=64,
    ):
        if not isinstance(model, models.GenerativeModel):
            raise ValueError(
                "Translator: `model` must provide the one-step contract of keras_attn.models.GenerativeModel "
                f"(`initial_state(source_ids, max_length)` and `step(token_ids, state, index)`), e.g. a model "
                f"from keras_attn.models.seq2seq or transformer; got a {type(model).__name__}."
            )
        for argument, tokenizer in (("source_tokenizer", source_tokenizer), ("target_tokenizer", target_tokenizer)):
            if not isinstance(tokenizer, data.Tokenizer):
                raise ValueError(
                    f"Translator: `{argument}` must be a keras_attn.data.Tokenizer, "
                    f"got {type(tokenizer).__name__}."
                )
        if strategy not in STRATEGIES:
            raise ValueError(f"Translator: `strategy` must be one of {STRATEGIES}, got {strategy!r}.")
        _check_int("beam_size", beam_size, 1, MAX_BEAM_SIZE)
        _check_int("max_length", max_length, 1, MAX_DECODE_LENGTH)
        _check_int("max_source_length", max_source_length, 2)  # one token plus "[END]"
        if isinstance(length_penalty, bool) or not isinstance(length_penalty, numbers.Real) or length_penalty < 0:
            raise ValueError(f"Translator: `length_penalty` must be a number >= 0, got {length_penalty!r}.")
        _check_vocabulary(model, "source_vocab_size", source_tokenizer, "source_tokenizer")
        _check_vocabulary(model, "target_vocab_size", target_tokenizer, "target_tokenizer")

        self.model = model
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.strategy = strategy
        self.beam_size = int(beam_size)
        self.length_penalty = float(length_penalty)
        # What was asked for is kept (for `save`); what is used is capped by the model.
        self.requested_max_length = int(max_length)
        self.requested_max_source_length = int(max_source_length)
        self.max_length = _capped(max_length, model.max_decode_length)
        self.max_source_length = _capped(max_source_length, model.max_source_length)

    # Settings -------------------------------------------------------------------

    def get_config(self):
        """The decoding settings (everything but the model and tokenizers), JSON-ready."""
        return {
            "strategy": self.strategy,
            "beam_size": self.beam_size,
            "length_penalty": self.length_penalty,
            "max_length": self.requested_max_length,
            "max_source_length": self.requested_max_source_length,
        }

    def effective_beam_size(self, beam_size=None):
        """The beam width a call uses: `beam_size` if given, else 1 for greedy."""
        if beam_size is not None:
            return _check_int("beam_size", beam_size, 1, MAX_BEAM_SIZE)
        return self.beam_size if self.strategy == "beam" else 1

    def with_tokenizers(self, source_tokenizer, target_tokenizer):
        """A translator sharing this model and settings but using other tokenizers.

        `keras_attn.export` uses it to swap in tokenizers whose vocabularies are
        files (SavedModel assets) instead of in-graph constants.
        """
        return Translator(self.model, source_tokenizer, target_tokenizer, **self.get_config())

    # The graph ------------------------------------------------------------------

    def serving_fn(self, text, beam_size=None):
        """The whole translation graph for a batch of strings (traceable, no Python ops).

        Args:
            text: `tf.string` `[B]`, raw (un-normalised) UTF-8 text; invalid UTF-8
                is replaced by U+FFFD during normalisation.
            beam_size: beam width; `None` uses the translator's settings, 1 is greedy.

        Returns:
            A dict with `translation` string `[B]`, `scores` float32 `[B]` (the
            log-probability of the returned hypothesis), `source_tokens` string
            `[B, Ts]` (ending with "[END]", padded with ""), `target_tokens` string
            `[B, Tt]` (including "[END]" when produced, padded with "") and
            `attention` float32 `[B, Tt, Ts]` aligned with the two token outputs
            and zero on padding. An input that is empty after normalisation gets
            translation "", score 0, no target tokens and zero attention.
        """
        beam_size = self.effective_beam_size(beam_size)
        text = tf.reshape(tf.convert_to_tensor(text, tf.string), [-1])
        requested = tf.shape(text)[0]
        # Decoding needs at least one row: an empty batch runs one "" and is cut
        # back to zero rows at the end.
        text = tf.concat([text, [""]], axis=0)[: tf.maximum(requested, 1)]

        source_ids = self.source_ids(text)
        empty = tf.equal(tf.math.count_nonzero(source_ids, axis=1, dtype=tf.int32), 1)
        source_mask = tf.not_equal(source_ids, vocab_lib.PAD_ID)

        strategy = "greedy" if beam_size == 1 else "beam"
        result = decoding.decode(self.model, source_ids, self.max_length, strategy=strategy, beam_size=beam_size,
                                 length_penalty=self.length_penalty)

        lengths = tf.where(empty, 0, result["lengths"])
        # The longest hypothesis of the batch (0 for an all-empty or empty batch).
        target_length = tf.reduce_max(tf.concat([lengths, [0]], axis=0))
        keep = tf.sequence_mask(lengths, target_length)
        tokens = tf.where(keep, result["tokens"][:, :target_length], vocab_lib.PAD_ID)

        attention = _fit_width(result["attention"][:, :target_length], tf.shape(source_ids)[1])
        attention *= tf.cast(keep[:, :, None] & source_mask[:, None, :], tf.float32)
        outputs = {
            "translation": self.target_tokenizer.detokenize(tokens),
            "scores": tf.where(empty, 0.0, result["log_probs"]),
            "source_tokens": tf.where(source_mask, _token_strings(self.source_tokenizer, source_ids), ""),
            "target_tokens": tf.where(keep, _token_strings(self.target_tokenizer, tokens), ""),
            "attention": attention,
        }
        return {key: value[:requested] for key, value in outputs.items()}

    def source_ids(self, text):
        """The ids the model reads for a batch of strings (traceable).

        Each source is normalised and tokenized, cut to `max_source_length - 1`
        tokens and ended with "[END]", then the batch is padded with 0, as
        `keras_attn.data.make_dataset` prepares training sources.

        Args:
            text: `tf.string` `[B]` (or a list of `str`).

        Returns:
            int `[B, Ts]`; an empty source is just "[END]".
        """
        text = tf.reshape(tf.convert_to_tensor(text, tf.string), [-1])
        pieces = self.source_tokenizer.tokenize(text)[:, : self.max_source_length - 1]
        end = tf.fill([tf.shape(text)[0], 1], tf.constant(vocab_lib.END_ID, pieces.dtype))
        return tf.concat([pieces, tf.RaggedTensor.from_tensor(end)], axis=1).to_tensor(vocab_lib.PAD_ID)

    def _function(self, beam_size):
        """The traced `serving_fn` for one beam width (traced once, for any batch)."""
        beam_size = self.effective_beam_size(beam_size)
        translator = weakref.ref(self)
        return decoding.cached_function(
            self, ("serving_fn", beam_size), lambda text: translator().serving_fn(text, beam_size),
            input_signature=[tf.TensorSpec([None], tf.string, name="text")], autograph=False,
        )

    def run(self, sentences, beam_size=None):
        """Runs the translation graph on a list of strings; returns numpy outputs.

        Args:
            sentences: a list of `str` (or UTF-8 `bytes`).
            beam_size: beam width for this call; `None` uses the settings.

        Returns:
            The dict of `serving_fn`, as numpy arrays, for one batch.
        """
        sentences = _check_sentences(sentences)
        outputs = self._function(beam_size)(tf.constant(sentences, tf.string, shape=[len(sentences)]))
        return {key: value.numpy() for key, value in outputs.items()}

    # Public API -----------------------------------------------------------------

    def translate(self, sentences, beam_size=None, progress=False):
        """Translates a list of sentences.

        Args:
            sentences: a list of `str`; the empty string translates to "".
            beam_size: beam width for this call (1 = greedy); `None` uses the
                translator's `strategy` / `beam_size`.
            progress: show a progress bar (sentences translated).

        Returns:
            A `list[str]` of normalised translations, one per input.

        Example:

        >>> translator.translate(["나는 밥을 먹었다", ""])
        ['i ate rice', '']
        """
        sentences = _check_sentences(sentences)
        return translate_in_batches(lambda batch: self.run(batch, beam_size), sentences, progress)

    def attention(self, sentence, beam_size=None):
        """Translates one sentence and returns its attention, trimmed of padding.

        Args:
            sentence: a `str`.
            beam_size: as in `translate`.

        Returns:
            An `Attention` `(source_tokens, target_tokens, weights [Tt, Ts],
            translation, score)`; plot it with
            `keras_attn.viz.attention_heatmap(a.weights, a.source_tokens, a.target_tokens)`.
            A model without attention gives zero weights.

        Example:

        >>> a = translator.attention("나는 밥을 먹었다")
        >>> a.source_tokens, a.target_tokens
        (['나는', '밥을', '먹었다', '[END]'], ['i', 'ate', 'rice', '[END]'])
        """
        if not isinstance(sentence, str):
            raise TypeError(f"Translator.attention expects one str, got {type(sentence).__name__}: {sentence!r}.")
        return Attention.from_outputs(self.run([sentence], beam_size))

    # Saving ---------------------------------------------------------------------

    def save(self, directory, overwrite=False):
        """Saves the model (`model.keras`), both tokenizers and the settings.

        Args:
            directory: the folder to write (created if needed).
            overwrite: replace a translator already saved there.

        Returns:
            `directory`.

        Example:

        >>> translator.save("runs/ko_en")
        >>> translator = Translator.load("runs/ko_en")
        """
        directory = os.fspath(directory)
        settings_path = os.path.join(directory, _SETTINGS_FILE)
        if os.path.exists(settings_path) and not overwrite:
            raise FileExistsError(
                f"Translator.save: {directory} already holds a saved translator; "
                "pass overwrite=True to replace it."
            )
        os.makedirs(directory, exist_ok=True)
        self.model.save(os.path.join(directory, _MODEL_FILE))
        self.source_tokenizer.save(os.path.join(directory, _SOURCE_DIR))
        self.target_tokenizer.save(os.path.join(directory, _TARGET_DIR))
        record = {
            "format_version": _FORMAT_VERSION,
            "library_version": __version__,
            "model_file": _MODEL_FILE,
            "source_tokenizer": _SOURCE_DIR,
            "target_tokenizer": _TARGET_DIR,
            "settings": self.get_config(),
        }
        # The settings file is written last: its presence marks a complete save.
        with open(settings_path, "w", encoding="utf-8") as file:
            json.dump(record, file, indent=2)
            file.write("\n")
        return directory

    @classmethod
    def load(cls, directory, compile=True, **overrides):
        """Loads a translator written by `save`.

        Args:
            directory: the folder `save` wrote.
            compile: passed to `keras.saving.load_model` (restores the optimizer
                of a compiled model, for continued training).
            **overrides: decoding settings replacing the saved ones, e.g.
                `beam_size=8`.

        Returns:
            A `Translator`.
        """
        directory = os.fspath(directory)
        settings_path = os.path.join(directory, _SETTINGS_FILE)
        if not os.path.isfile(settings_path):
            raise FileNotFoundError(f"Translator.load: no saved translator in {directory} ({_SETTINGS_FILE} is missing).")
        record = files.read_record(settings_path, {"settings": dict, "model_file": str, "source_tokenizer": str,
                                                   "target_tokenizer": str})
        if record.get("format_version") != _FORMAT_VERSION:
            raise ValueError(
                f"Translator.load: {settings_path} has format_version {record.get('format_version')!r}, "
                f"expected {_FORMAT_VERSION}."
            )
        unknown = set(overrides) - set(record["settings"])
        if unknown:
            raise ValueError(f"Translator.load: unknown settings {sorted(unknown)}; known: {sorted(record['settings'])}.")
        paths = {field: files.contained_path(directory, record[field], settings_path, field)
                 for field in ("model_file", "source_tokenizer", "target_tokenizer")}
        if not os.path.isfile(paths["model_file"]):
            raise files.RecordError(f"{settings_path}: the model file it names is missing.")
        if not zipfile.is_zipfile(paths["model_file"]):
            raise files.RecordError(f"{paths['model_file']}: not a Keras zip archive (a truncated or damaged file?).")
        try:
            model = keras.saving.load_model(paths["model_file"], compile=compile)
        except (ValueError, TypeError, KeyError, OSError, zipfile.BadZipFile) as error:
            raise files.RecordError(f"{paths['model_file']}: not a loadable .keras model ({type(error).__name__}: a "
                                    "damaged archive, or a model of classes this version does not know).") from None
        source = data.Tokenizer.load(paths["source_tokenizer"])
        target = data.Tokenizer.load(paths["target_tokenizer"])
        try:
            return cls(model, source, target, **{**record["settings"], **overrides})
        except TypeError as error:  # a settings key the constructor does not take
            raise files.RecordError(f"{settings_path}: unusable settings ({error}).") from None

    def __repr__(self):
        return (
            f"Translator(model={self.model.name!r}, strategy={self.strategy!r}, beam_size={self.beam_size}, "
            f"max_length={self.max_length}, max_source_length={self.max_source_length})"
        )


# Helpers ------------------------------------------------------------------------


def _token_strings(tokenizer, ids):
    """Token strings of an id tensor, in-graph, through the tokenizer's own table."""
    # `lookup_tokens` reads the table `detokenize` uses, so in an export it reads
    # the same vocabulary asset; `ids_to_tokens` is its Python-only counterpart.
    return tokenizer.lookup_tokens(ids)


def _fit_width(attention, width):
    """Pads or cuts the last axis of `attention [B, T, S]` to `width`.

    A model without attention may return none (`S == 0`); a model may also attend
    over fewer or more positions than the source has tokens.
    """
    missing = tf.maximum(width - tf.shape(attention)[2], 0)
    attention = tf.pad(attention, [[0, 0], [0, 0], [0, missing]])
    return attention[:, :, :width]


def _capped(value, cap):
    return int(value) if cap is None else min(int(value), int(cap))


def _check_int(argument, value, minimum, maximum=None):
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum
            or maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise ValueError(f"Translator: `{argument}` must be an int {bound}, got {value!r}.")
    return int(value)


def _check_vocabulary(model, attribute, tokenizer, argument):
    """A tokenizer with more ids than the model's embedding would index out of range."""
    size = getattr(model, attribute, None)
    if isinstance(size, int) and tokenizer.vocabulary_size() > size:
        raise ValueError(
            f"Translator: `{argument}` has {tokenizer.vocabulary_size()} tokens but the model's "
            f"{attribute} is {size}; build the model with the tokenizer's vocabulary_size()."
        )


def _check_sentences(sentences):
    if isinstance(sentences, (str, bytes)):
        raise TypeError("Translator expects a list of strings, got a single string; wrap it in a list.")
    sentences = list(sentences)
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, (str, bytes)):
            raise TypeError(
                f"Translator expects a list of str; item {index} is a {type(sentence).__name__}: {sentence!r}."
            )
    return sentences
