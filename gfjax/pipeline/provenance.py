"""Provenance and atomic writes: every product says which config, code and inputs made it."""
from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gfjax
from gfjax.io.atomic import mkstemp_for


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file + rename: a reader (or a killed run)
    never sees a half-written file. The file gets the umask's mode, as ``open()`` would give."""
    return atomic_write_with(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_with(path: str | os.PathLike, write) -> Path:
    """``write(tmp_path)`` writes the file (a library that wants a path: NetCDF, GeoTIFF) to a
    temporary path beside ``path``, then fsync + rename, as :func:`atomic_write_bytes`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = mkstemp_for(path)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def git_commit() -> str | None:
    """Commit of the gfjax source tree (with '+dirty' when modified), or None outside git."""
    src = Path(gfjax.__file__).resolve().parents[1]
    try:
        rev = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(config: dict | None = None, inputs: list[str] | None = None) -> dict:
    """Who/what/when made a product: gfjax version and commit, platform, JAX devices, config."""
    import jax

    prov: dict[str, Any] = {
        "gfjax_version": gfjax.__version__,
        "gfjax_commit": git_commit(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": socket.gethostname(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "jax_version": jax.__version__,
        "jax_backend": jax.default_backend(),
        "jax_devices": [str(d) for d in jax.devices()],
        "command": " ".join(sys.argv),
    }
    if config is not None:
        prov["config"] = config
    if inputs is not None:
        prov["inputs"] = list(inputs)
    return prov


def netcdf_provenance_attrs(prov: dict) -> dict:
    """Flatten provenance into NetCDF global attributes (strings only)."""
    attrs = {k: (json.dumps(v, default=_json_default) if not isinstance(v, str) else v)
             for k, v in prov.items() if v is not None}
    attrs["history"] = f"{prov.get('created_utc', '')} gfjax {prov.get('gfjax_version', '')}: {prov.get('command', '')}"
    return attrs
