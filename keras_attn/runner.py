"""Earlier home of the runs' functions, kept so that `keras_attn.runner.train(...)` still works.

Everything lives in `keras_attn.runs` now; see its docstring.
"""

from keras_attn.runs import QUICKSTART_MODELS  # noqa: F401
from keras_attn.runs import QUICKSTART_SAMPLES  # noqa: F401
from keras_attn.runs import QUICKSTART_SMOKE  # noqa: F401
from keras_attn.runs import RUN_FILE  # noqa: F401
from keras_attn.runs import TOKENIZERS  # noqa: F401
from keras_attn.runs import TRANSLATOR_DIR  # noqa: F401
from keras_attn.runs import RunError  # noqa: F401
from keras_attn.runs import evaluate  # noqa: F401
from keras_attn.runs import is_saved_model  # noqa: F401
from keras_attn.runs import load_corpus  # noqa: F401
from keras_attn.runs import load_translator  # noqa: F401
from keras_attn.runs import plot_attention  # noqa: F401
from keras_attn.runs import quickstart  # noqa: F401
from keras_attn.runs import serving_command  # noqa: F401
from keras_attn.runs import train  # noqa: F401
from keras_attn.runs import translate  # noqa: F401
