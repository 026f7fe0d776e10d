"""The examples in the docstrings of keras_attn.models (subpackages included) run and print what they claim."""

import doctest
import importlib
import pkgutil

import pytest

import keras_attn.models

_MODULES = sorted(
    module.name for module in pkgutil.walk_packages(keras_attn.models.__path__, prefix="keras_attn.models.")
)


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
