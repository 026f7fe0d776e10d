"""The examples in the docstrings of keras_attn.data (subpackages included) run and print what they claim."""

import pytest

import keras_attn.data
from tests.testing import doctests


@pytest.mark.parametrize("name", doctests.modules_of(keras_attn.data))
def test_docstring_examples(name):
    assert doctests.failed_examples(name) == 0
