"""Lambda entry points (``lambdas/<name>/handler.py``) imported as Lambda does at a cold
start: a fresh module each time, reading the environment the test set."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

LAMBDAS = Path(__file__).parents[1] / "lambdas"


def load_handler_module(name: str) -> ModuleType:
    """``lambdas/<name>/handler.py`` as a new module."""
    spec = importlib.util.spec_from_file_location(f"{name}_handler", LAMBDAS / name / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
