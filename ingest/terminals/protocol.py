"""ZKTeco PUSH protocol (ADMS / iclock): what terminals send and what they expect back. Pure.

Terminals speak a line-oriented text protocol over HTTP:
- handshake `GET /iclock/cdata?SN=..&options=all` -> `GET OPTION FROM: <SN>` + option lines;
- `POST /iclock/cdata?SN=..&table=ATTLOG` with one tab-separated record per line:
  PIN, local `YYYY-MM-DD HH:MM:SS`, status, verify, workcode, reserved... (4 to 10+ fields);
- heartbeat `GET /iclock/getrequest?SN=..` -> `OK` or `C:<id>:<command>` lines;
- `POST /iclock/devicecmd` -> `ID=..&Return=..&CMD=..` lines with the commands' results.
Firmware varies: LF or CRLF, spaces around fields, no Content-Type, any number of fields.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

PIN_MAX = 24
_PIN = re.compile(r"^[0-9A-Za-z_.-]{1,%d}$" % PIN_MAX)
_SN = re.compile(r"^[0-9A-Za-z_.:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class AttLog:
    """One attendance record as the terminal wrote it (its own wall clock, no zone)."""

    pin: str
    local_time: dt.datetime  # naive: the terminal's clock
    punch_state: str | None
    verify: str | None
    workcode: str | None
    raw: str

    @property
    def local_text(self) -> str:
        return self.local_time.isoformat(" ", "seconds")    # YYYY-MM-DD HH:MM:SS, faster than strftime


RAW_KEPT = 1024     # characters of a rejected line kept: enough to see what it was, bounded

# Why a line is not an ATTLOG record (BadLine.code); the admin page words them in Indonesian.
NOT_A_RECORD = ("binary", "fields", "pin_empty", "pin_invalid", "time_invalid")


@dataclass(frozen=True, slots=True)
class BadLine:
    raw: str
    reason: str
    line_no: int
    code: str

    def __post_init__(self):
        # kept as text in Postgres, which refuses NUL characters
        object.__setattr__(self, "raw", self.raw.replace("\x00", "\\0"))

    @property
    def kept(self) -> str:
        """What is stored of the line: its first RAW_KEPT characters."""
        return self.raw[:RAW_KEPT]

    @property
    def line_hash(self) -> str:
        # of the whole line: two long lines alike in their first KB are still two lines
        return hashlib.md5(self.raw.encode("utf-8", "replace")).hexdigest()


def valid_sn(sn: str | None) -> bool:
    return bool(sn) and bool(_SN.match(sn))


def decode(body: bytes | str) -> str:
    """Text of a body: UTF-8 where it is, Latin-1 for the odd OEM byte (never fails)."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def parse_time(text: str) -> dt.datetime | None:
    """`YYYY-MM-DD HH:MM:SS` (also `/` separators, `T`, or no seconds); None when not a time."""
    text = text.strip().replace("/", "-")
    if not 16 <= len(text) <= 19 or not text[:4].isdigit():
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is None else None


def parse_attlog_line(raw: str, line_no: int = 1) -> AttLog | BadLine:
    fields = [f.strip() for f in raw.split("\t")]
    if "\x00" in raw:
        return BadLine(raw, "binary data in the line (not an ATTLOG record)", line_no, "binary")
    if len(fields) < 2:
        return BadLine(raw, f"{len(fields)} field(s): an ATTLOG line needs at least PIN and time, tab-separated",
                       line_no, "fields")
    pin, when = fields[0], fields[1]
    if not pin:
        return BadLine(raw, "PIN is empty", line_no, "pin_empty")
    if not _PIN.match(pin):
        return BadLine(raw, f"PIN {pin[:40]!r} is not 1-{PIN_MAX} letters or digits", line_no, "pin_invalid")
    local = parse_time(when)
    if local is None:
        return BadLine(raw, f"time {when[:40]!r} is not YYYY-MM-DD HH:MM:SS", line_no, "time_invalid")
    extra = fields[2:] + [None, None, None]
    return AttLog(pin, local.replace(microsecond=0), extra[0] or None, extra[1] or None, extra[2] or None,
                  raw.strip())


def parse_attlog(body: bytes | str) -> tuple[list[AttLog], list[BadLine]]:
    """Every line of an ATTLOG body: the records, and the lines that are not records."""
    text = decode(body)
    records: list[AttLog] = []
    bad: list[BadLine] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parsed = parse_attlog_line(line, n)
        (records if isinstance(parsed, AttLog) else bad).append(parsed)
    return records, bad


# --- OPERLOG and other uploaded tables -----------------------------------------------------

# Lines whose payload is a biometric template or picture: kept as kind + PIN + digest only.
BIOMETRIC_KINDS = {"FP", "FACE", "BIODATA", "USERPIC", "BIOPHOTO", "FVEIN", "TMP"}


@dataclass(frozen=True, slots=True)
class OperLine:
    kind: str
    pin: str | None
    content: str
    line_hash: str


def parse_operlog(body: bytes | str) -> list[OperLine]:
    text = decode(body)
    out = []
    for line in text.splitlines():
        line = line.strip().replace("\x00", "")
        if not line:
            continue
        head, _, rest = line.partition(" ")
        kind = head.upper() if head.isalpha() else "LINE"
        pin = None
        for part in re.split(r"[\t ]", rest if kind != "LINE" else line):
            key, eq, value = part.partition("=")
            if eq and key.upper() == "PIN":
                pin = value.strip()[:PIN_MAX] or None
                break
        digest = hashlib.md5(line.encode("utf-8", "replace")).hexdigest()
        content = f"{kind} PIN={pin} sha1={hashlib.sha1(line.encode()).hexdigest()}" \
            if kind in BIOMETRIC_KINDS else line[:2000]
        out.append(OperLine(kind, pin, content, digest))
    return out


@dataclass(frozen=True, slots=True)
class Photo:
    filename: str
    pin: str | None
    size: int
    sha256: str


def parse_photo(body: bytes, query_pin: str | None = None) -> Photo:
    """ATTPHOTO: `PIN=<file>.jpg\\nSN=..\\nsize=..\\nCMD=uploadphoto\\0<jpeg>` (header varies)."""
    head, sep, picture = body.partition(b"\x00")
    if not sep:
        head, picture = b"", body
    fields = {}
    for line in decode(head).splitlines():
        key, eq, value = line.partition("=")
        if eq:
            fields[key.strip().lower()] = value.strip()
    filename = (fields.get("pin") or query_pin or "").strip()[:120] or \
        hashlib.sha256(picture).hexdigest()[:16] + ".jpg"
    pin = filename.rsplit(".", 1)[0].rpartition("-")[2] or None
    return Photo(filename, pin[:PIN_MAX] if pin else None, len(picture), hashlib.sha256(picture).hexdigest())


# --- heartbeat, INFO and commands --------------------------------------------------------------

INFO_FIELDS = ("firmware", "users", "fingerprints", "attlogs", "ip", "fp_version", "face_version",
               "face_templates", "faces", "functions")


def parse_info(info: str | None) -> dict:
    """The getrequest INFO parameter: `firmware,users,fingerprints,attlogs,ip,...`."""
    if not info:
        return {}
    parts = [p.strip() for p in info.split(",")]
    return {name: value for name, value in zip(INFO_FIELDS, parts) if value}


@dataclass(frozen=True, slots=True)
class CommandResult:
    id: int
    code: int | None
    command: str
    data: str


def parse_command_results(body: bytes | str) -> list[CommandResult]:
    """`ID=12&Return=0&CMD=DATA` lines; lines without ID= belong to the result above (INFO data)."""
    text = decode(body)
    out: list[CommandResult] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = {k.strip().upper(): v for k, v in parse_qsl(line.strip(), keep_blank_values=True)} \
            if "ID=" in line.upper() and "&" in line else {}
        if "ID" in fields and fields["ID"].strip().isdigit():
            code = fields.get("RETURN", "").strip()
            out.append(CommandResult(int(fields["ID"]), int(code) if re.fullmatch(r"-?\d+", code) else None,
                                     fields.get("CMD", "").strip(), ""))
        elif out:
            prev = out[-1]
            out[-1] = CommandResult(prev.id, prev.code, prev.command, (prev.data + line.strip() + "\n")[:4000])
    return out


def device_time(data: str) -> dt.datetime | None:
    """A terminal time in an INFO result (`DateTime=..`/`Time=..`), when the firmware reports one."""
    for line in data.replace("\t", "\n").splitlines():
        key, eq, value = line.lstrip("~").partition("=")
        if eq and key.strip().lower() in ("datetime", "time", "devtime"):
            return parse_time(value)
    return None


def zk_encode_time(local: dt.datetime) -> int:
    """ZKTeco's packed local time for `SET OPTIONS DateTime=`: every month counts 31 days
    (a packed field, not an epoch count); the PUSH spec's example 2018-02-22 14:54:54 is 583080894."""
    return ((((local.year % 100) * 12 * 31 + (local.month - 1) * 31 + local.day - 1) * 24 * 60 * 60)
            + (local.hour * 60 + local.minute) * 60 + local.second)


COMMANDS = {
    # "OPTIONS", as in the PUSH spec's example `C:401:SET OPTIONS DateTime=583080894`; the
    # value is rendered when sent, in the terminal's own clock zone
    "time_sync": "SET OPTIONS DateTime=",
    "reboot": "REBOOT",
    "query_users": "DATA QUERY USERINFO",
    "info": "INFO",
    "check": "CHECK",
}


def wire_command(command_id: int, kind: str, command: str, terminal_now: dt.datetime) -> str:
    if kind == "time_sync":
        command = f"{COMMANDS['time_sync']}{zk_encode_time(terminal_now)}"
    return f"C:{command_id}:{command}"


def commands_reply(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else "OK"


# --- handshake ---------------------------------------------------------------------------------

TRANS_FLAG = "TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic"


def handshake_reply(sn: str, *, attlog_stamp: str | None, operlog_stamp: str | None,
                    timezone_hours: float, delay_s: int, error_delay_s: int, trans_interval_min: int,
                    realtime: bool = True) -> str:
    tz = f"{timezone_hours:g}"
    lines = [
        f"GET OPTION FROM: {sn}",
        f"ATTLOGStamp={attlog_stamp or 'None'}",
        f"OPERLOGStamp={operlog_stamp or '9999'}",
        "ATTPHOTOStamp=None",
        f"ErrorDelay={error_delay_s}",
        f"Delay={delay_s}",
        "TransTimes=00:00;14:05",
        f"TransInterval={trans_interval_min}",
        f"TransFlag={TRANS_FLAG}",
        f"TimeZone={tz}",
        f"Realtime={1 if realtime else 0}",
        "Encrypt=None",
    ]
    return "\n".join(lines) + "\n"
