"""Image-block preparation before correlation: optional azimuth deramping of complex (TOPS) data,
×2 FFT oversampling of the complex samples, then amplitude. Pure JAX, one block at a time.

Oversampling the whole block (not each window) does the work once for all overlapping windows;
sample k of the input lands exactly on sample 2k of the output. Blocks carry a halo so the
FFT's circular wrap does not reach the windows.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


def _zero_pad_spectrum(spec: jax.Array, axis: int) -> jax.Array:
    """Double the length of ``spec`` along ``axis`` by inserting zeros at the highest
    frequencies; an even-length Nyquist bin is split in halves between ±Nyquist."""
    n = spec.shape[axis]
    half = n // 2
    take = partial(jax.lax.slice_in_dim, spec, axis=axis)
    pos = take(0, half)
    zeros_shape = list(spec.shape)
    if n % 2 == 0:
        nyq = take(half, half + 1) * 0.5
        neg = take(half + 1, n)
        zeros_shape[axis] = n - 1
        zeros = jnp.zeros(zeros_shape, spec.dtype)
        return jnp.concatenate([pos, nyq, zeros, nyq, neg], axis=axis)
    neg = take(half + 1, n)
    pos = take(0, half + 1)
    zeros_shape[axis] = n
    zeros = jnp.zeros(zeros_shape, spec.dtype)
    return jnp.concatenate([pos, zeros, neg], axis=axis)


def fft_oversample2(block: jax.Array) -> jax.Array:
    """Band-limited ×2 interpolation of a complex block (Ha, Wr) → (2Ha, 2Wr), complex64."""
    spec = jnp.fft.fft2(block)
    spec = _zero_pad_spectrum(_zero_pad_spectrum(spec, 0), 1)
    return jnp.fft.ifft2(spec) * 4.0


def deramp_azimuth(block: jax.Array, smooth_lines: int) -> jax.Array:
    """Remove the azimuth phase ramp (TOPS Doppler) of a complex block (Ha, Wr).

    The Doppler of each line is the phase of the lag-1 azimuth correlation summed over range and
    over ``smooth_lines`` lines (box), in rad/line; its running sum is demodulated. The amplitude
    is unchanged; the spectrum is centred on zero azimuth frequency so FFT zero-padding at the
    Nyquist band does not cut through it.
    """
    lag1 = jnp.sum(block[1:] * jnp.conj(block[:-1]), axis=1)            # (Ha-1,)
    csum = jnp.concatenate([jnp.zeros(1, lag1.dtype), jnp.cumsum(lag1)])
    n = lag1.shape[0]
    k = max(1, min(int(smooth_lines), n))
    idx = jnp.arange(n)
    lo = jnp.clip(idx - k // 2, 0, n - k)
    smoothed = csum[lo + k] - csum[lo]
    rate = jnp.angle(smoothed)                                             # rad/line
    phase = jnp.concatenate([jnp.zeros(1, rate.dtype), jnp.cumsum(rate)])
    phase = phase.astype(jnp.float32)
    return block * jax.lax.complex(jnp.cos(phase), -jnp.sin(phase))[:, None]


@partial(jax.jit, static_argnames=("oversample", "deramp", "smooth_lines"))
def amplitude_block(block: jax.Array, oversample: int = 2, deramp: str = "none",
                    smooth_lines: int = 64) -> jax.Array:
    """Amplitude (float32) of a block, deramped and ×``oversample`` FFT-interpolated when the
    block is complex. Real input is returned as |block| without oversampling."""
    if not jnp.iscomplexobj(block):
        return jnp.abs(block).astype(jnp.float32)
    block = block.astype(jnp.complex64)
    if deramp == "azimuth":
        block = deramp_azimuth(block, smooth_lines)
    if oversample == 2:
        block = fft_oversample2(block)
    return jnp.abs(block).astype(jnp.float32)


def deramp_linear(chip: jax.Array) -> jax.Array:
    """Remove one linear phase ramp (both axes) from a complex window — the per-window deramping
    of ampcor/PyCuAmpcor: the ramp per axis is the phase of the summed lag-1 product."""
    fa = jnp.angle(jnp.sum(chip[1:] * jnp.conj(chip[:-1])))
    fr = jnp.angle(jnp.sum(chip[:, 1:] * jnp.conj(chip[:, :-1])))
    ia = jnp.arange(chip.shape[0], dtype=jnp.float32)[:, None]
    ir = jnp.arange(chip.shape[1], dtype=jnp.float32)[None, :]
    ph = (fa * ia + fr * ir).astype(jnp.float32)
    return chip * jax.lax.complex(jnp.cos(ph), -jnp.sin(ph))


def window_amplitude(chip: jax.Array, oversample: int, deramp: bool) -> jax.Array:
    """Amplitude of ONE complex window, linearly deramped and FFT-oversampled on its own
    (periodic) support, as ampcor does; (h, w) → (oversample·h, oversample·w) float32."""
    if deramp:
        chip = deramp_linear(chip)
    if oversample == 2:
        chip = fft_oversample2(chip)
    return jnp.abs(chip).astype(jnp.float32)
