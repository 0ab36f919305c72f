"""The terminal side of ZKTeco's binary protocol over TCP (port 4370), for the pull tests.

Written from the protocol's public descriptions (the "zk-protocol" notes: packet layout,
command codes, the buffered read); it imports nothing from the server or from pyzk.

On the wire, every packet is a TCP frame `50 50 82 7d`, a little-endian uint32 with the
length of what follows, then an 8-byte header (command, checksum, session id, reply id,
all uint16 LE) and the command's data. The checksum is the one's-complement of the 16-bit
word sum of header (checksum field 0) and data. A reply carries the reply code, the
session id and the request's reply id (requests' checksums are not checked).

What a puller does, and what this terminal answers:
- CONNECT (1000): ACK_OK, or ACK_UNAUTH (2005) when a comm key is set; the header carries
  the new session id. AUTH (1102): the comm key scrambled with the session id (below);
  ACK_OK if it matches, else ACK_UNAUTH. EXIT (1001): ACK_OK, then the line is closed.
- DISABLEDEVICE (1003) / ENABLEDEVICE (1002), GET_VERSION (1100), OPTIONS_RRQ (11, e.g.
  `~SerialNumber`), GET_TIME (201), GET_FREE_SIZES (50: counts of users and records).
- Buffered reads: PREPARE_BUFFER (1503, data `<b h i i>`: 1, the read command - 13
  ATTLOG_RRQ or 9 USERTEMP_RRQ - and two parameters) is answered ACK_OK with the size of
  the prepared buffer at bytes 1..4; READ_BUFFER (1504, data `<i i>`: start, size) is
  answered with PREPARE_DATA (1500, the size), one DATA (1501) packet with the bytes, then
  ACK_OK; FREE_DATA (1502) releases the buffer. A buffer is a uint32 total size then the
  records: attendance 40 bytes each (uid H, user id 24s, verify B, time 4s, state B, 8
  spare), users 72 bytes each (uid H, privilege B, password 8s, name 24s, card I, pad,
  group 7s, pad, user id 24s).
- CLEAR_ATTLOG (15): the log is emptied (recorded in `commands`).
Times are seconds counted in 31-day months and 12-month years from 2000-01-01.

`commands`, `attlog_reads`, `dropped` and a `journal` shared by several terminals tell a
test what happened on the line. Faults: `drop_reads=n` closes the connection in the middle of the next n attendance
reads (half of the DATA packet sent); `slow_s` waits before every reply and sends data
in small pieces with the same wait between them.
"""
from __future__ import annotations

import datetime as dt
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

CONNECT, EXIT, ENABLE, DISABLE, VERSION, AUTH = 1000, 1001, 1002, 1003, 1100, 1102
OPTIONS_RRQ, FREE_SIZES, GET_TIME, CLEAR_ATTLOG = 11, 50, 201, 15
ATTLOG_RRQ, USERTEMP_RRQ = 13, 9
PREPARE_BUFFER, READ_BUFFER, FREE_DATA = 1503, 1504, 1502
PREPARE_DATA, DATA = 1500, 1501
ACK_OK, ACK_ERROR, ACK_UNAUTH, ACK_UNKNOWN = 2000, 2001, 2005, 0xFFFF
MAGIC = b"\x50\x50\x82\x7d"


def checksum(packet: bytes) -> int:
    if len(packet) % 2:
        packet += b"\x00"
    total = sum(struct.unpack(f"<{len(packet) // 2}H", packet))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def packet(command: int, session: int, reply_id: int, data: bytes = b"") -> bytes:
    """One TCP frame: magic, length, header with checksum, data."""
    bare = struct.pack("<4H", command, 0, session, reply_id) + data
    body = struct.pack("<4H", command, checksum(bare), session, reply_id) + data
    return MAGIC + struct.pack("<I", len(body)) + body


def encode_time(t: dt.datetime) -> int:
    return ((((t.year - 2000) * 12 + t.month - 1) * 31 + t.day - 1) * 86400
            + t.hour * 3600 + t.minute * 60 + t.second)


def comm_key(key: int, session: int, ticks: int) -> bytes:
    """The AUTH data: the key's 32 bits reversed plus the session id, XOR "ZKSO", its two
    16-bit halves swapped, then bytes 0, 1, 3 XOR `ticks` and byte 2 set to `ticks`."""
    reversed_key = int(f"{key & 0xFFFFFFFF:032b}"[::-1], 2)
    k = bytes(b ^ m for b, m in zip(struct.pack("<I", (reversed_key + session) & 0xFFFFFFFF), b"ZKSO"))
    k = k[2:] + k[:2]
    return bytes([k[0] ^ ticks, k[1] ^ ticks, ticks, k[3] ^ ticks])


@dataclass
class Punch:
    user_id: str
    at: dt.datetime          # the terminal's wall clock
    state: int = 0           # 0 check-in, 1 check-out
    verify: int = 1          # 1 fingerprint


@dataclass
class ZKTerminal:
    """A terminal listening on 127.0.0.1 (port chosen by the system) until `stop()`."""

    serial: str
    punches: list[Punch] = field(default_factory=list)
    key: int = 0                         # the comm key; 0: no AUTH asked
    clock: dt.datetime | None = None     # the terminal's time (None: now, naive)
    drop_reads: int = 0
    slow_s: float = 0.0
    commands: list[int] = field(default_factory=list)     # every command received, in order
    attlog_reads: int = 0                                 # attendance reads answered in full
    dropped: int = 0
    journal: list | None = None   # shared by several terminals: (serial, "read" | "closed") in order

    def start(self) -> "ZKTerminal":
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._stopping = False
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._listener.close()

    def closed(self, wait_s: float = 30) -> bool:
        """Whether a puller's connection has ended (waiting for it up to `wait_s`)."""
        return self._closed.wait(wait_s)

    def __enter__(self) -> "ZKTerminal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the line -----------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        session = {"id": 0, "authed": False, "buffer": b"", "attlog": False}
        served = False
        try:
            with conn:
                while not self._stopping:
                    request = self._receive(conn)
                    if request is None:
                        return          # the puller hung up (or only tested the port)
                    command, reply_id, data = request
                    served = True
                    with self._lock:
                        self.commands.append(command)
                    if not self._answer(conn, session, command, reply_id, data):
                        return
        except OSError:
            return                      # the puller cut the line while we were answering
        finally:
            if served:
                self._note("closed")
                self._closed.set()

    def _note(self, what: str) -> None:
        if self.journal is not None:
            self.journal.append((self.serial, what))

    @staticmethod
    def _exactly(conn: socket.socket, n: int) -> bytes | None:
        out = b""
        while len(out) < n:
            part = conn.recv(n - len(out))
            if not part:
                return None
            out += part
        return out

    def _receive(self, conn) -> tuple[int, int, bytes] | None:
        top = self._exactly(conn, 8)
        if top is None or top[:4] != MAGIC:
            return None
        body = self._exactly(conn, struct.unpack("<I", top[4:])[0])
        if body is None or len(body) < 8:
            return None
        # the request's checksum is not checked: terminals in the field accept pyzk's, which
        # is one below the one's-complement sum
        command, _check, _session, reply_id = struct.unpack("<4H", body[:8])
        return command, reply_id, body[8:]

    def _send(self, conn, frame: bytes) -> None:
        if not self.slow_s:
            conn.sendall(frame)
            return
        for i in range(0, len(frame), 256):
            time.sleep(self.slow_s)
            conn.sendall(frame[i:i + 256])

    # --- the commands -----------------------------------------------------------------------------
    def _answer(self, conn, s: dict, command: int, reply_id: int, data: bytes) -> bool:
        """Reply to one request; False when the line is to be closed."""
        def reply(code: int, payload: bytes = b"") -> None:
            self._send(conn, packet(code, s["id"], reply_id, payload))

        if command == CONNECT:
            s["id"] = (id(conn) ^ int(time.monotonic() * 1000)) & 0x7FFF or 1
            s["authed"] = self.key == 0
            reply(ACK_OK if s["authed"] else ACK_UNAUTH)
            return True
        if command == AUTH:
            s["authed"] = len(data) == 4 and data == comm_key(self.key, s["id"], data[2])
            reply(ACK_OK if s["authed"] else ACK_UNAUTH)
            return True
        if not s["authed"]:
            reply(ACK_UNAUTH)
            return True
        if command == EXIT:
            reply(ACK_OK)
            return False
        if command in (ENABLE, DISABLE, FREE_DATA):
            reply(ACK_OK)
        elif command == VERSION:
            reply(ACK_OK, b"Ver 6.60 Sim 2026\x00")
        elif command == OPTIONS_RRQ:
            name = data.split(b"\x00")[0].decode()
            value = self.serial if name == "~SerialNumber" else ""
            reply(ACK_OK, f"{name}={value}\x00".encode())
        elif command == GET_TIME:
            reply(ACK_OK, struct.pack("<I", encode_time(self.clock or dt.datetime.now().replace(microsecond=0))))
        elif command == FREE_SIZES:
            counts = [0] * 20
            counts[4], counts[8] = len(self._users()), len(self.punches)
            counts[15], counts[16] = 3000, 100000
            reply(ACK_OK, struct.pack("<20i", *counts) + struct.pack("<3i", 0, 0, 0))
        elif command == CLEAR_ATTLOG:
            with self._lock:
                self.punches.clear()
            reply(ACK_OK)
        elif command == PREPARE_BUFFER:
            _, what, _fct, _ext = struct.unpack("<bhii", data[:11])
            records = self._attlog() if what == ATTLOG_RRQ else self._user_table() if what == USERTEMP_RRQ \
                else None
            if records is None:
                reply(ACK_ERROR)
                return True
            s["buffer"], s["attlog"] = struct.pack("<I", len(records)) + records, what == ATTLOG_RRQ
            reply(ACK_OK, b"\x00" + struct.pack("<I", len(s["buffer"])) + b"\x00" * 4)
        elif command == READ_BUFFER:
            start, size = struct.unpack("<ii", data[:8])
            chunk = s["buffer"][start:start + size]
            reply(PREPARE_DATA, struct.pack("<I", len(chunk)) + b"\x00" * 4)
            frame = packet(DATA, s["id"], reply_id, chunk)
            if s["attlog"] and self.drop_reads > 0:
                self.drop_reads -= 1
                self.dropped += 1
                conn.sendall(frame[:len(frame) // 2])
                conn.shutdown(socket.SHUT_RDWR)      # the cable pulled mid-read
                return False
            self._send(conn, frame)
            reply(ACK_OK)
            if s["attlog"] and start + size >= len(s["buffer"]):
                self.attlog_reads += 1
                self._note("read")
        else:
            reply(ACK_UNKNOWN)
        return True

    def _users(self) -> list[str]:
        return sorted({p.user_id for p in self.punches})

    def _user_table(self) -> bytes:
        return b"".join(struct.pack("<HB8s24sIx7sx24s", uid, 0, b"", f"User {u}".encode(), 0, b"1", u.encode())
                        for uid, u in enumerate(self._users(), 1))

    def _attlog(self) -> bytes:
        uids = {u: n for n, u in enumerate(self._users(), 1)}
        with self._lock:
            punches = list(self.punches)
        return b"".join(struct.pack("<H24sB4sB8s", uids[p.user_id], p.user_id.encode(), p.verify,
                                    struct.pack("<I", encode_time(p.at)), p.state, b"")
                        for p in punches)
