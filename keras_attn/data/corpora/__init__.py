"""The generators behind the built-in data sets, one `Task` per corpus.

- `algorithmic`: "copy", "reverse", "sort" and "addition" (`CopyTask`,
  `ReverseTask`, `SortTask`, `AdditionTask`).
- `dates`: "dates", human-written dates to ISO 8601 (`DatesTask`).
- `ko_en`: "ko-en", Korean→English sentences from a small grammar (`KoEnTask`).

`keras_attn.data.load` / `generate` name them; use a task directly to sample
examples with settings of your own.
"""

from keras_attn.data.corpora.algorithmic import AdditionTask
from keras_attn.data.corpora.algorithmic import CopyTask
from keras_attn.data.corpora.algorithmic import ReverseTask
from keras_attn.data.corpora.algorithmic import SortTask
from keras_attn.data.corpora.dates import DatesTask
from keras_attn.data.corpora.ko_en import KoEnTask
