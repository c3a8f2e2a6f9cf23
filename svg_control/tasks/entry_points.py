"""Importing a task file's entry point modules (``reward.function: module:function``): beside the file first.

A user keeps the reward module next to the task file, so the file's folder is where its module is looked for
first, without PYTHONPATH. When the module's top-level name is there, the folder is put at the front of
``sys.path`` for the import and left there: the module's own imports of its neighbours, at import time or
later inside the function, find them as well. A name that is not in the folder is imported as any other
(PYTHONPATH, installed packages) and ``sys.path`` is left alone.

Which module wins a name: the one beside the task file, over an installed module of the same name, as a
script's own folder wins for ``python script.py``. Python imports a name once per process, so when the name is
already imported from somewhere else (a standard or installed module, or the module beside another task file)
the one beside this file cannot be had; that is refused, naming both places, rather than handing back the
other module's function.
"""
from __future__ import annotations

import importlib
import os
import sys
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType


def _spec_places(spec: ModuleSpec | None) -> set[str]:
    """Where a module spec's code is: its file, or a namespace package's folders; empty for a built-in."""
    if spec is None:
        return set()
    if spec.origin and spec.has_location:
        return {os.path.realpath(spec.origin)}
    return {os.path.realpath(p) for p in spec.submodule_search_locations or ()}


def _module_places(module: ModuleType) -> set[str]:
    places = _spec_places(getattr(module, "__spec__", None))
    file = getattr(module, "__file__", None)
    return places or ({os.path.realpath(file)} if file else set())


def _shown(places: set[str]) -> str:
    return ", ".join(sorted(places)) or "the interpreter (built in)"


def import_beside(module_name: str, folder: Path) -> ModuleType:
    """Import ``module_name`` (dotted names too) from ``folder`` when its top-level name is there, else from the
    ordinary import path. ImportError when the folder's module is shadowed by one already imported elsewhere."""
    top = module_name.partition(".")[0]
    folder_str = os.path.realpath(folder)
    importlib.invalidate_caches()  # a module written since the folder was last listed (a test, an editor)
    beside = PathFinder.find_spec(top, [folder_str])
    if beside is None:
        return importlib.import_module(module_name)
    wanted = _spec_places(beside)
    loaded = sys.modules.get(top)
    if loaded is not None and _module_places(loaded) != wanted:
        raise ImportError(f"{top!r} beside the task file ({_shown(wanted)}) is shadowed by the {top!r} already "
                          f"imported from {_shown(_module_places(loaded))}; rename the module beside the file")
    if not sys.path or sys.path[0] != folder_str:  # first, and once: a file loaded again moves it back up
        while folder_str in sys.path:
            sys.path.remove(folder_str)
        sys.path.insert(0, folder_str)
    module = importlib.import_module(module_name)
    found = _module_places(sys.modules[top])
    if found != wanted:  # an import hook or a stale finder put something else under the name
        raise ImportError(f"importing {top!r} gave {_shown(found)}, not the module beside the task file "
                          f"({_shown(wanted)})")
    return module
