"""`pantau` commands in this process, as a process of a region installation would run them."""
from __future__ import annotations

import contextlib
import io
import sys

from pantau.cli import main


def pantau(env: dict, argv: list[str], monkeypatch) -> tuple[int, str]:
    """`pantau ARGV` in this process with the environment of a process of the installation."""
    out = io.StringIO()
    with monkeypatch.context() as mp:
        for key in ("PANTAU_REGION", "PANTAU_APP_DATABASE_URL"):
            mp.delenv(key, raising=False)
        for key, value in env.items():
            mp.setenv(key, value)
        mp.setattr(sys, "stdin", io.StringIO("rahasia-yang-panjang-sekali-123\n"))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
                out.write(str(exc.code))
    return code, out.getvalue()
