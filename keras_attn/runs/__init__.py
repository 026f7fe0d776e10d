"""Training runs and what is done with them: what `keras-attn` runs, callable from Python.

- `RunDirectory` (run_directory): a run's folder, its `run.json` record, resume
  check and tokenizers.
- `train` (trainer): corpus → tokenizers → preset model → `fit` → `Translator`,
  in named steps, resumable.
- `ResilientBackupAndRestore` (checkpoint): the checkpoint callback, the one
  adapter over Keras' internals.
- `evaluate` (evaluator), `load_translator` / `load_decoder` / `translate` /
  `attention` / `plot_attention`
  (translation), `explore` (explorer: the attention explorer page), `Corpus` / `load_corpus` (corpus: where the train, validation
  and test pairs come from).
- `quickstart`: the two-model tour of the README.
"""

from keras_attn.runs.checkpoint import ResilientBackupAndRestore
from keras_attn.runs.corpus import Corpus
from keras_attn.runs.corpus import check_not_empty
from keras_attn.runs.corpus import load_corpus
from keras_attn.runs.errors import RunError
from keras_attn.runs.evaluator import evaluate
from keras_attn.runs.explorer import explore
from keras_attn.runs.quickstart import QUICKSTART_MODELS
from keras_attn.runs.quickstart import QUICKSTART_SAMPLES
from keras_attn.runs.quickstart import QUICKSTART_SMOKE
from keras_attn.runs.quickstart import quickstart
from keras_attn.runs.quickstart import serving_command
from keras_attn.runs.run_directory import RUN_FILE
from keras_attn.runs.run_directory import TRANSLATOR_DIR
from keras_attn.runs.run_directory import RunDirectory
from keras_attn.runs.trainer import TOKENIZERS
from keras_attn.runs.trainer import train
from keras_attn.runs.translation import attention
from keras_attn.runs.translation import is_saved_model
from keras_attn.runs.translation import load_decoder
from keras_attn.runs.translation import load_translator
from keras_attn.runs.translation import plot_attention
from keras_attn.runs.translation import translate
