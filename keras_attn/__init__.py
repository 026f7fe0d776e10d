"""keras_attn: attention mechanisms for Keras 3, from Bahdanau to the Transformer.

`from keras_attn import BahdanauAttention` (or `keras_attn.layers`, `keras_attn.models`,
...) works as usual; the names below are imported on first use, so that importing the
package alone (as `keras-attn --help` does) loads neither Keras nor TensorFlow.
"""

import importlib

from keras_attn.version import __version__

# name → (module, attribute or None for the module itself).
_LAZY = {
    **{name: ("keras_attn.layers", name) for name in (
        "BahdanauAttention", "LuongAttention", "MultiHeadAttention", "MultiHeadSelfAttention",
        "PositionalEncoding", "ScaledDotProductAttention",
    )},
    "Translator": ("keras_attn.translator", "Translator"),
    **{name: (f"keras_attn.{name}", None) for name in (
        "layers", "models", "data", "tokenizers", "decoding", "evaluation", "runs", "experiments", "translator",
        "export", "serving", "viz", "distribute", "metrics", "runner",
    )},
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
