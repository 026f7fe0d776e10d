"""keras_attn's attention layers and the layers built from them, written with
`keras.ops` (every backend)."""

from keras_attn.layers.attention_mechanism import AttentionMechanism
from keras_attn.layers.attention_rnn_decoder import AttentionDecoder
from keras_attn.layers.attention_rnn_decoder import run_stacked_cells
from keras_attn.layers.bahdanau import BahdanauAttention
from keras_attn.layers.cached_multi_head_attention import CachedMultiHeadAttention
from keras_attn.layers.feed_forward import FeedForward
from keras_attn.layers.luong import LuongAttention
from keras_attn.layers.maxout import Maxout
from keras_attn.layers.masking import causal_mask
from keras_attn.layers.masking import masked_softmax
from keras_attn.layers.multi_head import MultiHeadAttention
from keras_attn.layers.multi_head import MultiHeadSelfAttention
from keras_attn.layers.positional_encoding import PositionalEncoding
from keras_attn.layers.residual_block import ResidualBlock
from keras_attn.layers.scaled_dot_product import ScaledDotProductAttention
from keras_attn.layers.token_embedding import TokenEmbedding
from keras_attn.layers.transformer_decoder_block import TransformerDecoderBlock
from keras_attn.layers.transformer_encoder_block import TransformerEncoderBlock
