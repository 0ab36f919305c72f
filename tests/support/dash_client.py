"""Drive the Dash app through Flask's test client: log in, call callbacks, download."""
from __future__ import annotations

import json
import re

from tests.support.city import PASSWORD

# the administration pages' server-side callbacks (by first input), each tested for scope
ADMIN_CALLBACKS = {"lv-approve", "dv-search", "dv-reset", "ev-save", "ev-id", "ev-tick", "qr-tick", "mn-save",
                   "mn-document", "au-actor", "tm-sync", "fc-show", "fc-upload", "fc-enrol",
                   "rv-selected", "rv-sah", "rv-month", "us-password"}
# pattern-matched callbacks (one button per table row), tested for scope in their own files
ROW_CALLBACKS = {'{"index":["ALL"],"type":"lv-row-approve"}',   # test_leave_row_buttons
                 '{"index":["ALL"],"type":"rv-open"}'}          # test_review_dashboard


class DashClient:
    def __init__(self, app):
        self.app = app
        self.http = app.server.test_client()

    def csrf(self) -> str:
        cookie = self.http.get_cookie("_csrf_token")
        if cookie is None:
            self.http.get("/login")
            cookie = self.http.get_cookie("_csrf_token")
        return cookie.value

    def login(self, username: str, password: str, next_path: str | None = None, environ_base=None):
        page = self.http.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        url = "/login" + (f"?next={next_path}" if next_path else "")
        return self.http.post(url, data={"csrf_token": token, "username": username, "password": password},
                              environ_base=environ_base or {})

    def output_key(self, input_id: str) -> str:
        """The registered output key of the callback fed by `input_id` (allow_duplicate adds a hash)."""
        for key, cb in self.app.callback_map.items():
            if any(i["id"] == input_id for i in cb["inputs"]):
                return key
        raise KeyError(input_id)

    def callback(self, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
                 state: list[tuple[str, str, object]] = (), changed: str | None = None, key: str | None = None):
        """POST one callback; returns (status, {output_id: {prop: value}})."""
        outs = [{"id": i, "property": p} for i, p in outputs]
        body = {
            "output": key or "...".join(f"{i}.{p}" for i, p in outputs),
            "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
        }
        if len(outs) > 1 and not key:
            body["output"] = ".." + body["output"] + ".."
        res = self.http.post("/_dash-update-component", data=json.dumps(body),
                             headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf()})
        if res.status_code != 200:
            return res.status_code, {"_body": res.get_data(as_text=True)[:300]}
        return 200, res.get_json()["response"]

    def page(self, pathname: str, search: str = ""):
        """The router's rendering of a URL, as JSON text (for assertions on content)."""
        status, out = self.callback([("page", "children")], [("url", "pathname", pathname), ("url", "search", search)])
        return status, json.dumps(out)


def logged_in(app, username: str | None = None) -> DashClient:
    """A client of the Dash app, logged in as `username` (with the seeded city's password)."""
    c = DashClient(app)
    if username:
        res = c.login(username, PASSWORD)
        assert res.status_code == 302, res.get_data(as_text=True)[:500]
    return c
