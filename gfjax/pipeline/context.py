"""What every stage gets: the validated settings, the run directory, the report, shared objects."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

log = logging.getLogger("gfjax")


@dataclass
class RunContext:
    """``settings`` is the validated config as dataclass objects (``settings.scene`` …),
    ``config`` the same as plain containers (for provenance), ``workdir`` the run directory."""

    settings: Any
    config: dict
    workdir: Path
    report: dict = field(default_factory=dict)

    def path(self, *parts: str) -> Path:
        """A path inside the run directory; parent folders are created."""
        p = self.workdir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    @cached_property
    def scene(self):
        """The synthetic scene (deterministic from ``settings.scene``; built once per run)."""
        from gfjax.sim import build_scene

        log.info("building the synthetic Muldrow scene")
        return build_scene(self.settings.scene)
