"""Band-limited complex speckle and exactly shifted, partially coherent speckle pairs.

Used to test offset tracking against known sub-pixel shifts: the common scattering field is
periodic and band-limited, so the Fourier shift theorem moves it by any fraction of a pixel
exactly. Sizes are (azimuth, range).
"""
from __future__ import annotations

import numpy as np


def _band_mask(shape: tuple[int, int], bandwidth: tuple[float, float]) -> np.ndarray:
    """Boolean spectrum mask keeping |f| < bandwidth/2 cycles/px along each axis."""
    fa = np.fft.fftfreq(shape[0])[:, None]
    fr = np.fft.fftfreq(shape[1])[None, :]
    return (np.abs(fa) < bandwidth[0] / 2) & (np.abs(fr) < bandwidth[1] / 2)


def complex_speckle_spectrum(rng: np.random.Generator, shape: tuple[int, int],
                             bandwidth: tuple[float, float] = (0.85, 0.85)) -> np.ndarray:
    """Spectrum of circular complex Gaussian speckle, band-limited to ``bandwidth`` (fraction of
    the sampling rate, per axis), scaled so the image has unit mean intensity."""
    white = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    spec = np.fft.fft2(white) * _band_mask(shape, bandwidth)
    kept = _band_mask(shape, bandwidth).mean()
    return spec / np.sqrt(2.0 * kept)


def complex_speckle(rng: np.random.Generator, shape: tuple[int, int],
                    bandwidth: tuple[float, float] = (0.85, 0.85)) -> np.ndarray:
    """Band-limited complex speckle image (complex64), unit mean intensity."""
    return np.fft.ifft2(complex_speckle_spectrum(rng, shape, bandwidth)).astype(np.complex64)


def fourier_shift(spectrum: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """Image whose content is moved by ``shift`` = (azimuth, range) px: out(q) = in(q - shift)."""
    fa = np.fft.fftfreq(spectrum.shape[0])[:, None]
    fr = np.fft.fftfreq(spectrum.shape[1])[None, :]
    ramp = np.exp(-2j * np.pi * (fa * shift[0] + fr * shift[1]))
    return np.fft.ifft2(spectrum * ramp)


def speckle_pair(seed: int, shape: tuple[int, int], shift: tuple[float, float],
                 coherence: float = 0.8, bandwidth: tuple[float, float] = (0.85, 0.85),
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Reference and secondary complex images; the secondary holds the reference's scatterers
    moved by ``shift`` (px, (azimuth, range)) with correlation ``coherence`` between the two.

    Each image is ``common + a * independent`` with ``a**2 = (1 - γ) / γ``, so the complex
    correlation coefficient of the pair is γ exactly in expectation.
    """
    if not 0.0 < coherence <= 1.0:
        raise ValueError(f"coherence must be in (0, 1], got {coherence}")
    rng = np.random.default_rng(seed)
    common = complex_speckle_spectrum(rng, shape, bandwidth)
    ref = np.fft.ifft2(common)
    sec = fourier_shift(common, shift)
    a = np.sqrt((1.0 - coherence) / coherence)
    if a > 0:
        ref = ref + a * complex_speckle(rng, shape, bandwidth)
        sec = sec + a * complex_speckle(rng, shape, bandwidth)
    norm = np.sqrt(1.0 + a * a)
    return (ref / norm).astype(np.complex64), (sec / norm).astype(np.complex64)
