"""keras_attn: attention mechanisms for Keras 3, from Bahdanau to the Transformer."""

from keras_attn import layers
from keras_attn.layers import BahdanauAttention
from keras_attn.layers import LuongAttention
from keras_attn.layers import MultiHeadAttention
from keras_attn.layers import MultiHeadSelfAttention
from keras_attn.layers import PositionalEncoding
from keras_attn.layers import ScaledDotProductAttention
from keras_attn.version import __version__
