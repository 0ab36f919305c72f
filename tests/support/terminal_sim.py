"""A ZKTeco-style terminal for the tests, written from the PUSH protocol description only
(it imports nothing from the server): handshake, heartbeat, ATTLOG uploads with a stamp,
lost replies, reboots, command results.

Protocol, as terminals speak it:
- `GET /iclock/cdata?SN=<sn>&options=all&pushver=<v>&language=<n>`: the reply starts with
  `GET OPTION FROM: <sn>` followed by `Key=Value` option lines.
- `POST /iclock/cdata?SN=<sn>&table=ATTLOG&Stamp=<n>`: one record per line, fields separated
  by tabs: PIN, `YYYY-MM-DD HH:MM:SS` (terminal clock), status, verify, workcode, reserved...
  The reply is `OK:<n>`; without it the terminal sends the same records again later.
- `GET /iclock/getrequest?SN=<sn>[&INFO=...]`: `OK`, or one `C:<id>:<command>` per line.
- `POST /iclock/devicecmd?SN=<sn>`: `ID=<id>&Return=<code>&CMD=<command>` per line.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import httpx


@dataclass
class Record:
    pin: str
    at: dt.datetime       # the terminal's local wall-clock time (naive)
    status: int = 0       # 0 check-in, 1 check-out
    verify: int = 1       # 1 fingerprint


@dataclass
class Terminal:
    client: httpx.Client
    sn: str
    pushver: str = "2.4.1"
    fields: int = 6               # fields per ATTLOG line (4 .. 10+)
    newline: str = "\n"
    content_type: str | None = None
    firmware: str = "Ver 6.60 Apr 28 2017"
    log: list[Record] = field(default_factory=list)
    sent: int = 0                 # how many records the server acknowledged (the stamp)
    options: dict[str, str] = field(default_factory=dict)

    # --- requests -------------------------------------------------------------------------
    def handshake(self) -> httpx.Response:
        r = self.client.get("/iclock/cdata", params={"SN": self.sn, "options": "all",
                                                     "pushver": self.pushver, "language": "69"})
        lines = r.text.splitlines()
        if r.status_code == 200 and lines and lines[0] == f"GET OPTION FROM: {self.sn}":
            self.options = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
        return r

    def heartbeat(self) -> list[tuple[int, str]]:
        info = f"{self.firmware},3,3,{len(self.log)},192.168.1.201,10,7,0,0,111"
        r = self.client.get("/iclock/getrequest", params={"SN": self.sn, "INFO": info})
        r.raise_for_status()
        if r.text.strip() == "OK":
            return []
        out = []
        for line in r.text.splitlines():
            if line.startswith("C:"):
                _, cid, command = line.split(":", 2)
                out.append((int(cid), command))
        return out

    def report(self, results: list[tuple[int, int, str]]) -> httpx.Response:
        body = "\n".join(f"ID={cid}&Return={code}&CMD={cmd}" for cid, code, cmd in results) + "\n"
        return self.client.post("/iclock/devicecmd", params={"SN": self.sn}, content=body.encode())

    def line(self, rec: Record) -> str:
        base = [rec.pin, rec.at.strftime("%Y-%m-%d %H:%M:%S"), str(rec.status), str(rec.verify), "0"]
        base += ["0"] * max(0, self.fields - len(base))
        return "\t".join(base[:self.fields])

    def post_lines(self, lines: list[str], stamp: int | None = None) -> httpx.Response:
        """One upload; Stamp marks the newest record in it (the server hands it back at handshake)."""
        headers = {"Content-Type": self.content_type} if self.content_type else {}
        body = self.newline.join(lines) + self.newline
        request = self.client.build_request(
            "POST", "/iclock/cdata", params={"SN": self.sn, "table": "ATTLOG",
                                            "Stamp": str(self.sent + len(lines) if stamp is None else stamp)},
            content=body.encode(), headers=headers)
        if not self.content_type:
            request.headers.pop("Content-Type", None)
        return self.client.send(request)

    # --- behaviour --------------------------------------------------------------------------
    def punch(self, pin: str, at: dt.datetime, status: int = 0, realtime: bool = True) -> httpx.Response | None:
        self.log.append(Record(pin, at, status))
        return self.upload() if realtime else None

    def upload(self, chunk: int = 500, lose_reply: bool = False) -> httpx.Response | None:
        """Send what the server has not acknowledged; a lost reply leaves the stamp where it was."""
        last = None
        while self.sent < len(self.log):
            batch = self.log[self.sent:self.sent + chunk]
            last = self.post_lines([self.line(r) for r in batch])
            if lose_reply:
                return last          # the server stored them; the terminal never heard
            if last.status_code != 200 or not last.text.startswith("OK"):
                return last
            self.sent += len(batch)
        return last

    def reboot(self) -> httpx.Response | None:
        """Firmware that forgets its stamp: handshake again, then send everything it holds."""
        self.sent = 0
        self.handshake()
        return self.upload(chunk=len(self.log) or 1)
