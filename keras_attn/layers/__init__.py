"""keras_attn's attention layers, written with `keras.ops` (every backend)."""

from keras_attn.layers.attention_mechanism import AttentionMechanism
from keras_attn.layers.bahdanau import BahdanauAttention
from keras_attn.layers.luong import LuongAttention
from keras_attn.layers.masking import causal_mask
from keras_attn.layers.masking import masked_softmax
from keras_attn.layers.multi_head import MultiHeadAttention
from keras_attn.layers.multi_head import MultiHeadSelfAttention
from keras_attn.layers.positional_encoding import PositionalEncoding
from keras_attn.layers.scaled_dot_product import ScaledDotProductAttention
