"""The package's house rules, read from its source: imports run one way, no import inside a
function to dodge a cycle, and no private name used outside the module that defines it."""

import ast
import pathlib

import pytest

import keras_attn

PACKAGE = pathlib.Path(keras_attn.__file__).parent
# Floors, lowest first: a module imports from its own floor or below, never above.
FLOORS = {
    "layers": 0, "version": 0, "files": 0,
    "models": 1, "decoding": 1, "tokenizers": 1, "data": 1, "metrics": 1, "distribute": 1, "viz": 1,
    "translator": 2, "export": 2, "serving": 2,
    "runs": 3, "evaluation": 3,
    "experiments": 4, "cli": 4, "runner": 4,
}
# Imported inside functions on purpose: optional or heavy, and only where used.
LAZY_THIRD_PARTY = ("tensorflow", "tensorflow_serving", "grpc", "google.protobuf", "jax", "torch")
# The command line imports the library when a command runs, so `--help` answers at once.
LAZY_KERAS_ATTN = ("cli.py",)
# The one adapter over Keras internals (pinned to a Keras version by tests/runs/test_checkpoint.py).
KERAS_ADAPTER = "runs/checkpoint.py"


def _modules():
    return sorted(path for path in PACKAGE.rglob("*.py"))


def _name(path):
    return path.relative_to(PACKAGE).as_posix()


def _top(path):
    return _name(path).split("/")[0].removesuffix(".py")


def _imported(node):
    """The keras_attn top-level names an import statement reaches."""
    if isinstance(node, ast.ImportFrom) and node.module:
        if node.module == "keras_attn":
            return [alias.name for alias in node.names]
        if node.module.startswith("keras_attn."):
            return [node.module.split(".")[1]]
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("keras_attn.")]
    return []


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_imports_run_one_way(path):
    if path.name == "__init__.py" and path.parent == PACKAGE:
        return  # the package's front door re-exports every floor
    floor = FLOORS[_top(path)]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        for target in _imported(node):
            assert FLOORS[target] <= floor, f"{_name(path)} imports {target}, a higher floor"
            if _top(path) == "decoding":
                assert target != "models", "decoding imports no model"


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_import_inside_a_function_but_the_lazy_ones(path):
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] == "keras_attn":
                    assert _name(path) in LAZY_KERAS_ATTN, f"{_name(path)}:{node.lineno} imports {module} lazily"
                else:
                    assert module.startswith(LAZY_THIRD_PARTY), f"{_name(path)}:{node.lineno} imports {module} lazily"


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_private_name_is_used_outside_its_module(path):
    if _name(path) == KERAS_ADAPTER:
        return
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            assert not private, f"{_name(path)}:{node.lineno} imports {private} from {node.module}"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            own = isinstance(base, ast.Name) and base.id in ("self", "cls")
            inherited = isinstance(base, ast.Call) and getattr(base.func, "id", None) == "super"
            assert own or inherited, f"{_name(path)}:{node.lineno} uses {ast.unparse(node)}"


def test_every_module_has_a_floor():
    assert {_top(path) for path in _modules() if path.name != "__init__.py" or path.parent != PACKAGE} <= set(FLOORS)
