"""Test-session setup shared by every test module.

Keras reads KERAS_HOME and matplotlib MPLCONFIGDIR when first imported, so both point
into the build folder before any test module imports them.
"""

import os
import pathlib

_BUILD = pathlib.Path(__file__).resolve().parent.parent / "build"
for _var, _sub in (("KERAS_HOME", "keras_home"), ("MPLCONFIGDIR", "mplconfig")):
    if _var not in os.environ:
        (_BUILD / _sub).mkdir(parents=True, exist_ok=True)
        os.environ[_var] = str(_BUILD / _sub)
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
