"""Freed heap memory stays in the process between compiled calls.

A compiled gradient of array code allocates its temporaries on every call and frees
them when it returns. glibc's malloc hands the free memory at the top of its heap back
to the kernel once more than M_TRIM_THRESHOLD bytes are free. It adapts that threshold
to twice the largest block it has freed, so it stays small next to a call's
temporaries. Every page of them is then faulted in again on the next call: W6 (about
12 MB of temporaries) took 2,947 minor page faults per call, 19.6 ms a call against
10.1 ms without them.

On glibc, the first program bound to the cpu backend therefore sets two thresholds:
- M_MMAP_THRESHOLD to 32 MiB, glibc's largest: smaller blocks come from the heap and
  are reused;
- M_TRIM_THRESHOLD to 256 MiB: up to that much freed memory stays with the process.

The settings hold for the whole process, as malloc's always do. `S2SGRAD_MALLOC=system`
in the environment leaves malloc as it is."""
import ctypes
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3          # <malloc.h>
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20

applied = None        # None: not tried yet; then True (set) or False (left alone)


def keep_freed_memory():
    """Sets the two thresholds once per process (see the module doc); True when set."""
    global applied
    if applied is None:
        applied = False
        if os.environ.get("S2SGRAD_MALLOC", "").strip().lower() != "system" and _glibc():
            try:
                libc = ctypes.CDLL(None)
                applied = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
                    bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            except (OSError, AttributeError):
                applied = False
    return applied


def _glibc():
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):      # not a glibc system
        return False
