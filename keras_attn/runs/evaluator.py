"""`evaluate`: a trained run's BLEU and exact match on its own held-out pairs (+ AER on ko-en).

The run directory is the source of truth: the corpus, its columns and its held-out
split come from `run.json`; arguments given explicitly replace them.
"""

import dataclasses
import os

from keras_attn import data
from keras_attn import evaluation
from keras_attn.runs.corpus import Corpus
from keras_attn.runs.corpus import check_role
from keras_attn.runs.errors import RunError
from keras_attn.runs.run_directory import RunDirectory
from keras_attn.runs.translation import load_translator


def evaluate(path, dataset=None, tsv=None, source_column=None, target_column=None, size=500, seed=None,
             beam_size=None, split="test", progress=False, allow_unfinished=False, translator=None):
    """BLEU and exact match of a trained translator on held-out pairs (+ AER on ko-en).

    By default the run's own test pairs are scored: the test split of its built-in
    data set, the held-out hash split of its TSV corpus, or its `test_tsv`. Pass
    `split="train"` to score training pairs (the result says so).

    Args:
        path: a run directory (or a `Translator.save` folder, with `dataset` or
            `tsv` given).
        dataset, tsv, source_column, target_column, seed: replace the run's. A
            `tsv` other than the run's own is scored whole (its first `size` lines).
        size: the most pairs to score.
        beam_size: beam search with this many beams (default: the translator's).
        split: "test" (default), "validation" or "train".
        progress: show a progress bar while translating.
        allow_unfinished: score the translator of a run that did not finish.
        translator: the run's `Translator`, already in memory (what `train`
            returned); default: loaded from `path`.

    Returns:
        A dict: `data` (what was scored, in words), `sentences`, `bleu`,
        `exact_match`, and `aer` (ko-en, models with attention and word tokenizers).
    """
    check_role(split)
    if translator is None:
        translator = load_translator(path, allow_unfinished=allow_unfinished)
    corpus = scored_corpus(path, dataset, tsv, source_column, target_column, seed)
    alignments = None
    if corpus.tsv is None and corpus.dataset == "ko-en":
        alignments = list(data.generate("ko-en", split, size=size, seed=corpus.seed))
        pairs = [(e.source, e.target) for e in alignments]
    else:
        pairs = [(s.decode("utf-8"), t.decode("utf-8")) for s, t in corpus.pairs(split, size).as_numpy_iterator()]
    if not pairs:
        raise RunError(f"the evaluation corpus is empty ({corpus.describe(split)}).")
    scores = evaluation.score_translator(translator, pairs, beam_size=beam_size, alignments=alignments,
                                         progress=progress)
    label = corpus.describe(split) + (" (training pairs, not held out)" if split == "train" else "")
    return {"data": label, **scores}


def scored_corpus(path, dataset=None, tsv=None, source_column=None, target_column=None, seed=None):
    """The `Corpus` `evaluate` scores: the run's, with explicit arguments replacing its fields."""
    record = RunDirectory(path).read_record()
    corpus = Corpus.from_arguments(record["arguments"]) if record else None
    if corpus is None and dataset is None and tsv is None:
        raise RunError("no run.json there to read the corpus from; name the data with `dataset` or `tsv`.", "path",
                       path)
    corpus = corpus or Corpus()
    changes = {key: value for key, value in dict(source_column=source_column, target_column=target_column,
                                                 seed=seed).items() if value is not None}
    if dataset is not None and tsv is None:
        changes.update(dataset=dataset, tsv=None, validation_tsv=None, test_tsv=None)
    corpus = dataclasses.replace(corpus, **changes)
    if tsv is not None and os.path.abspath(tsv) != corpus.tsv:
        # Another file than the run's: scored whole, as the held-out file it is meant to be.
        corpus = corpus.with_whole_file(os.path.abspath(tsv))
    return corpus
