"""The examples in the docstrings of keras_attn.models (subpackages included) run and print what they claim."""

import pytest

import keras_attn.models
from tests.testing import doctests


@pytest.mark.parametrize("name", doctests.modules_of(keras_attn.models))
def test_docstring_examples(name):
    assert doctests.failed_examples(name) == 0
