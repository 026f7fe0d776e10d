"""Fixtures shared by the data tests: generated corpora and tokenizers built once."""

from tests.testing import ko_en_tokenizers  # noqa: F401
from tests.testing import ko_en_train  # noqa: F401
