"""The examples in the docstrings of keras_attn.layers run and print what they claim (on every backend)."""

import pytest

import keras_attn.layers
from tests.testing import doctests


@pytest.mark.parametrize("name", doctests.modules_of(keras_attn.layers))
def test_docstring_examples(name):
    assert doctests.failed_examples(name) == 0
