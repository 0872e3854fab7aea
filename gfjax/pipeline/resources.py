"""What a run costs: peak memory of this process and disk used by the run directory, and the
clear stop when the disk fills (completed items stay: every item is written atomically)."""
from __future__ import annotations

import errno
import os
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB (Linux ru_maxrss is in KiB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def reset_peak_rss() -> bool:
    """Start a new peak-memory window for this process (Linux: ``5`` into ``/proc/self/clear_refs``
    resets VmHWM); False where that is not possible (then :func:`window_peak_rss_mb` is the
    process' peak so far)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def window_peak_rss_mb() -> float:
    """Peak resident memory since the last :func:`reset_peak_rss` (VmHWM), MiB; the process'
    peak (ru_maxrss) where /proc is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except (OSError, ValueError, IndexError):
        pass
    return peak_rss_mb()


def disk_usage_mb(folder: str | Path) -> float:
    """Bytes under ``folder`` (files only, links not followed), MiB; 0 if it does not exist."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed while walking (another rank deleting intermediates)
                pass
    return round(total / 2**20, 2)


class DiskTracker:
    """Running maximum of the run directory's size, sampled at stage ends and wherever a stage
    holds the most (e.g. just before it deletes consumed intermediates)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.peak_mb = 0.0

    def sample(self) -> float:
        now = disk_usage_mb(self.folder)
        self.peak_mb = max(self.peak_mb, now)
        return now


def is_disk_full(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full_message(stage: str, workdir: str | Path, err: OSError) -> str:
    return (f"stage {stage!r}: the disk is full ({err.strerror}: {err.filename or workdir}). "
            f"Everything completed so far is kept in {workdir} (items are written atomically); "
            "free space (or set output.keep_intermediates=false, output.root elsewhere) and run the "
            "same command again: it resumes where it stopped")
