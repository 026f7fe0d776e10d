"""What the tests share across test modules; import it from here (`from tests.testing import ...`).

- `layers`: the check-list every layer goes through (`LayerCase`, `standard_checks`,
  `input_gradient`).
- `reference`: independent numpy implementations of each layer (`reference.bahdanau`, ...).
- `properties`: hypothesis strategies, tolerances and invariant checks of the
  property tests (marker `property`), for layers and models.
- `translators`: tiny translators, run folders, the CLI in-process, fresh-process checks
  of exported SavedModels and concurrent requests to them.
- `corpora`: the ko-en session fixtures and unusable TSV files.
- `doctests`: a package's docstring examples, one test case per module.
"""

from tests.testing import browser
from tests.testing import doctests
from tests.testing import properties
from tests.testing import reference
from tests.testing.corpora import KOR_SAMPLE
from tests.testing.corpora import KOR_SAMPLE_PAIRS
from tests.testing.corpora import ko_en_tokenizers
from tests.testing.corpora import ko_en_train
from tests.testing.corpora import TSV_FILES
from tests.testing.corpora import TSV_PAIR
from tests.testing.corpora import write_tsv
from tests.testing.layers import input_gradient
from tests.testing.layers import LayerCase
from tests.testing.layers import standard_checks
from tests.testing.translators import answers
from tests.testing.translators import available_families
from tests.testing.translators import FAMILIES
from tests.testing.translators import hammer
from tests.testing.translators import LOAD_TEXTS
from tests.testing.translators import rss_bytes
from tests.testing.translators import run_cli
from tests.testing.translators import run_fresh_process
from tests.testing.translators import save_untrained_run
from tests.testing.translators import trained_copy_translator
from tests.testing.translators import transformer_builder
from tests.testing.translators import untrained_translator

__all__ = [
    "FAMILIES", "LOAD_TEXTS", "LayerCase", "TSV_FILES", "TSV_PAIR", "answers", "available_families", "doctests", "hammer",
    "input_gradient", "ko_en_tokenizers", "ko_en_train", "properties", "reference", "rss_bytes", "run_cli",
    "run_fresh_process", "save_untrained_run", "standard_checks", "trained_copy_translator", "transformer_builder",
    "untrained_translator", "write_tsv", "KOR_SAMPLE", "KOR_SAMPLE_PAIRS",
]
