"""Derived arrays cached as .npz files: written atomically, and never a reason to fail a build.

Decoding MNIST, generating the drawn-digit benchmark and redrawing training digits each take
seconds to minutes and depend only on their inputs, so each is cached under a name that holds a
digest of those inputs. A reader that finds damage gets None and makes the arrays again; a cache
folder that cannot be written only costs the next run the same work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def write_npz_atomically(path: Path, arrays: Mapping[str, np.ndarray], what: str) -> None:
    """Save `arrays` to `path` through a temp file in the same folder, fsync and rename, so a
    reader never sees half a file; on an OSError, log a warning naming `what` and go on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as error:
        log.warning("Could not cache %s at %s (%s).", what, path, error)
        temp.unlink(missing_ok=True)
