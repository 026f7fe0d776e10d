"""keras_attn: attention mechanisms for Keras 3, from Bahdanau to the Transformer."""

import importlib

from keras_attn import layers
from keras_attn.layers import BahdanauAttention
from keras_attn.layers import LuongAttention
from keras_attn.layers import MultiHeadAttention
from keras_attn.layers import MultiHeadSelfAttention
from keras_attn.layers import PositionalEncoding
from keras_attn.layers import ScaledDotProductAttention
from keras_attn.version import __version__

# Imported on first use: they pull in models, data (TensorFlow Text, keras_hub) and
# the TF Serving protos, which `import keras_attn` for the layers alone does not need.
_LAZY = {
    "Translator": ("keras_attn.translator", "Translator"),
    "translator": ("keras_attn.translator", None),
    "export": ("keras_attn.export", None),
    "serving": ("keras_attn.serving", None),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_attn' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
