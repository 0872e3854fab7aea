"""Stages of the pipeline: a registry, fingerprints for resume, and done-markers.

A stage is a named step with the config sections it depends on. A stage whose marker exists
with the same fingerprint (hash of its own and all upstream config sections) is skipped, so a
killed run resumes where it stopped and a changed threshold re-runs only what depends on it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gfjax.pipeline.provenance import atomic_write_json


class StageError(RuntimeError):
    """A stage cannot run or failed in a way the user must act on (message says what)."""


@dataclass(frozen=True)
class Stage:
    """One pipeline step.

    ``sections``: config sections whose values change the stage's outputs (the fingerprint);
    a dotted name (``data.path``) takes one key of a section.
    ``requires``: stages that must be complete (in this run or an earlier one) before it runs.
    ``run``: ``run(ctx) -> dict`` of metrics for ``report.json``.
    ``code``: modules or packages (dotted names) whose source makes the stage's results; their
    files' contents enter the fingerprint with the gfjax version, so a changed kernel or a new
    release re-runs the stage. The module of ``run`` always counts.
    """

    name: str
    run: Callable[[Any], dict]
    sections: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    description: str = ""
    is_complete: Callable[[Any], bool] | None = None  # extra check beyond the done-marker
    missing_hint: Callable[[Any], str] | None = None  # names what is missing (e.g. chunks)
    root_only: bool = False  # with MPI: runs on rank 0 only (the others wait)
    code: tuple[str, ...] = ()
    # optional stage (an export): runs when ``enabled(settings)`` and every stage it requires is
    # requested, without being listed in ``stages``
    enabled: Callable[[Any], bool] | None = None
    # it reads its upstream stages' per-item intermediates themselves: a receipt of a consumed
    # item does not count for it (``RunContext.available``), so they are made again
    needs_items: bool = False


@dataclass
class Registry:
    stages: dict[str, Stage] = field(default_factory=dict)

    def add(self, stage: Stage) -> Stage:
        if stage.name in self.stages:
            raise ValueError(f"stage {stage.name!r} registered twice")
        unknown = [r for r in stage.requires if r not in self.stages]
        if unknown:
            raise ValueError(f"stage {stage.name!r} requires unregistered stages {unknown}")
        self.stages[stage.name] = stage
        return stage

    @property
    def order(self) -> list[str]:
        return list(self.stages)

    def resolve(self, requested: list[str], settings: Any = None) -> list[Stage]:
        """Requested stages in pipeline order, with the optional stages ``enabled`` by
        ``settings`` whose required stages are all requested; unknown names are an error."""
        unknown = [s for s in requested if s not in self.stages]
        if unknown:
            raise StageError(f"unknown stage(s) {unknown} in 'stages'; known stages, in order: {self.order}")
        chosen = set(requested)
        if settings is not None:
            for name in self.order:
                st = self.stages[name]
                if (st.enabled is not None and name not in chosen and st.requires
                        and all(r in chosen for r in st.requires) and st.enabled(settings)):
                    chosen.add(name)
        return [self.stages[n] for n in self.order if n in chosen]

    def upstream(self, name: str) -> list[str]:
        """All stages ``name`` depends on, transitively, in pipeline order."""
        seen: set[str] = set()
        todo = list(self.stages[name].requires)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(self.stages[n].requires)
        return [n for n in self.order if n in seen]


REGISTRY = Registry()


def fingerprint(stage: Stage, config: dict, registry: Registry = REGISTRY) -> str:
    """SHA-256 of the config sections of ``stage`` and of every stage upstream of it, of their
    code (``Stage.code``) and of the gfjax version. Execution settings (``execution``: batch sizes,
    memory budgets) are in no stage's sections: results do not depend on them."""
    names = registry.upstream(stage.name) + [stage.name]
    sections = sorted({s for n in names for s in registry.stages[n].sections})
    payload = {s: _lookup(config, s) for s in sections}
    payload["_stages"] = names
    payload["_code"] = {n: code_digest(_code_of(registry.stages[n])) for n in names}
    payload["_version"] = _version()
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _code_of(stage: Stage) -> tuple[str, ...]:
    own = getattr(stage.run, "__module__", None)
    return tuple(sorted({*stage.code, *([own] if own else [])}))


def _version() -> str:
    from gfjax import __version__

    return __version__


@functools.lru_cache(maxsize=None)
def code_digest(modules: tuple[str, ...]) -> str:
    """SHA-256 of the source files of ``modules`` (a package: every ``.py`` under it), in a
    fixed order. A name that is not importable source (``__main__``, a test's module) counts by
    its name only."""
    h = hashlib.sha256()
    for name in modules:
        h.update(name.encode())
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = getattr(spec, "origin", None)
        if spec is None or not origin or not origin.endswith(".py"):
            continue
        path = Path(origin)
        files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
        for f in files:
            h.update(f.relative_to(path.parent).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _lookup(config: dict, dotted: str) -> Any:
    value: Any = config
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def marker_path(workdir: Path, name: str) -> Path:
    return Path(workdir) / "stages" / f"{name}.done.json"


def read_marker(workdir: Path, name: str) -> dict | None:
    p = marker_path(workdir, name)
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):
        return None  # a corrupt marker means "not done": the stage runs again


def write_marker(workdir: Path, name: str, fp: str, metrics: dict) -> None:
    atomic_write_json(marker_path(workdir, name), {"stage": name, "fingerprint": fp, "metrics": metrics})
