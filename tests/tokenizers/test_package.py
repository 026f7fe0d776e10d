"""keras_attn.tokenizers stands alone: it imports no other part of keras_attn but
`keras_attn.files`, the standard-library-only reader of saved records (floor 0)."""

import ast
import pathlib

import keras_attn.tokenizers


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # Relative imports could leave the package unnoticed; the project has none.
            if node.level:
                yield "keras_attn (relative import)"
            else:
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_imports_stay_inside_the_package():
    package = pathlib.Path(keras_attn.tokenizers.__file__).parent
    outside = {
        f"{path.name}: {module}"
        for path in sorted(package.rglob("*.py"))
        for module in _imported_modules(path)
        if module.split(".")[0] == "keras_attn" and not module.startswith("keras_attn.tokenizers")
        and module != "keras_attn.files"
    }
    assert outside == set()
