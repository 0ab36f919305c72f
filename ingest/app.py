"""The ingest process: terminals' push protocol at the root paths (/iclock/...)."""
from __future__ import annotations

from fastapi import FastAPI


def create_app(runtime=None) -> FastAPI:
    """`runtime`: a booted Runtime (tests); by default the process's own, booted on first use."""
    from .terminals.push import router as terminal_router

    app = FastAPI(title="Pantau ingest", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    app.include_router(terminal_router)
    return app
