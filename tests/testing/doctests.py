"""The docstring examples of a package, one test case per module."""

import doctest
import importlib
import pkgutil


def modules_of(package):
    """The names of `package`'s modules, subpackages included, sorted."""
    return sorted(module.name for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."))


def failed_examples(name):
    """How many docstring examples of module `name` fail (print something else or raise)."""
    module = importlib.import_module(name)
    return doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).failed
