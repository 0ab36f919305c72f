"""The ground floor every layer stands on: settings, the config and its checks, the clock,
the embedded servers and the runtime that wires them to `queries/`.

Imports only `queries/` and libraries; the shell (`pantau/`), the dashboard and ingest
import it, never the other way round.
"""
