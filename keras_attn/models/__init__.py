"""Model builders: every family returns a functional `keras.Model` that also
provides the one-step contract (`initial_state`, `step`) decoding consumes."""

from keras_attn.models.attention_decoder import AttentionDecoder
from keras_attn.models.seq2seq import Seq2Seq
from keras_attn.models.seq2seq import seq2seq
from keras_attn.models.transformer import Transformer
from keras_attn.models.transformer import TransformerDecoderLM
from keras_attn.models.transformer import TransformerEncoder
from keras_attn.models.transformer import transformer
from keras_attn.models.transformer import transformer_decoder_lm
from keras_attn.models.transformer import transformer_encoder
from keras_attn.models.transformer_layers import FeedForward
from keras_attn.models.transformer_layers import TokenEmbedding
from keras_attn.models.transformer_layers import TransformerDecoderBlock
from keras_attn.models.transformer_layers import TransformerEncoderBlock
from keras_attn.models.presets import from_preset
from keras_attn.models.presets import list_presets
from keras_attn.models.presets import parameter_count
from keras_attn.models.schedules import TransformerSchedule
from keras_attn.models.schedules import transformer_optimizer
from keras_attn.models.training import MaskedAccuracy
from keras_attn.models.training import MaskedSparseCrossentropy
from keras_attn.models.training import compile_for_translation
from keras_attn.models.training import compile_transformer
