"""Walk the whole dashboard as one user: log in, render every page route, fire the wall's
tick, fetch every download in every format. For the fault tests: what answered what."""
from __future__ import annotations

from collections import Counter

from dashboard.app import PAGES
from ingest.export import FLAVOURS
from tests.support.city import PASSWORD
from tests.support.dash_client import DashClient

WALL_TICK = ([("wall-tiles", "children"), ("wall-bars", "figure"), ("wall-map", "figure"),
              ("wall-ticker", "children"), ("wall-date", "children"), ("wall-version", "data"),
              ("wall-heartbeat", "data")], [("wall-tick", "n_intervals", 1)],
             [("wall-version", "data", -1), ("wall-token", "data", None), ("wall-scale", "data", 1)])


def download_paths(app) -> list[str]:
    """Every download route (no URL arguments) of the app, in every file format."""
    rules = sorted(r.rule for r in app.server.url_map.iter_rules()
                   if r.rule.startswith("/download/") and not r.arguments)
    return [f"{rule}?format={flavour}" for rule in rules for flavour in FLAVOURS]


class Walk:
    def __init__(self):
        self.codes: Counter = Counter()
        self.answers: dict[str, int] = {}
        self.wall: dict = {}

    def note(self, what: str, status: int) -> None:
        self.codes[status] += 1
        self.answers[what] = status

    def wall_tile(self, key: str) -> str | None:
        """The number a wall tile shows (e.g. 'present'), as drawn."""
        def find(node):
            if isinstance(node, dict):
                props = node.get("props", {})
                if props.get("id") == f"tile-{key}":
                    return props["children"][1]["props"]["children"]
                return next((f for f in map(find, node.values()) if f is not None), None)
            if isinstance(node, list):
                return next((f for f in map(find, node) if f is not None), None)
            return None
        return find(self.wall)

    @property
    def failures(self) -> dict[str, int]:
        return {what: s for what, s in self.answers.items() if s >= 500}


def walk(app, username: str) -> Walk:
    """Log in as `username` (the seeded city's password) and ask for everything."""
    out, c = Walk(), DashClient(app)
    login = c.login(username, PASSWORD)
    out.note(f"{username} POST /login", login.status_code)
    if login.status_code != 302:
        return out
    for path in PAGES:
        status, _ = c.page(path)
        out.note(f"{username} page {path}", status)
    status, body = c.callback(*WALL_TICK, key=c.output_key("wall-tick"))
    out.note(f"{username} wall tick", status)
    out.wall = body
    for path in download_paths(app):
        res = c.http.get(path)
        res.get_data()   # a streamed download fails while it streams
        out.note(f"{username} GET {path}", res.status_code)
    return out
