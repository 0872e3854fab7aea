"""The window batch sharded over 4 fake CPU devices gives the same offsets as 1 device (default
and fast method)."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent("""
    import json, sys
    import jax, numpy as np
    from gfjax.offsets import track_offsets
    from gfjax.sim.speckle import speckle_pair
    ref, sec = speckle_pair(2, (160, 192), (0.4, -0.9), coherence=0.9)
    ds = track_offsets(ref, sec, window=(32, 32), step=(16, 16), search=(4, 4), snr_exclusion=2.0,
                       batch_size=24)
    fast = track_offsets(ref, sec, window=(32, 32), step=(16, 16), search=(4, 4), snr_exclusion=2.0,
                         batch_size=24, method="fast")
    print(json.dumps({"devices": jax.local_device_count(),
                      "az": np.nan_to_num(ds.azimuth_offset.values, nan=-999).tolist(),
                      "rg": np.nan_to_num(ds.range_offset.values, nan=-999).tolist(),
                      "snr": ds.snr.values.tolist(),
                      "fast_rg": np.nan_to_num(fast.range_offset.values, nan=-999).tolist()}))
""")


def _run(n_devices: int) -> dict:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_devices}",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_four_devices_equal_one():
    one, four = _run(1), _run(4)
    assert one["devices"] == 1 and four["devices"] == 4
    np.testing.assert_allclose(four["az"], one["az"], atol=1e-5)
    np.testing.assert_allclose(four["rg"], one["rg"], atol=1e-5)
    np.testing.assert_allclose(four["snr"], one["snr"], rtol=1e-4)
    np.testing.assert_allclose(four["fast_rg"], one["fast_rg"], atol=1e-5)
