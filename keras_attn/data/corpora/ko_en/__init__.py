"""The Korean→English grammar: generated sentence pairs with gold word alignments.

- `grammar`: clauses and sentences (`Clause`, `Sentence`), their realisation as an
  aligned pair (`realize`), and the random sentence generator `KoEnTask` behind the
  built-in "ko-en" data set.
- `korean`: Korean morphology (case particles, predicate conjugation).
- `hangul`: Hangul syllable arithmetic (jamo, final consonants).
- `lexicon`: the Korean lemmas and their English translations.
"""

from keras_attn.data.corpora.ko_en.grammar import Clause
from keras_attn.data.corpora.ko_en.grammar import SEED_EXAMPLE
from keras_attn.data.corpora.ko_en.grammar import KoEnTask
from keras_attn.data.corpora.ko_en.grammar import Sentence
from keras_attn.data.corpora.ko_en.grammar import realize
