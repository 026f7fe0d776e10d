"""The examples in the docstrings of keras_attn.tokenizers run and print what they claim."""

import doctest
import importlib
import pkgutil

import pytest

import keras_attn.tokenizers

_MODULES = sorted(
    module.name for module in pkgutil.walk_packages(keras_attn.tokenizers.__path__, prefix="keras_attn.tokenizers.")
)


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
