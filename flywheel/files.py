"""Output files written whole or not at all.

Every file the tool writes for a user goes through :func:`write_text`: the content is
written to a temporary file in the target's folder, flushed to disk, then renamed over
the target. A full disk or a lost permission leaves the previous file (or no file) in
place, never a truncated or empty one, and the error names the target path.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path


def slug(text: str) -> str:
    """A file name made from a title: ASCII letters and digits joined by hyphens, <= 40.

    >>> slug("Île-de-France"), slug("Zhejiang Province"), slug("政府")
    ('ile-de-france', 'zhejiang-province', '')
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40]


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path.

    Raises
    ------
    OSError
        With ``filename`` set to ``path`` (not to the temporary file), for a full
        disk, a read-only folder or a missing one. Nothing is left behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_text(target, "hello").read_text()
    'hello'
    """
    path = Path(path)
    data = text.encode("utf-8")
    scratch = None
    try:
        handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(scratch, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(scratch, path)
        scratch = None
    except OSError as error:
        raise OSError(error.errno, error.strerror or str(error), str(path)) from None
    finally:
        if scratch is not None:
            try:
                os.unlink(scratch)
            except OSError:
                pass
    return path
