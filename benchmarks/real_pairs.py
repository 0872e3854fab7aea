"""The real Sentinel-1 pairs of benchmarks/real_acceptance.py with a known answer: readers of the
Terceira IW SLC crop (GeoTIFF) and of the Amsterdam SNAP pair (zarr v2, read without zarr), and
the Terceira crop moved by an exact sub-pixel shift (TOPS azimuth Doppler removed before the
Fourier shift, restored after) and decorrelated to a coherence γ with noise of the image's own
spectrum (see real_acceptance.py's docstring)."""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent

DATA = Path(os.environ.get("GFJAX_SHARED_DATA", _HERE.parents[1] / "shared" / "data"))
TERCEIRA = DATA / "sentinel1" / "terceira_20220918"
AMSTERDAM = DATA / "sentinel1" / "amsterdam_coreg_pair"


# ----------------------------------------------------------------------------- data
def load_terceira(path: Path = TERCEIRA) -> np.ndarray:
    """The real Terceira SLC crop (601, 1401) complex64 (CInt16 GeoTIFF, read with rasterio)."""
    import rasterio
    tif = sorted(path.glob("*.tiff"))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # no geotransform: NotGeoreferencedWarning
        with rasterio.open(tif) as ds:
            return ds.read(1).astype(np.complex64)


def _read_zarr_v2(folder: Path) -> np.ndarray:
    """One zarr v2 array (the zarr package if installed, else .zarray + raw chunks, uncompressed)."""
    try:
        import zarr
        return np.asarray(zarr.open(str(folder), mode="r")[...])
    except ImportError:
        pass
    meta = json.loads((folder / ".zarray").read_text())
    if meta.get("compressor") is not None or meta.get("filters"):
        raise ValueError(f"{folder}: compressed zarr chunks need the zarr package")
    shape, chunks, dt = meta["shape"], meta["chunks"], np.dtype(meta["dtype"])
    sep = meta.get("dimension_separator", ".")
    out = np.full(shape, meta.get("fill_value") or 0, dt)
    for i in range(-(-shape[0] // chunks[0])):
        for j in range(-(-shape[1] // chunks[1])):
            f = folder / f"{i}{sep}{j}"
            if not f.exists():
                continue
            c = np.fromfile(f, dt).reshape(chunks, order=meta.get("order", "C"))
            a, r = i * chunks[0], j * chunks[1]
            ha, hr = min(chunks[0], shape[0] - a), min(chunks[1], shape[1] - r)
            out[a:a + ha, r:r + hr] = c[:ha, :hr]
    return out


def load_amsterdam(path: Path = AMSTERDAM) -> tuple[np.ndarray, np.ndarray]:
    """The coregistered pair (reference 2023-03-19, secondary 2023-03-31), (84, 338) complex64."""
    out = []
    for znap in sorted(path.glob("*.znap")):
        i = next(znap.glob("i_VV_*"))
        q = next(znap.glob("q_VV_*"))
        out.append((_read_zarr_v2(i).astype(np.float32) + 1j * _read_zarr_v2(q).astype(np.float32))
                   .astype(np.complex64))
    return out[0], out[1]


# ----------------------------------------------------------------------------- secondaries
def azimuth_ramp(z: np.ndarray, smooth: int = 15) -> np.poly1d:
    """TOPS azimuth phase (rad) as a polynomial of the line: the per-line Doppler (cycles/line,
    phase of the lag-1 azimuth product, box-smoothed over ``smooth`` lines), unwrapped and fitted
    by a line (TOPS steering: linear Doppler in time), integrated."""
    lag = np.sum(z[1:] * np.conj(z[:-1]), axis=1)
    lag = np.convolve(lag, np.ones(smooth), "same")
    f = np.unwrap(np.angle(lag)) / (2 * np.pi)
    n = np.arange(f.size) + 0.5                               # lag k sits between lines k, k+1
    c1, c0 = np.polyfit(n, f, 1)
    return np.poly1d([np.pi * c1, 2 * np.pi * c0, 0.0])      # φ(n) = 2π(c0 n + c1 n²/2)


def _fshift(x: np.ndarray, shift, pad: int = 64) -> np.ndarray:
    """out(q) = x(q − shift), band-limited, on a reflect-padded support (no wrap-around)."""
    xp = np.pad(x, pad, mode="reflect")
    fa = np.fft.fftfreq(xp.shape[0])[:, None]
    fr = np.fft.fftfreq(xp.shape[1])[None, :]
    out = np.fft.ifft2(np.fft.fft2(xp) * np.exp(-2j * np.pi * (fa * shift[0] + fr * shift[1])))
    return out[pad:-pad, pad:-pad]


def shifted_pair(z: np.ndarray, shift, coherence: float, seed: int = 0):
    """(reference, secondary) complex64 from one real SLC ``z``: the secondary holds z's content
    moved by ``shift`` = (azimuth, range) px (deramped, Fourier-shifted, re-ramped), and each image
    gets independent speckle noise with z's spectrum and local amplitude so that their coherence
    is ``coherence`` (1 = no noise)."""
    rng = np.random.default_rng(seed)
    phi = azimuth_ramp(z)
    n = np.arange(z.shape[0], dtype=np.float64)
    base = z * np.exp(-1j * phi(n))[:, None]
    sec = _fshift(base, shift) * np.exp(1j * phi(n - shift[0]))[:, None]
    ref = z.astype(np.complex128)
    if coherence < 1:
        from scipy import ndimage
        spec = np.abs(np.fft.fft2(base))
        spec = np.sqrt(ndimage.uniform_filter(spec ** 2, 9, mode="wrap"))
        spec /= np.sqrt(np.mean(spec ** 2))
        local = np.sqrt(ndimage.uniform_filter(np.abs(z).astype(np.float64) ** 2, 15, mode="reflect"))
        a = np.sqrt((1 - coherence) / coherence)
        noise = []
        for _ in range(2):
            w = (rng.standard_normal(z.shape) + 1j * rng.standard_normal(z.shape)) / np.sqrt(2)
            noise.append(np.fft.ifft2(np.fft.fft2(w) * spec) * np.exp(1j * phi(n))[:, None] * local)
        ref = ref + a * noise[0]
        sec = sec + a * noise[1]
    return ref.astype(np.complex64), sec.astype(np.complex64)
