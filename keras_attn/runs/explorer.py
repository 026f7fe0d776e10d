"""`explore`: the attention explorer page of a run or a SavedModel.

From a run directory (or a `Translator.save` folder) every map the model has is
shown: a Transformer's cross-attention and its encoder's and decoder's
self-attention, per layer and head and averaged over heads (`Transformer.
attention_weights`, teacher-forced on the model's own translation), or an RNN
decoder's attention at each step; with beam search, every beam. From an exported
SavedModel, the attention its signature returns. Sentences of the ko-en corpus
get the grammar's gold alignment beside the model's, when the model translated
them to the reference.
"""

import dataclasses

import numpy as np

from keras_attn import data
from keras_attn import decoding
from keras_attn import models
from keras_attn import viz
from keras_attn.data.corpora import ko_en
from keras_attn.runs.errors import RunError
from keras_attn.runs.translation import is_saved_model
from keras_attn.runs.translation import load_decoder
from keras_attn.runs.translation import load_translator
from keras_attn.translator import Attention
from keras_attn.translator import Translator

# ko-en test pairs searched for a sentence's gold alignment, besides the seed example.
GOLD_SEARCH_SIZE = 2_000
END_TOKEN = "[END]"


def explore(path, sentences, output=None, beam_size=None, references=None, title=None, **trust):
    """Writes the explorer page of `sentences`' translations by the model at `path`.

    Args:
        path: a run directory, a `Translator.save` folder, a SavedModel version
            folder or a `Translator`.
        sentences: the source sentences (a list of `str`, at least one).
        output: the HTML file to write (`None`: only return the translations).
        beam_size: beam width (run directories only; 1 or `None` is the saved setting).
        references: `keras_attn.data.Example`s whose gold alignments to show
            (default: the ko-en seed example and `GOLD_SEARCH_SIZE` ko-en test pairs).
        title: the page title.
        **trust: `trust_saved_model`, `allow_unfinished`, as in `load_decoder`.

    Returns:
        The `viz.ExploredTranslation`s shown.
    """
    sentences = check_sentences(sentences)
    if references is None:
        references = ko_en_references(sentences)
    gold = {example.source: example for example in references}
    if is_saved_model(path):
        translations = saved_model_translations(load_decoder(path, beam_size, **trust), sentences)
    else:
        translator = load_translator(path, allow_unfinished=trust.get("allow_unfinished", False))
        if not translator.model.has_attention:
            raise RunError("the model has no attention to explore (a fixed-context seq2seq).", "path", describe(path))
        translations = [translator_translation(translator, sentence, beam_size) for sentence in sentences]
    translations = [with_gold(item, gold.get(item.source)) for item in translations]
    if output is not None:
        viz.explorer_html(translations, output, title=title or f"Attention explorer: {describe(path)}")
    return translations


def describe(path):
    """A folder's path, or the model's name for a `Translator` in memory."""
    return path.model.name if isinstance(path, Translator) else path


def check_sentences(sentences):
    """`sentences` as a non-empty list of non-blank strings, or a `RunError`."""
    if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
        raise RunError("expected a list of sentences (str).", "sentences", sentences)
    sentences = list(sentences)
    if not sentences or not all(s.strip() for s in sentences):
        raise RunError("give at least one sentence, none of them blank.", "sentences", sentences)
    return sentences


def ko_en_references(sentences):
    """The ko-en examples (with gold alignments) among `sentences`: the seed example's
    and those of the first `GOLD_SEARCH_SIZE` ko-en test pairs."""
    wanted = set(sentences)
    found = [ko_en.SEED_EXAMPLE] if ko_en.SEED_EXAMPLE.source in wanted else []
    if wanted - {ko_en.SEED_EXAMPLE.source}:
        found += [e for e in data.generate("ko-en", "test", size=GOLD_SEARCH_SIZE, seed=0) if e.source in wanted]
    return found


def translator_translation(translator, sentence, beam_size=None):
    """One sentence decoded by `translator`'s model, with every attention map it has."""
    model = translator.model
    source_ids = translator.source_ids([sentence])
    best, beams = decode_with_beams(translator, source_ids, translator.effective_beam_size(beam_size))
    length = int(best["lengths"][0])
    target_ids = best["tokens"][0, :length].numpy()
    source_tokens = list(translator.source_tokenizer.ids_to_tokens(source_ids[0].numpy()))
    target_tokens = list(translator.target_tokenizer.ids_to_tokens(target_ids))
    if isinstance(model, models.Transformer):
        maps = transformer_maps(model, source_ids, target_ids, source_tokens, target_tokens)
    else:
        weights = best["attention"][0, :length, : len(source_tokens)].numpy()
        maps = [viz.AttentionMap("alignment", weights, target_tokens, source_tokens)]
    return viz.ExploredTranslation(
        source=sentence, translation=detokenize(translator, target_ids), score=float(best["log_probs"][0]),
        maps=maps, beams=tuple((detokenize(translator, ids), score) for ids, score in beams),
    )


def decode_with_beams(translator, source_ids, beam_size):
    """The best hypothesis (decoding's result dict) and, for beam search, every finished beam."""
    model = translator.model
    if beam_size == 1:
        return decoding.decode(model, source_ids, translator.max_length), []
    state = model.initial_state(source_ids, max_length=translator.max_length)
    every = decoding.beam_search(model.step, state, 1, translator.max_length, beam_size=beam_size,
                                 length_penalty=translator.length_penalty, return_all_beams=True)
    beams = [(every["tokens"][0, k, : int(every["lengths"][0, k])].numpy(), float(every["scores"][0, k]))
             for k in range(beam_size) if np.isfinite(float(every["log_probs"][0, k]))]
    return {key: value[:, 0] for key, value in every.items()}, beams


def detokenize(translator, target_ids):
    return translator.target_tokenizer.detokenize(target_ids[None]).numpy()[0].decode("utf-8")


def transformer_maps(model, source_ids, target_ids, source_tokens, target_tokens):
    """Every head's map and each layer's mean, teacher-forced on the model's own output.

    Cross-attention rows are the predicted tokens (row t attends while predicting
    token t, as the per-step map does); decoder self-attention rows and columns are
    the tokens the decoder reads ("[START]" and the translation shifted right).
    """
    target_in = np.concatenate([[decoding.START_ID], target_ids[:-1]])[None]
    weights = model.attention_weights({"source": source_ids, "target_in": target_in})
    read_tokens = ["[START]", *target_tokens[:-1]]
    axes = {"cross": (target_tokens, source_tokens), "encoder_self": (source_tokens, source_tokens),
            "decoder_self": (read_tokens, read_tokens)}
    maps = []
    for kind, (rows, columns) in axes.items():
        for layer, per_head in enumerate(weights[kind]):
            per_head = np.asarray(per_head)[0]
            maps.append(viz.AttentionMap(kind, per_head.mean(axis=0), rows, columns, layer))
            maps += [viz.AttentionMap(kind, head_map, rows, columns, layer, head)
                     for head, head_map in enumerate(per_head)]
    return maps


def saved_model_translations(decode, sentences):
    """The translations of a SavedModel (or any `load_decoder` function) with the map it returns."""
    outputs = decode(sentences)
    translations = []
    for index, sentence in enumerate(sentences):
        attention = Attention.from_outputs(outputs, index)
        translations.append(viz.ExploredTranslation(
            source=sentence, translation=attention.translation, score=attention.score,
            maps=[viz.AttentionMap("attention", attention.weights, attention.target_tokens,
                                   attention.source_tokens)],
        ))
    return translations


def with_gold(item, reference):
    """`item` with `reference`'s gold alignment when the model translated the source to it
    word for word, or with a note saying why none is shown."""
    if reference is None:
        return item
    source_words = [t for t in item.maps[0].column_tokens if t != END_TOKEN]
    target_words = [t for t in item.maps[0].row_tokens if t != END_TOKEN]
    if target_words != reference.target.split() or source_words != reference.source.split():
        note = (f"The gold alignment is for the reference “{reference.target}”, which this translation is not "
                "(word for word), so it is not drawn.")
        return dataclasses.replace(item, reference=reference.target, gold_note=note)
    return dataclasses.replace(item, reference=reference.target, gold_alignment=tuple(reference.alignment))
