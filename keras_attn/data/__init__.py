"""Data for sequence-to-sequence experiments: data sets, tokenizers, `tf.data` pipelines.

- Built-in offline data sets: `load(name, split)` / `generate(name, split)` for
  "copy", "reverse", "sort", "addition", "dates" and "ko-en" (the registry,
  `datasets`; the generators behind them live in `keras_attn.data.corpora`).
- Deterministic train/validation/test membership by hash: `split_of`, `SPLITS`,
  `SPLIT_FRACTIONS`.
- Real corpora: `read_parallel_tsv(path, source_column, target_column)`.
- Teacher-forcing batches: `make_dataset`, and `make_training_dataset` (fixed shapes for XLA).
- Gold word alignments as attention-shaped matrices: `alignment_matrix`.
- Re-exported from `keras_attn.tokenizers`: text normalisation shared by Python
  and TensorFlow (`normalize`, `normalize_tf`), the tokenizers (`Tokenizer`,
  `WordTokenizer`, `SubwordTokenizer`, `CharacterTokenizer`) and vocabularies
  (`read_vocabulary`, `write_vocabulary`, the reserved ids).

Reserved token ids are the same everywhere: 0 "[PAD]", 1 "[START]", 2 "[END]",
3 "[UNK]".
"""

from keras_attn.data.alignments import alignment_matrix
from keras_attn.data.datasets import available
from keras_attn.data.datasets import generate
from keras_attn.data.datasets import load
from keras_attn.data.datasets import to_pairs
from keras_attn.data.example import Example
from keras_attn.data.pipeline import make_dataset
from keras_attn.data.pipeline import make_training_dataset
from keras_attn.data.pipeline import with_known_cardinality
from keras_attn.data.splits import FRACTIONS as SPLIT_FRACTIONS
from keras_attn.data.splits import SPLITS
from keras_attn.data.splits import split_of
from keras_attn.data.tsv import MalformedLinesWarning
from keras_attn.data.tsv import iter_parallel_tsv
from keras_attn.data.tsv import read_parallel_tsv
from keras_attn.tokenizers import END_ID
from keras_attn.tokenizers import PAD_ID
from keras_attn.tokenizers import RESERVED_TOKENS
from keras_attn.tokenizers import START_ID
from keras_attn.tokenizers import UNK_ID
from keras_attn.tokenizers import CharacterTokenizer
from keras_attn.tokenizers import SubwordTokenizer
from keras_attn.tokenizers import Tokenizer
from keras_attn.tokenizers import WordTokenizer
from keras_attn.tokenizers import normalize
from keras_attn.tokenizers import normalize_tf
from keras_attn.tokenizers import read_vocabulary
from keras_attn.tokenizers import write_vocabulary
