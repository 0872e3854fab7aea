"""Ctrl-C is never lost: a KeyboardInterrupt swallowed where it landed is raised again by check()."""
import os
import signal
import time

import pytest

from gfjax.pipeline.interrupts import catch_sigint, check


def test_a_swallowed_ctrl_c_is_raised_again_by_check():
    before = signal.getsignal(signal.SIGINT)
    with catch_sigint():
        check()                                           # nothing yet
        try:                                              # a finaliser / callback that swallows it
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
        except BaseException:
            pass
        with pytest.raises(KeyboardInterrupt):
            check()
    assert signal.getsignal(signal.SIGINT) is before      # the previous handler is back
    check()                                               # and the flag is cleared
