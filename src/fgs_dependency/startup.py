"""What the program does before it imports anything heavy, so that a run starts sooner.

Importing pydantic-settings is most of a dry run's time. Two of the things it loads are
never used by this action, and cost about a fifth of that import (bench/README.md):
- asyncio, with ssl, socket and selectors under it: `pydantic_settings.main` imports it at
  load for `CliApp.run` alone;
- importlib.metadata, with email, zipfile and calendar under it: pydantic imports it to
  find plugins, and scans every installed distribution the first time a model is built.
  The action uses no pydantic plugins; PYDANTIC_DISABLE_PLUGINS (pydantic's documented
  switch) turns the scan off, and with it the only use.
Each is replaced by a stand-in that loads the real module the first time anything uses
it, so code that does use them (requests, a library, a test) still gets the real thing.
"""

import gc
import importlib
import os
import sys
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

_DEFERRED = ("asyncio", "importlib.metadata")


class _Deferred(ModuleType):
    """A module not loaded yet: its first use loads it and takes its place."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(_load(self.__name__), attribute)


def _load(name: str) -> ModuleType:
    if isinstance(sys.modules.get(name), _Deferred):
        del sys.modules[name]
    return importlib.import_module(name)


def _forwarder(module: str, function: str) -> Callable[..., Any]:
    # `from importlib.metadata import entry_points` takes the attribute at import time:
    # give it a function that loads the module only when called.
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(_load(module), function)(*args, **kwargs)

    forward.__name__ = function
    return forward


def prepare() -> None:
    """Run first by the program (not on import, so tests and libraries see a plain
    Python)."""
    # The imports make some 100,000 objects that live as long as the process: the
    # collector's passes over them during the imports cost a dry run about 40 ms. It stays
    # off until the inputs are read, then they are frozen out of its way (see __main__).
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for name in _DEFERRED:
        if name not in sys.modules:
            stand_in = _Deferred(name)
            stand_in.__spec__ = ModuleSpec(name, loader=None)  # for importlib.util.find_spec
            sys.modules[name] = stand_in
    metadata = sys.modules["importlib.metadata"]
    if isinstance(metadata, _Deferred):
        # `from importlib.metadata import entry_points` asks whether the module is a package
        # (its __path__), then takes the attribute: answer both without loading it.
        metadata.__path__ = [os.path.join(importlib.__path__[0], "metadata")]  # noqa: PTH118
        vars(metadata)["entry_points"] = _forwarder("importlib.metadata", "entry_points")
        importlib.metadata = metadata  # as the import system binds a loaded submodule
