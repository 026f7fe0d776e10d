"""Experiments behind the project's claims, callable from the CLI and the examples.

- `arms`: the models compared (`ARMS`), brought to one parameter budget
  (`match_parameter_budget`) and trained by their family's policy.
- `bottleneck`: accuracy against source length per arm (`bottleneck_experiment`,
  Bahdanau et al. 2015, Fig. 2), in named steps.
- `fixed_length`: the arms on one fixed length (`compare_on_task`).
- `alignment`: what a model's attention learned on ko-en (`ko_en_alignment_study`).
- `report`: the bottleneck report's tables and plots (`write_bottleneck_report`).
"""

from keras_attn.experiments.alignment import SEED_SENTENCE
from keras_attn.experiments.alignment import ko_en_alignment_study
from keras_attn.experiments.arms import ARMS
from keras_attn.experiments.arms import Arm
from keras_attn.experiments.arms import build_matched
from keras_attn.experiments.arms import get_arm
from keras_attn.experiments.arms import match_parameter_budget
from keras_attn.experiments.arms import train_model
from keras_attn.experiments.bottleneck import EPOCHS
from keras_attn.experiments.bottleneck import KO_EN_LENGTH_BINS
from keras_attn.experiments.bottleneck import PARAMETER_BUDGETS
from keras_attn.experiments.bottleneck import RECURRENT_GLOBAL_CLIPNORM
from keras_attn.experiments.bottleneck import REVERSE_LENGTHS
from keras_attn.experiments.bottleneck import bottleneck_experiment
from keras_attn.experiments.fixed_length import compare_on_task
from keras_attn.experiments.report import NOTES_MARKER
from keras_attn.experiments.report import write_bottleneck_report
from keras_attn.evaluation import alignment_error_rate as attention_alignment_error_rate  # earlier name
from keras_attn.evaluation import score_model as evaluate_exact_match  # earlier name
