"""The window batch sharded over 4 fake CPU devices gives the same offsets as 1 device (default
and fast method), and those offsets are the true shift (a run that rejected every window, or
returned anything else, fails)."""
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
    print(json.dumps({"devices": jax.local_device_count(),  # NaN (rejected) stays NaN in the JSON
                      "az": ds.azimuth_offset.values.tolist(), "rg": ds.range_offset.values.tolist(),
                      "snr": ds.snr.values.tolist(), "fast_az": fast.azimuth_offset.values.tolist(),
                      "fast_rg": fast.range_offset.values.tolist()}))
""")
SHIFT = {"az": 0.4, "rg": -0.9}  # the true offsets of speckle_pair's secondary, px


def _run(n_devices: int) -> dict:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_devices}",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_four_devices_equal_one():
    one, four = _run(1), _run(4)
    assert one["devices"] == 1 and four["devices"] == 4
    for key in ("az", "rg", "fast_az", "fast_rg"):  # the same windows kept, the same offsets
        np.testing.assert_allclose(four[key], one[key], atol=1e-5, equal_nan=True, err_msg=key)
    np.testing.assert_allclose(four["snr"], one["snr"], rtol=1e-4, equal_nan=True)
    # ... and they are right: nearly every window kept, at the true shift (0.4, -0.9) px
    for key, tol in (("az", 0.05), ("rg", 0.05), ("fast_az", 0.1), ("fast_rg", 0.25)):
        got = np.asarray(one[key], float)
        assert np.isfinite(got).mean() >= 0.95, f"{key}: only {np.isfinite(got).mean():.0%} of windows kept"
        assert np.nanmax(np.abs(got - SHIFT[key.removeprefix("fast_")])) < tol, key
