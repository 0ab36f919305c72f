"""`pantau` commands in this process, as a process of a region installation would run them."""
from __future__ import annotations

import contextlib
import io
import os
import sys

from pantau.cli import main


def pantau(env: dict, argv: list[str], monkeypatch) -> tuple[int, str]:
    """`pantau ARGV` in this process with the environment of a process of the installation."""
    out = io.StringIO()
    saved = dict(os.environ)   # main() sets PANTAU_REGION itself: put the whole environment back after
    try:
        for key in ("PANTAU_REGION", "PANTAU_APP_DATABASE_URL"):
            os.environ.pop(key, None)
        os.environ.update(env)
        with monkeypatch.context() as mp:
            mp.setattr(sys, "stdin", io.StringIO("rahasia-yang-panjang-sekali-123\n"))
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    code = main(argv)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 2
                    out.write(str(exc.code))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, out.getvalue()
