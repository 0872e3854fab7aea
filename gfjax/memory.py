"""Host memory: out-of-memory errors of the batched device calls (offsets window batches, MSBAS
pixel blocks), and keeping the process' heap from holding freed memory (glibc, below).

XLA reports a device allocation that does not fit as a ``JaxRuntimeError`` (``XlaRuntimeError``
in older jaxlib) whose message starts with ``RESOURCE_EXHAUSTED``; NumPy and the CPU backend may
raise ``MemoryError``. Callers catch them around one batch, halve the batch and retry with a
warning, and stop with a message naming the config key to lower. (A process the operating
system kills for memory, SIGKILL, cannot be caught: a re-run resumes from the finished items.)
"""
from __future__ import annotations


def is_out_of_memory(err: BaseException) -> bool:
    """True for a host ``MemoryError`` or an XLA ``RESOURCE_EXHAUSTED`` runtime error."""
    if isinstance(err, MemoryError):
        return True
    return isinstance(err, RuntimeError) and "RESOURCE_EXHAUSTED" in str(err)


def first_line(err: BaseException, limit: int = 200) -> str:
    """The first line of an error message, shortened (XLA's can hold a whole allocation dump)."""
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- host heap (glibc) -------------------------------------------------------------------------
# glibc raises its mmap threshold up to 32 MiB after a large block is freed, so later large
# buffers (window batches, XLA's intermediates, strips read from disk) come from the heap, and a
# freed heap is rarely given back: RSS then keeps the largest working set of every earlier batch,
# pair and stage. A fixed threshold serves every buffer of at least HEAP_MMAP_THRESHOLD bytes by
# mmap, returned to the system when freed; malloc_trim gives back the rest between stages.
HEAP_MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)


def _libc():
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (glibc only: musl has neither)
    except (OSError, AttributeError):
        return None
    return libc


def fix_mmap_threshold(nbytes: int = HEAP_MMAP_THRESHOLD) -> bool:
    """glibc: serve every allocation of at least ``nbytes`` by mmap (returned when freed) and
    stop the threshold from growing; False where that is not glibc (nothing changed)."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, int(nbytes)) == 1)


def release_heap() -> bool:
    """glibc: give the free parts of the heap back to the system (``malloc_trim(0)``); True if
    some memory was released."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0) == 1)
