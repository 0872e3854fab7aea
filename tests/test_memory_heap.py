"""gfjax.memory's heap settings (issue 13 item 5): with glibc's dynamic mmap threshold, a
process that freed one large buffer keeps later freed 4 MiB buffers in its heap (RSS stays up);
with ``fix_mmap_threshold`` they go back to the system as they are freed."""
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import sys
    import numpy as np
    from gfjax.memory import fix_mmap_threshold, release_heap

    def rss():
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024

    if sys.argv[1] == "fixed":
        assert fix_mmap_threshold()
    first = np.ones(24 << 17)  # 24 MiB, freed: glibc raises its threshold unless it is fixed
    del first
    base = rss()
    blocks = [np.ones(1 << 19) for _ in range(32)]  # 32 x 4 MiB
    keep = blocks[-1]  # the last one stays: the heap's top cannot shrink past it
    del blocks
    print(round(rss() - base, 1), release_heap())
""")


def _retained(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return float(out.stdout.split()[0])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")
def test_freed_buffers_leave_rss_with_a_fixed_threshold():
    assert _retained("dynamic") > 64  # the heap keeps most of the 124 MiB freed
    assert _retained("fixed") < 16  # only the buffer still alive (4 MiB) and small change
