"""Ask one region's dashboard for everything, with another region's names and ids.

- `HostClient`: werkzeug's test client of a WSGI app (dashboard/regions.py's dispatcher)
  at one Host, cookies kept per host as a browser keeps them;
- `rule_requests`: every Flask rule of a server, GET and POST, its URL arguments and query
  strings filled with the given values;
- `callback_bodies`: every server-side Dash callback as the renderer would POST it, each
  input and state filled by property (and id) from the given values;
- `readable`: a response body as text, an .xlsx's sheets included;
- `schema_digest`: a digest of every table of a region's schema (a write anywhere shows).
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass

from werkzeug.test import Client

from dashboard.app import PAGES
from queries import db


class HostClient:
    def __init__(self, wsgi, host: str):
        self.client, self.host = Client(wsgi), host

    def open(self, path: str, **kw):
        kw.setdefault("base_url", f"http://{self.host}/")
        return self.client.open(path, **kw)

    def get(self, path: str, **kw):
        return self.open(path, method="GET", **kw)

    def post(self, path: str, **kw):
        return self.open(path, method="POST", **kw)

    def get_cookie(self, key: str):
        return self.client.get_cookie(key, domain=self.host.split(":")[0])

    def set_cookie(self, key: str, value: str):
        self.client.set_cookie(key, value, domain=self.host.split(":")[0])


@dataclass
class Aim:
    """Another region's values to put wherever a request takes one."""
    ids: list[int]          # its rows' ids (employees, leave requests, events, check-ins)
    nip: str
    name: str
    unit: str
    day: str                # YYYY-MM-DD
    sha: str = "0" * 64     # a stored file's (a leave document's)

    @property
    def search(self) -> str:
        i = self.ids[0]
        return (f"?unit={self.unit}&employee={i}&event={i}&leave={i}&id={i}&nip={self.nip}&q={self.name}"
                f"&date={self.day}&from={self.day}&to={self.day}&month={self.day[:7]}&status=&kind=")


ARGUMENTS = {"package_name": "dash", "fingerprinted_path": "dcc/dash_core_components.js",
             "filename": "pantau.css", "path": "overview"}


def rule_requests(server, aim: Aim) -> list[tuple[str, str, dict]]:
    """(method, url, form) for every rule and method of `server` (HEAD/OPTIONS aside), each
    int argument once per aimed id; the callback endpoint is asked by callback_bodies."""
    out = []
    # /logout last: the walk asks everything else as the logged-in user
    for rule in sorted(server.url_map.iter_rules(), key=lambda r: (r.rule == "/logout", r.rule)):
        if rule.rule == "/_dash-update-component":
            continue
        ints = [a for a, conv in rule._converters.items() if type(conv).__name__ == "IntegerConverter"]
        for i in aim.ids if ints else [None]:
            values = {a: (i if a in ints else aim.sha if a == "sha" else ARGUMENTS.get(a, str(i)))
                      for a in rule.arguments}
            url = rule.build(values, append_unknown=False)[1] if rule.arguments else rule.rule
            form = {"nip": aim.nip, "leave_id": str(aim.ids[0]), "username": "bkpp", "password": "x"}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((method, url + aim.search + "&format=xlsx", form))
                if method == "GET" and url.startswith(("/download/", "/review/findings")):
                    out += [(method, url + aim.search + f"&format={f}", {}) for f in ("excel", "csv")]
    return out


def _value(cid, prop: str, aim: Aim, pathname: str):
    name = json.dumps(cid) if isinstance(cid, dict) else str(cid)
    if prop in ("n_clicks", "n_intervals", "n_submit"):
        return 1
    if prop in ("start_date", "end_date", "date"):
        return aim.day
    if prop == "pathname":
        return pathname
    if prop == "search":
        return aim.search
    if prop in ("clickData", "selectedData", "hoverData"):
        return {"points": [{"customdata": aim.unit, "location": aim.unit, "text": aim.name}]}
    if prop == "filename":
        return "surat.pdf"
    if prop in ("contents", "disabled"):
        return None
    if prop == "data":
        return "bukan-token-" + aim.nip if "token" in name else aim.ids[0]
    if prop == "value":
        for hint, value in (("nip", aim.nip), ("target", aim.nip), ("date", aim.day), ("month", aim.day[:7]),
                            ("format", "xlsx"), ("unit", aim.unit), ("search", aim.name), ("sn", aim.nip),
                            ("choice", aim.ids[0]), ("id", aim.ids[0]), ("selfie", aim.ids[0])):
            if hint in name:
                return value
        return aim.nip
    return None


def _wildcard(dep: dict, aim: Aim, pathname: str):
    """A pattern-matching dependency (ALL): one entry per aimed id."""
    cid = json.loads(dep["id"]) if dep["id"].startswith("{") else dep["id"]
    if not isinstance(cid, dict) or not any(isinstance(v, list) for v in cid.values()):
        return {"id": cid, "property": dep["property"], "value": _value(cid, dep["property"], aim, pathname)}
    items = []
    for i in aim.ids:
        concrete = {k: (i if isinstance(v, list) else v) for k, v in cid.items()}
        value = concrete if dep["property"] == "id" else _value(concrete, dep["property"], aim, pathname)
        items.append({"id": concrete, "property": dep["property"], "value": value})
    return items


def _outputs(key: str) -> list[dict]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outs = []
    for part in parts:
        cid, prop = re.match(r"^(.*)\.([^.]+?)(?:@[0-9a-f]+)?$", part).groups()
        cid = json.loads(cid) if cid.startswith("{") else cid.replace("\\.", ".")
        outs.append({"id": cid, "property": prop})
    return outs


def callback_bodies(app, aim: Aim) -> list[tuple[str, dict]]:
    """(key, request body) for every server-side callback; the router once per page."""
    bodies = []
    for key, cb in app.callback_map.items():
        if not cb.get("callback"):
            continue
        paths = list(PAGES) + ["/qr"] if any(i["property"] == "pathname" for i in cb["inputs"]) else ["/overview"]
        for pathname in paths:
            inputs = [_wildcard(i, aim, pathname) for i in cb["inputs"]]
            first = inputs[0] if isinstance(inputs[0], dict) else inputs[0][0]
            changed = (json.dumps(first["id"], separators=(",", ":")) if isinstance(first["id"], dict)
                       else first["id"]) + "." + first["property"]
            outs = _outputs(key)
            bodies.append((key, {"output": key, "outputs": outs if len(outs) > 1 else outs[0], "inputs": inputs,
                                 "state": [_wildcard(s, aim, pathname) for s in cb["state"]],
                                 "changedPropIds": [changed]}))
    return bodies


def readable(body: bytes) -> str:
    """The text of a response: an .xlsx (a zip) read member by member."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return body.decode("utf-8", "replace")


def schema_digest(rt) -> dict[str, str]:
    """{table: md5 of its rows} for every table of the region's schema (its own role reads them)."""
    with rt.connection() as conn:
        tables = db.rows(conn, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                               "ORDER BY tablename")
        out = {}
        for t in tables:
            name = t["tablename"]
            out[name] = db.scalar(conn, f'SELECT md5(coalesce(string_agg(x::text, \'|\' ORDER BY x::text), \'\')) '
                                        f'FROM "{name}" x')
        return out
