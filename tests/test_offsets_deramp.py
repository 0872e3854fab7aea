"""TOPS deramping (gfjax.offsets.deramp): a float64 NumPy oracle of ESA's deramping function, and the
truth on the real Terceira crop (S1A IW3 VV burst 6, lines 715–1315 of the burst, samples 10999–12399).

Azimuth spectral centroid = PRF/2π · arg Σ s[l+1]·s*[l] (the correlation Doppler estimator) in
blocks of 64 lines × 200 samples, measured here (PRF 486.5 Hz, k_t ≈ 1,534 Hz/s):

* before deramping the blocks follow the TOPS ramp: centroids −242 … +241 Hz (land: −236 … +195;
  steps of ~+202 Hz = k_t · 64 lines · Δt from one block to the next, wrapped into ±PRF/2);
* after: on land (33 blocks of mean amplitude > 60) 0.2 … 9.6 Hz, mean 3.5 Hz; over the whole crop
  height, per 200-sample range block, 2.7 … 6.3 Hz (before: 52 … 124 Hz, a meaningless mean of
  wrapped ramps). The sea blocks at the crop's bottom (amplitude ~12) keep 20–75 Hz: the ocean
  surface's own Doppler (waves, currents) and noise, not the ramp. ESA's form without the
  centroid term (``with_centroid=False``) leaves land at 1.3 … 10.7 Hz, mean 4.7 Hz (f_ηc ≈ 1.1 Hz).
"""
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gfjax.offsets.deramp import (TopsRamp, azimuth_centroid, deramp_window, deramp_windows, ramp_phase,
                                  reramp_window, tops_ramp)

# the Terceira annotation's burst-6 values (dataDcPolynomial, azimuthFmRatePolynomial, steering)
RAMP64 = dict(dc=np.array([1.157417e01, -1.654501e04, 5.089126e06]), dc_t0=0.005342927742124565,
              fm=np.array([-2.05463528e03, 3.53041183e05, -5.41383802e07]), fm_t0=0.006018535512387027,
              ks=6678.277745616327, tau_mid=0.006206599157071312, azimuth_time_interval=2.055556299e-3,
              lines_per_burst=1514, slant_range_time0=0.006018535512387027, range_sampling_rate=64345238.12571428)


def _oracle_phase(p, line, sample, with_centroid=True):
    """ESA's deramping phase, float64 NumPy, written from the formulas (S1-TN-MDA-52-7445)."""
    tau = p["slant_range_time0"] + sample / p["range_sampling_rate"]
    ka = np.polynomial.polynomial.polyval(tau - p["fm_t0"], p["fm"])
    fdc = np.polynomial.polynomial.polyval(tau - p["dc_t0"], p["dc"])
    ka_mid = np.polynomial.polynomial.polyval(p["tau_mid"] - p["fm_t0"], p["fm"])
    fdc_mid = np.polynomial.polynomial.polyval(p["tau_mid"] - p["dc_t0"], p["dc"])
    kt = ka * p["ks"] / (ka - p["ks"])
    eta_ref = (-fdc / ka) - (-fdc_mid / ka_mid)
    eta = (line - p["lines_per_burst"] / 2) * p["azimuth_time_interval"]
    phi = np.pi * kt * (eta - eta_ref) ** 2
    return phi + 2 * np.pi * fdc * (eta - eta_ref) if with_centroid else phi


def test_ramp_phase_matches_the_numpy_oracle_float64_and_float32():
    lines, samples = np.meshgrid(np.linspace(0, 1513, 41), np.linspace(0, 24202, 37), indexing="ij")
    for centroid in (True, False):
        expected = _oracle_phase(RAMP64, lines, samples, centroid)
        with jax.enable_x64(True):
            ramp = TopsRamp(**{k: jnp.asarray(v, jnp.float64) for k, v in RAMP64.items()})
            got = jax.vmap(lambda l, s: ramp_phase(ramp, l, s, centroid))(jnp.asarray(lines.ravel()),
                                                                          jnp.asarray(samples.ravel()))
            assert np.abs(np.asarray(got).reshape(lines.shape) - expected).max() < 1e-6     # rad
        ramp32 = TopsRamp(**{k: jnp.asarray(v, jnp.float32) for k, v in RAMP64.items()})
        got32 = jax.vmap(lambda l, s: ramp_phase(ramp32, l, s, centroid))(jnp.asarray(lines.ravel(), jnp.float32),
                                                                          jnp.asarray(samples.ravel(), jnp.float32))
        assert np.abs(np.asarray(got32, np.float64).reshape(lines.shape) - expected).max() < 5e-3
    # the phase's azimuth derivative is the centroid: f = φ'/2π = f_dc + k_t (η − η_ref)
    f = azimuth_centroid(ramp32, jnp.float32(1200.0), jnp.float32(12000.0))
    dphi = (_oracle_phase(RAMP64, 1200.5, 12000.0) - _oracle_phase(RAMP64, 1199.5, 12000.0))
    assert abs(float(f) - dphi / (2 * np.pi * RAMP64["azimuth_time_interval"])) < 0.05      # Hz


def test_deramp_window_is_phase_only_and_reramp_inverts_it():
    rng = np.random.default_rng(0)
    ramp = TopsRamp(**{k: jnp.asarray(v, jnp.float32) for k, v in RAMP64.items()})
    w = (rng.normal(size=(3, 16, 24)) + 1j * rng.normal(size=(3, 16, 24))).astype(np.complex64)
    first_lines, first_samples = jnp.array([0.0, 700.0, 1490.0]), jnp.array([0.0, 12000.0, 24170.0])
    out = np.asarray(deramp_windows(ramp, jnp.asarray(w), first_lines, first_samples))
    assert out.dtype == np.complex64 and np.allclose(np.abs(out), np.abs(w), rtol=1e-5)
    one = np.asarray(deramp_window(ramp, jnp.asarray(w[1]), first_lines[1], first_samples[1]))
    assert np.allclose(one, out[1], atol=1e-4)      # jit vs eager float32 phase: ~2e-5
    expected = w[1] * np.exp(-1j * _oracle_phase(RAMP64, 700.0 + np.arange(16)[:, None], 12000.0 + np.arange(24)))
    assert np.abs(one - expected).max() < 5e-3 * np.abs(w[1]).max()
    back = np.asarray(reramp_window(ramp, jnp.asarray(one), first_lines[1], first_samples[1]))
    assert np.allclose(back, w[1], atol=1e-4)


def _centroids(x, prf, block=(64, 200)):
    """(azimuth blocks, range blocks) spectral centroids, Hz, and mean amplitudes."""
    na, nr = x.shape[0] // block[0], x.shape[1] // block[1]
    cent, amp = np.zeros((na, nr)), np.zeros((na, nr))
    for i in range(na):
        for j in range(nr):
            b = x[i * block[0]:(i + 1) * block[0], j * block[1]:(j + 1) * block[1]]
            cent[i, j] = prf / (2 * np.pi) * np.angle(np.sum(b[1:] * np.conj(b[:-1])))
            amp[i, j] = np.abs(b).mean()
    return cent, amp


@pytest.mark.shared
def test_terceira_crop_azimuth_spectrum_is_centred_after_deramping(shared_data, tmp_path):
    from gfjax.io.safe import read_swath
    from terceira import CROP_LINE, CROP_SAMPLE, build_safe

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root, _ = build_safe(shared_data, tmp_path)
        swath = read_swath(root)
    burst = swath.bursts[6]
    first_line = CROP_LINE - burst.first_line                                   # 715
    crop = swath.read_window(6, (first_line, first_line + 601), (CROP_SAMPLE, CROP_SAMPLE + 1401))
    ramp = tops_ramp(swath, 6)
    for k, v in RAMP64.items():                                                 # the oracle's constants
        assert np.allclose(float(np.asarray(v).ravel()[0]), float(np.asarray(getattr(ramp, k)).ravel()[0]),
                           rtol=1e-6), k
    flat = np.asarray(deramp_window(ramp, jnp.asarray(crop), jnp.float32(first_line), jnp.float32(CROP_SAMPLE)))
    prf = 1.0 / swath.azimuth_time_interval_s
    before, amp = _centroids(crop, prf)
    after, _ = _centroids(flat, prf)
    land = amp > 60
    assert land.sum() >= 30
    assert before[land].max() - before[land].min() > 400                        # the ramp: ±PRF/2 wrapped
    assert np.abs(after[land]).max() < 12 and abs(after[land].mean()) < 6, after[land]
    whole_after = _centroids(flat, prf, (600, 200))[0]
    assert np.abs(whole_after).max() < 8, whole_after
    # the measured ramp is the model's: block-to-block step of k_t · 64 lines · Δt (~202 Hz)
    step = (np.angle(np.exp(2j * np.pi * np.diff(before, axis=0) / prf)) * prf / (2 * np.pi))[land[:-1] & land[1:]]
    expected = float(azimuth_centroid(ramp, jnp.float32(first_line + 64), jnp.float32(CROP_SAMPLE + 700))
                     - azimuth_centroid(ramp, jnp.float32(first_line), jnp.float32(CROP_SAMPLE + 700)))
    assert 195 < expected < 210 and np.median(np.abs(step - expected)) < 15
