"""Worker processes that never outlive the run that started them.

A `kill -9` of `checker run` used to leave its render and validator workers alive as orphans
(about 280 MB, for minutes). Each worker now asks, as the first thing it does, to be killed
when its parent dies: on Linux the kernel does it (prctl PR_SET_PDEATHSIG); elsewhere a
daemon thread watches the parent's pid.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_INTERVAL_S = 0.5


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as the process `parent_pid` (its parent) is gone."""
    if not (sys.platform.startswith("linux") and _ask_kernel()):
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    # The parent may have died before the request above was made: then nobody will signal.
    if os.getppid() != parent_pid:
        os._exit(1)


def _ask_kernel() -> bool:
    """prctl(PR_SET_PDEATHSIG, SIGKILL): the kernel kills this process when the thread that
    forked it ends (the pools here are forked from the main thread). False if unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    """Poll for the parent's death (it shows as a new parent pid), then exit at once."""
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)


def first_task(then: Callable[..., Any], *args: Any) -> None:
    """Run a worker's start-up work, `then(*args)`, as the first task it is given (its pool's
    initializer is die_with_parent).

    A worker that cannot start (no space left for WeasyPrint's font files, no memory) ends
    quietly; the main process then reports the broken pool in one sentence, in the user's
    language, instead of concurrent.futures printing the worker's traceback.
    """
    try:
        then(*args)
    except Exception:
        os._exit(1)
