"""``python -m gfjax.msbas``'s cache of compiled kernels (api.map_pixels ``executable_cache``,
in ``$GFJAX_JAX_CACHE/msbas_kernels``): the first process compiles and saves the kernel, a second
process of the same network loads it instead of compiling, both write the files of an in-process
run without any cache bit for bit, and a damaged cache file is removed with a warning and the
kernel compiled (JAX's persistent cache serves it then: such an executable is not saved again,
see api._cached_executable)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import rasterio

from gfjax.msbas.cli import run
from test_msbas_cli import make_case


def _read_all(folder):
    out = {}
    for p in sorted(folder.glob("MSBAS_*.tif")):
        with rasterio.open(p) as src:
            out[p.name] = src.read(1)
    return out


def _cli(header, folder, cache):
    folder.mkdir()
    env = dict(os.environ, GFJAX_JAX_CACHE=str(cache), JAX_LOG_COMPILES="1")
    proc = subprocess.run([sys.executable, "-m", "gfjax.msbas", str(header)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


@pytest.mark.slow                   # three processes and four kernel compilations: ~25 s on 2 cores
def test_second_process_loads_the_compiled_kernel(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=5)
    cache = tmp_path / "cache"
    kernel = "Finished XLA compilation of jit(<lambda>)"      # the vmapped pixel kernel
    first = _cli(header, tmp_path / "first", cache)
    files = list((cache / "msbas_kernels").glob("msbas_*.xla"))
    assert kernel in first and len(files) == 1
    second = _cli(header, tmp_path / "second", cache)
    assert kernel not in second and "cannot load" not in second
    files[0].write_bytes(b"not a kernel")                     # damaged: compile again, warn
    third = _cli(header, tmp_path / "third", cache)
    assert "cannot load the cached kernel" in third and kernel in third
    assert not files[0].is_file() or files[0].read_bytes() != b"not a kernel"

    (tmp_path / "plain").mkdir()
    run(header, tmp_path / "plain")                          # in process, no kernel cache
    ref = _read_all(tmp_path / "plain")
    assert len(ref) > 10
    for name in ("first", "second", "third"):
        got = _read_all(tmp_path / name)
        assert got.keys() == ref.keys()
        for k in ref:
            np.testing.assert_array_equal(got[k], ref[k], err_msg=f"{name}: {k}")
