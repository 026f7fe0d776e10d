"""Data for sequence-to-sequence experiments: data sets, tokenizers, `tf.data` pipelines.

- Built-in offline data sets: `load(name, split)` / `generate(name, split)` for
  "copy", "reverse", "sort", "addition", "dates" and "ko-en".
- Real corpora: `read_parallel_tsv(path, source_column, target_column)`.
- Text normalisation shared by Python and TensorFlow: `normalize`, `normalize_tf`.
- Tokenizers: `WordTokenizer`, `SubwordTokenizer`, `CharacterTokenizer`.
- Teacher-forcing batches: `make_dataset`, and `make_training_dataset` (fixed shapes for XLA).
- Gold word alignments as attention-shaped matrices: `alignment_matrix`.

Reserved token ids are the same everywhere: 0 "[PAD]", 1 "[START]", 2 "[END]",
3 "[UNK]".
"""

from keras_attn.data.alignments import alignment_matrix
from keras_attn.data.character_tokenizer import CharacterTokenizer
from keras_attn.data.datasets import available
from keras_attn.data.datasets import generate
from keras_attn.data.datasets import load
from keras_attn.data.datasets import to_pairs
from keras_attn.data.example import Example
from keras_attn.data.pipeline import make_dataset
from keras_attn.data.pipeline import make_training_dataset
from keras_attn.data.splits import SPLITS
from keras_attn.data.splits import split_of
from keras_attn.data.subword_tokenizer import SubwordTokenizer
from keras_attn.data.text import normalize
from keras_attn.data.text import normalize_tf
from keras_attn.data.tokenizer import Tokenizer
from keras_attn.data.tsv import MalformedLinesWarning
from keras_attn.data.tsv import iter_parallel_tsv
from keras_attn.data.tsv import read_parallel_tsv
from keras_attn.data.vocabulary import END_ID
from keras_attn.data.vocabulary import PAD_ID
from keras_attn.data.vocabulary import RESERVED_TOKENS
from keras_attn.data.vocabulary import START_ID
from keras_attn.data.vocabulary import UNK_ID
from keras_attn.data.vocabulary import read_vocabulary
from keras_attn.data.vocabulary import write_vocabulary
from keras_attn.data.word_tokenizer import WordTokenizer
