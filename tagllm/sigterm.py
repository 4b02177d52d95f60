"""SIGTERM (a job scheduler, ``timeout``, ``docker stop``, systemd) stopping a run as Ctrl-C does."""

from __future__ import annotations

import signal
import threading
from typing import Any


class Sigterm:
    """SIGTERM raised as ``KeyboardInterrupt`` where the run is, so that the run stops as Ctrl-C stops it: what was
    done is kept and the summary says how far it got (``terminated`` tells the two apart). Left to the default it
    ended the process at once: no summary, a file run's Parquet parts left unmerged. Caught only where the process had
    left SIGTERM at its default, in the main thread (the only one Python runs handlers in); held off while the run
    finishes its output, then given back to the default."""

    def __init__(self) -> None:
        self.caught = False
        self.terminated = False

    def catch(self) -> None:
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, self._stop)
            self.caught = True

    def hold(self) -> None:
        if self.caught:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def release(self) -> None:
        if self.caught:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self.caught = False

    def _stop(self, signum: int, frame: Any) -> None:
        self.hold()
        self.terminated = True
        raise KeyboardInterrupt
