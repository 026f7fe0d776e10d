"""Using a trained run: load its translator, translate, draw its attention."""

import os

import tensorflow as tf

from keras_attn import viz
from keras_attn.runs.errors import RunError
from keras_attn.runs.run_directory import RunDirectory
from keras_attn.translator import Translator


def load_translator(path, **settings):
    """A `Translator` from a run directory or a `Translator.save` directory.

    Args:
        path: the folder.
        **settings: decoding settings replacing the saved ones (e.g. `beam_size=8`).
    """
    for candidate in (RunDirectory(path).translator_dir, path):
        if os.path.isdir(candidate) and os.path.exists(os.path.join(candidate, "translator.json")):
            return Translator.load(candidate, compile=False, **settings)
    raise RunError("no trained translator there (expected a run directory from `train` or a folder written by "
                   "Translator.save).", "path", path)


def is_saved_model(path):
    """Whether `path` is a SavedModel version folder."""
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def translate(path, sentences, beam_size=None):
    """Translations of `sentences` by a run directory, a saved translator or a SavedModel."""
    if is_saved_model(path):
        serving = tf.saved_model.load(path).signatures["serving_default"]
        outputs = serving(text=tf.constant(list(sentences), tf.string))
        return [t.decode("utf-8") for t in outputs["translation"].numpy()]
    return load_translator(path).translate(list(sentences), beam_size=beam_size)


def plot_attention(path, sentence, output, beam_size=None):
    """Writes the attention heatmap of `sentence`'s translation to `output` (PNG).

    Returns:
        The `Translator.attention` result that was drawn.
    """
    attention = load_translator(path).attention(sentence, beam_size=beam_size)
    viz.attention_heatmap(attention.weights, attention.source_tokens, attention.target_tokens,
                          title=f"{sentence} → {attention.translation}", path=output)
    return attention
