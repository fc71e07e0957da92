"""Transpiler stage plugins, imported when a pass manager asks for one, not all at once.

Qiskit's ``PassManagerStagePluginManager`` imports every stage plugin installed each time a
preset pass manager is built. qiskit-ibm-runtime registers translation plugins, so building
the first pass manager for Aer imports all of qiskit-ibm-runtime: 1.4 s of a worker's 2.3 s
start, paid for plugins a simulator job never uses. ``install()`` gives Qiskit's preset pass
managers, in this process only, a manager that loads a plugin by its entry point when a stage
asks for it by name, through the same ``stevedore`` entry points. The pass managers, and so
the transpiled circuits, are the same; only what gets imported, and when, changes.
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any

log = logging.getLogger("qnb")

#: Qiskit's modules that build preset pass managers through the stage plugin manager
_USERS = ("level0", "level1", "level2", "level3", "builtin_plugins", "clifford_t")

_installed = False


@functools.cache
def _plugin(stage: str, name: str) -> Any:
    """The stage plugin ``name`` (one entry point of ``qiskit.transpiler.<stage>``)."""
    from qiskit.transpiler.exceptions import TranspilerError
    from stevedore import DriverManager
    from stevedore.exception import NoMatches

    try:
        return DriverManager(f"qiskit.transpiler.{stage}", name, invoke_on_load=True).driver
    except NoMatches:
        raise TranspilerError(f"Invalid plugin name {name} for stage {stage}") from None


def _lazy_manager() -> type:
    from qiskit.transpiler.exceptions import TranspilerError
    from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePluginManager

    stages = ("init", "layout", "routing", "translation", "optimization", "scheduling")

    class LazyStagePluginManager(PassManagerStagePluginManager):
        """``PassManagerStagePluginManager`` whose plugins are imported on first use."""

        def __init__(self) -> None:  # the base class imports every plugin here
            pass

        def get_passmanager_stage(self, stage_name: str, plugin_name: str, pm_config: Any,
                                  optimization_level: int | None = None) -> Any:
            if stage_name not in stages:
                raise TranspilerError(f"Invalid stage name: {stage_name}")
            return _plugin(stage_name, plugin_name).pass_manager(pm_config, optimization_level)

    return LazyStagePluginManager


def install() -> bool:
    """Make this process's preset pass managers load stage plugins lazily; False (and the
    eager manager kept) if this Qiskit builds them some other way."""
    global _installed
    if _installed:
        return True
    try:
        lazy = _lazy_manager()
        modules = [importlib.import_module(f"qiskit.transpiler.preset_passmanagers.{name}")
                   for name in _USERS]
    except Exception as exc:  # an older or newer Qiskit: correct, only slower to start
        log.debug("stage plugins stay eager: %s", exc)
        return False
    for module in modules:
        if hasattr(module, "PassManagerStagePluginManager"):
            module.PassManagerStagePluginManager = lazy
    _installed = True
    return True
