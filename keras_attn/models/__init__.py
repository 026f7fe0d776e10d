"""The models: one class per module, each a functional `keras.Model`.

- `Seq2Seq` (`seq2seq`): RNN/GRU/LSTM encoder-decoder, fixed context or
  Bahdanau/Luong attention.
- `Transformer` (`transformer`), `TransformerEncoder` (`transformer_encoder`),
  `TransformerDecoderLM` (`transformer_decoder_lm`), on `TransformerBase`.
- `GenerativeModel`: the decoding contract and `generate` of the generating
  families, and their `TrainingPolicy` (`model.compile()`).
- Presets (`from_preset`, `list_presets`), losses, schedules. The building blocks
  (`TokenEmbedding`, the Transformer blocks, `AttentionDecoder`) are layers, also
  exported here.
"""

from keras_attn.layers import AttentionDecoder
from keras_attn.layers import FeedForward
from keras_attn.layers import TokenEmbedding
from keras_attn.layers import TransformerDecoderBlock
from keras_attn.layers import TransformerEncoderBlock
from keras_attn.models.seq2seq import Seq2Seq
from keras_attn.models.seq2seq import seq2seq
from keras_attn.models.transformer import Transformer
from keras_attn.models.transformer import transformer
from keras_attn.models.transformer_decoder_lm import TransformerDecoderLM
from keras_attn.models.transformer_decoder_lm import transformer_decoder_lm
from keras_attn.models.transformer_encoder import TransformerEncoder
from keras_attn.models.transformer_encoder import transformer_encoder
from keras_attn.models.presets import from_preset
from keras_attn.models.presets import list_presets
from keras_attn.models.presets import parameter_count
from keras_attn.models.schedules import TransformerSchedule
from keras_attn.models.schedules import transformer_optimizer
from keras_attn.models.generative_model import GenerativeModel
from keras_attn.models.losses import MaskedAccuracy
from keras_attn.models.losses import MaskedSparseCrossentropy
from keras_attn.models.training_policy import TrainingPolicy
from keras_attn.models.training_policy import compile_for_translation
from keras_attn.models.training_policy import compile_transformer
