"""Out-of-memory errors of the batched device calls (offsets window batches, MSBAS pixel blocks).

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
