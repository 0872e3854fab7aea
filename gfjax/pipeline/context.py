"""What every stage gets: the validated settings, the run directory, the report, shared objects."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gfjax.geometry.grid import MapGrid
    from gfjax.protocols import Scene

log = logging.getLogger("gfjax")


@dataclass
class RunContext:
    """``settings`` is the validated config as dataclass objects (``settings.scene`` …),
    ``config`` the same as plain containers (for provenance), ``workdir`` the run directory."""

    settings: Any
    config: dict
    workdir: Path
    report: dict = field(default_factory=dict)
    fingerprints: dict = field(default_factory=dict)
    workers: Any = None  # gfjax.pipeline.parallel.Workers (rank, size, barrier, gather)
    disk: Any = None  # gfjax.pipeline.resources.DiskTracker (peak size of the run directory)
    stage: str | None = None  # the stage now running (set by the runner)
    # stages whose consumed items must be made again (a requested ``needs_items`` stage is due)
    items_needed: set = field(default_factory=set)

    def path(self, *parts: str) -> Path:
        """A path inside the run directory; parent folders are created."""
        p = self.workdir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def __post_init__(self) -> None:
        if self.workers is None:
            from gfjax.pipeline.parallel import Workers

            self.workers = Workers()

    def stage_dir(self, stage: str) -> Path:
        """Working folder of a stage's per-item intermediates, keyed by the stage's fingerprint
        so that a changed config never reuses stale items; stale siblings are removed."""
        import shutil

        fp = self.fingerprints[stage]
        base = self.workdir / "work"
        d = base / f"{stage}-{fp}"
        if not self.workers.is_root:  # rank 0 prepares the folder
            self.workers.barrier()
            return d
        if base.is_dir():
            for old in base.glob(f"{stage}-*"):
                if old != d and old.is_dir():
                    log.info("removing stale intermediates %s", old)
                    shutil.rmtree(old, ignore_errors=True)
        if getattr(self.settings, "force", False) and d.is_dir():
            shutil.rmtree(d)
        d.mkdir(parents=True, exist_ok=True)
        self.workers.barrier()
        return d

    def existing_stage_dir(self, stage: str) -> Path:
        """The working folder an upstream stage wrote (from its done-marker's fingerprint)."""
        from gfjax.pipeline.stage import StageError, read_marker

        marker = read_marker(self.workdir, stage)
        fp = self.fingerprints.get(stage) or (marker or {}).get("fingerprint")
        d = self.workdir / "work" / f"{stage}-{fp}"
        if fp is None or not d.is_dir():
            raise StageError(f"the outputs of stage {stage!r} are missing in {self.workdir / 'work'}; "
                             f"re-run it (stages=[{stage},...] force=true)")
        return d

    # Storage discipline: an upstream stage's per-item intermediates go as soon as a downstream
    # stage has used them. The consumer says so (``consumed``); the runner's context removes the
    # item and leaves a receipt, so the producer never looks at downstream files to know that it
    # is complete (``available``).

    def consumed(self, path: Path, standing_for: Path | None = None) -> None:
        """The running stage has used ``path``, an upstream stage's intermediate, and saved
        ``standing_for`` (its own output that replaces it). Unless ``output.keep_intermediates``,
        the item is removed after a receipt ``<name>.consumed`` (consumer, its fingerprint, the
        output) is written atomically: a kill between the two leaves both, never neither."""
        if getattr(getattr(self.settings, "output", None), "keep_intermediates", False):
            return
        from gfjax.pipeline.provenance import atomic_write_json

        path = Path(path)
        if not path.is_file():
            return
        rel = None
        if standing_for is not None:
            try:
                rel = str(Path(standing_for).resolve().relative_to(self.workdir.resolve()))
            except ValueError:
                rel = str(standing_for)
        atomic_write_json(_receipt(path), {"by": self.stage, "fingerprint": self.fingerprints.get(self.stage),
                                           "standing_for": rel})
        path.unlink(missing_ok=True)

    def consumer_of(self, path: Path) -> dict | None:
        """The receipt of a consumed intermediate (``consumed``), or None."""
        import json

        try:
            return json.loads(_receipt(Path(path)).read_text())
        except (OSError, ValueError):
            return None

    def release_if_consumed(self, path: Path) -> None:
        """Remove an intermediate made again for a ``needs_items`` stage when its receipt shows
        that its consumer's outputs stand for it (storage discipline restored)."""
        path = Path(path)
        if path.is_file() and self._receipt_counts(path):  # (no receipt: does not count)
            path.unlink(missing_ok=True)

    def available(self, path: Path, producer: str | None = None) -> bool:
        """Whether an intermediate is on disk, or was consumed by a stage whose outputs for the
        current config stand for it: the receipt names the consumer's current fingerprint, and
        either the output it saved is there or the consumer is done (its done-marker). Under
        ``force=true`` with the consumer requested, a receipt does not count: that stage re-runs
        and needs the item itself; nor for a ``producer`` whose items a due ``needs_items`` stage
        reads (``items_needed``)."""
        path = Path(path)
        if path.is_file():
            return True
        if producer is not None and producer in self.items_needed:
            return False
        return self._receipt_counts(path)

    def _receipt_counts(self, path: Path) -> bool:
        info = self.consumer_of(path) or {}
        by = info.get("by")
        if not by or info.get("fingerprint") != self.fingerprints.get(by):
            return False
        requested = set(self.config.get("stages") or ()) if isinstance(self.config, dict) else set()
        if getattr(self.settings, "force", False) and by in requested:
            return False
        from gfjax.pipeline.stage import read_marker

        standing = info.get("standing_for")
        if standing and (self.workdir / standing).exists():
            return True
        return (read_marker(self.workdir, by) or {}).get("fingerprint") == self.fingerprints.get(by)

    @cached_property
    def grid(self) -> MapGrid:
        """The common map grid of all products: the scene's grid (the synthetic scene's at
        ``scene.grid_spacing_m``, a stack's from its grid.yaml / dem.tif), whose spacing
        ``geometry.grid_spacing_m`` must repeat (or be None)."""
        from gfjax.pipeline.data import source
        from gfjax.pipeline.stage import StageError

        want = self.settings.geometry.grid_spacing_m
        have = self.scene.grid.spacing
        if want is not None and abs(want - have) > 1e-6:
            if source(self.settings) == "synthetic":  # (to_settings stops this before any stage)
                raise StageError(f"geometry.grid_spacing_m={want} differs from scene.grid_spacing_m={have}: "
                                 "the synthetic scene's lookup tables and truth live on its own grid; "
                                 "set both to the same spacing")
            raise StageError(f"geometry.grid_spacing_m={want} differs from the {have} m map grid of the data "
                             f"({getattr(self.scene, 'path', 'scene')}): its DEM, mask and lookup tables live "
                             "on that grid; set geometry.grid_spacing_m=null (or to that spacing)")
        return self.scene.grid

    @cached_property
    def scene(self) -> Scene:
        """The scene of ``data.source`` (a :class:`gfjax.protocols.Scene`): the synthetic scene
        (deterministic from ``settings.scene``), a stack folder, Sentinel-1 products or map inputs
        (``data.source=safe_sim``: the scene's products written into the run folder first); built once per run."""
        from gfjax.pipeline.data import open_scene

        return open_scene(self.settings, self.workdir)


def _receipt(path: Path) -> Path:
    return path.with_name(path.name + ".consumed")
