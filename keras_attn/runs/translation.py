"""Using a trained run: load its translator, translate, draw its attention.

Every function takes a run directory, a `Translator.save` folder or an exported
SavedModel version folder (which decodes as it was exported), or a `Translator`
already in memory (what `train` returns), which is used as it is: a caller that
translates, scores and draws with one translator traces its decoding once.

Trust: a SavedModel is a TensorFlow program and a `.keras` model may name code, so
they are loaded only when they look like this project's own: a SavedModel with
keras_attn's metadata (`trust_saved_model=True` runs any other), a run that finished
(`allow_unfinished=True` takes the translator of one that did not).
"""

import os

import tensorflow as tf

from keras_attn import export
from keras_attn import viz
from keras_attn.runs.errors import RunError
from keras_attn.runs.run_directory import RunDirectory
from keras_attn.translator import Attention
from keras_attn.translator import Translator
from keras_attn.translator import translate_in_batches


def load_translator(path, allow_unfinished=False, **settings):
    """A `Translator` from a run directory or a `Translator.save` directory.

    Args:
        path: the folder, or a `Translator` (returned as it is, without `settings`).
        allow_unfinished: take the translator of a run whose training did not
            finish (failed or interrupted after saving it); refused by default.
        **settings: decoding settings replacing the saved ones (e.g. `beam_size=8`).
    """
    if isinstance(path, Translator):
        if settings:
            raise RunError(f"settings {sorted(settings)} apply to a translator loaded from a folder; this one is "
                           "already made.", "path", type(path).__name__)
        return path
    record = RunDirectory(path).read_record()
    if record is not None and not record.get("finished") and not allow_unfinished:
        raise RunError("the run did not finish (its training failed or was interrupted), so its translator may "
                       "be untrained; rerun `train` to finish it, or pass `allow_unfinished=True` to use it anyway.",
                       "path", path)
    for candidate in (RunDirectory(path).translator_dir, path):
        if os.path.isdir(candidate) and os.path.exists(os.path.join(candidate, "translator.json")):
            return Translator.load(candidate, compile=False, **settings)
    raise RunError("no trained translator there (expected a run directory from `train` or a folder written by "
                   "Translator.save).", "path", path)


def is_saved_model(path):
    """Whether `path` is a SavedModel version folder (a `Translator` is not)."""
    return not isinstance(path, Translator) and os.path.isfile(os.path.join(path, "saved_model.pb"))


def load_decoder(path, beam_size=None, trust_saved_model=False, allow_unfinished=False):
    """`texts (list of str) → outputs dict` for a run, a saved translator or a SavedModel.

    The outputs are `Translator.run`'s (`translation`, `scores`, `source_tokens`,
    `target_tokens`, `attention`), which an exported signature returns too. A
    SavedModel's search is part of its graph: a `beam_size` is refused, not ignored.
    A SavedModel without keras_attn's metadata is refused unless `trust_saved_model`
    (TensorFlow runs whatever its graph does: reading and writing files included).
    """
    if is_saved_model(path):
        if not trust_saved_model and not os.path.isfile(os.path.join(path, "assets", export.METADATA_FILE)):
            raise RunError(f"not a SavedModel exported by keras_attn (no assets/{export.METADATA_FILE}); a SavedModel "
                           "is a program that TensorFlow runs with your permissions: pass `trust_saved_model=True` "
                           "only for one you trust.", "path", path)
        if beam_size is not None:
            raise RunError(f"{path} is a SavedModel, which decodes as it was exported (its search is part of the "
                           "graph); export the run again with `beam_size` to serve beam search.", "beam_size",
                           beam_size)
        serving = tf.saved_model.load(path).signatures["serving_default"]
        return lambda texts: {k: v.numpy() for k, v in serving(text=tf.constant(texts, tf.string)).items()}
    translator = load_translator(path, allow_unfinished=allow_unfinished)
    return lambda texts: translator.run(texts, beam_size)


def translate(path, sentences, beam_size=None, progress=False, **trust):
    """Translations of `sentences`, in batches (a progress bar with `progress`).

    `trust`: `trust_saved_model`, `allow_unfinished`, as in `load_decoder`.
    """
    return translate_in_batches(load_decoder(path, beam_size, **trust), list(sentences), progress)


def attention(path, sentence, beam_size=None, **trust):
    """The `Attention` of `sentence`'s translation (tokens, weights [Tt, Ts], translation)."""
    return Attention.from_outputs(load_decoder(path, beam_size, **trust)([sentence]))


def plot_attention(path, sentence, output, beam_size=None, **trust):
    """Writes the attention heatmap of `sentence`'s translation to `output` (PNG).

    Returns:
        The `Attention` that was drawn.
    """
    drawn = attention(path, sentence, beam_size, **trust)
    viz.attention_heatmap(drawn.weights, drawn.source_tokens, drawn.target_tokens,
                          title=f"{sentence} → {drawn.translation}", path=output)
    return drawn
