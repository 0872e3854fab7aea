"""NaN-aware Gaussian filter: holes, impulse width, NumPy/SciPy oracle."""
import numpy as np
import pytest
from scipy import ndimage

from gfjax.filters import gaussian_filter, gaussian_kernel_1d


def oracle(field, sigma_px):
    """Normalised convolution with scipy (truncate 3σ, outside = missing)."""
    valid = np.isfinite(field)
    kw = dict(sigma=sigma_px, truncate=3.0, mode="constant", cval=0.0)
    num = ndimage.gaussian_filter(np.where(valid, field, 0.0).astype(np.float64), **kw)
    den = ndimage.gaussian_filter(valid.astype(np.float64), **kw)
    return np.where(valid, num / den, np.nan)


def test_constant_field_with_holes_stays_constant():
    rng = np.random.default_rng(0)
    field = np.full((3, 40, 50), 7.5, np.float32)
    holes = rng.random(field.shape) < 0.3
    field[holes] = np.nan
    out = np.asarray(gaussian_filter(field, (14.0, 10.0), 200.0))
    assert out.shape == field.shape
    np.testing.assert_array_equal(np.isnan(out), holes)
    np.testing.assert_allclose(out[~holes], 7.5, rtol=1e-6)


def test_impulse_response_has_documented_width():
    spacing, width = 10.0, 240.0  # σ = 40 m = 4 px
    field = np.zeros((81, 81), np.float32)
    field[40, 40] = 1.0
    out = np.asarray(gaussian_filter(field, spacing, width), np.float64)
    assert out.sum() == pytest.approx(1.0, rel=1e-5)  # energy preserved away from edges
    y, x = np.mgrid[:81, :81] - 40
    w = out / out.sum()
    sigma_row = np.sqrt((w * y**2).sum()) * spacing
    sigma_col = np.sqrt((w * x**2).sum()) * spacing
    # truncation at 3σ removes ~3% of the second moment
    assert sigma_row == pytest.approx(width / 6, rel=0.03)
    assert sigma_col == pytest.approx(width / 6, rel=0.03)
    # kernel support equals the full width: radius 3σ = 12 px
    assert np.count_nonzero(out[40]) == 25


def test_anisotropic_spacing_radar_grid():
    # radar grid spacings (azimuth 112 m, range 74 m): widths in px differ per axis
    field = np.zeros((41, 61), np.float32)
    field[20, 30] = 1.0
    out = np.asarray(gaussian_filter(field, (112.0, 74.0), 1200.0))
    assert np.count_nonzero(out[20]) > np.count_nonzero(out[:, 30])
    np.testing.assert_allclose(out, oracle(field, (200.0 / 112.0, 200.0 / 74.0)), atol=1e-6)


def test_matches_scipy_oracle_with_holes_and_batch():
    rng = np.random.default_rng(1)
    field = rng.normal(size=(2, 30, 45)).astype(np.float32)
    field[rng.random(field.shape) < 0.2] = np.nan
    out = np.asarray(gaussian_filter(field, 20.0, 200.0))
    for m in range(2):
        np.testing.assert_allclose(out[m], oracle(field[m], 200.0 / 6 / 20.0), atol=2e-6, equal_nan=True)
    # without holes, away from the edges, equals the plain scipy Gaussian
    clean = rng.normal(size=(40, 40)).astype(np.float32)
    plain = ndimage.gaussian_filter(clean.astype(np.float64), 200.0 / 6 / 20.0, truncate=3.0)
    got = np.asarray(gaussian_filter(clean, 20.0, 200.0))
    r = len(gaussian_kernel_1d(200.0 / 6 / 20.0)) // 2
    np.testing.assert_allclose(got[r:-r, r:-r], plain[r:-r, r:-r], atol=2e-6)


def test_no_zero_bias_next_to_holes():
    field = np.full((20, 20), 5.0, np.float32)
    field[:, :10] = np.nan
    out = np.asarray(gaussian_filter(field, 10.0, 120.0))
    np.testing.assert_allclose(out[:, 10:], 5.0, rtol=1e-6)


def test_zero_width_is_identity_and_bad_input():
    f = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(np.asarray(gaussian_filter(f, 10.0, 0.0)), f)
    with pytest.raises(ValueError, match="width_m"):
        gaussian_filter(f, 10.0, -1.0)
    with pytest.raises(ValueError, match="spacing_m"):
        gaussian_filter(f, (10.0, 0.0), 100.0)
    with pytest.raises(ValueError, match="field"):
        gaussian_filter(np.zeros(5), 10.0, 100.0)
