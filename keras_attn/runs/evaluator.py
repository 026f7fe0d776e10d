"""`evaluate`: a trained run's BLEU and exact match on held-out pairs (+ AER on ko-en)."""

from keras_attn import data
from keras_attn import evaluation
from keras_attn.runs.corpus import load_corpus
from keras_attn.runs.errors import RunError
from keras_attn.runs.translation import load_translator


def evaluate(path, dataset="ko-en", tsv=None, source_column=0, target_column=1, size=500, seed=0, beam_size=None):
    """BLEU and exact match of a trained translator on held-out pairs (+ AER on ko-en).

    Built-in data sets are scored on their `test` split; a TSV file on its first
    `size` lines.

    Returns:
        A dict: `sentences`, `bleu`, `exact_match`, and `aer` (ko-en, models with
        attention and word tokenizers).
    """
    translator = load_translator(path)
    alignments = None
    if tsv is None and dataset == "ko-en":
        alignments = list(data.generate("ko-en", "test", size=size, seed=seed))
        pairs = [(e.source, e.target) for e in alignments]
    else:
        pairs = [(s.decode("utf-8"), t.decode("utf-8")) for s, t, *_ in
                 load_corpus(dataset, "test", size, seed, tsv, source_column, target_column).as_numpy_iterator()]
    if not pairs:
        raise RunError("the evaluation corpus is empty.")
    return evaluation.score_translator(translator, pairs, beam_size=beam_size, alignments=alignments)
