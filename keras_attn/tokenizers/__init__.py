"""Text to token ids and back, in Python and inside TensorFlow graphs.

- Text normalisation shared by Python and TensorFlow (`text`): `normalize`,
  `normalize_tf`.
- Vocabularies (`vocabulary`): the reserved tokens and their ids, plain-text
  vocabulary files (`read_vocabulary`, `write_vocabulary`).
- The tokenizer interface (`tokenizer`): `Tokenizer` (tokenize, detokenize, id/token
  lookups, save/load), and `as_text_dataset`, the corpus reader of `from_corpus`.
- Tokenizers: `WordTokenizer`, `SubwordTokenizer` (WordPiece), `CharacterTokenizer`.

Reserved token ids are the same everywhere: 0 "[PAD]", 1 "[START]", 2 "[END]",
3 "[UNK]".

This package depends on TensorFlow and TensorFlow Text only, not on the rest of
`keras_attn`; the data package re-exports its public names.
"""

from keras_attn.tokenizers.character_tokenizer import SPACE_TOKEN
from keras_attn.tokenizers.character_tokenizer import CharacterTokenizer
from keras_attn.tokenizers.subword_tokenizer import SubwordTokenizer
from keras_attn.tokenizers.text import normalize
from keras_attn.tokenizers.text import normalize_tf
from keras_attn.tokenizers.tokenizer import Tokenizer
from keras_attn.tokenizers.tokenizer import as_text_dataset
from keras_attn.tokenizers.vocabulary import END_ID
from keras_attn.tokenizers.vocabulary import END_TOKEN
from keras_attn.tokenizers.vocabulary import PAD_ID
from keras_attn.tokenizers.vocabulary import PAD_TOKEN
from keras_attn.tokenizers.vocabulary import RESERVED_TOKENS
from keras_attn.tokenizers.vocabulary import START_ID
from keras_attn.tokenizers.vocabulary import START_TOKEN
from keras_attn.tokenizers.vocabulary import UNK_ID
from keras_attn.tokenizers.vocabulary import UNK_TOKEN
from keras_attn.tokenizers.vocabulary import read_vocabulary
from keras_attn.tokenizers.vocabulary import write_vocabulary
from keras_attn.tokenizers.word_tokenizer import WordTokenizer
