"""/admin/terminals: the fingerprint terminals' health (ingest.terminals.registry.health).

BKPP sees every terminal and may queue a time sync (audit-logged there); the regional head
and the sekda read the same list; a kepala_unit reads only the terminals of offices in
their unit's subtree, without the region's backlog.
"""
from __future__ import annotations

from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from ingest.terminals import registry
from foundation.config import zone_label

from .. import data
from ..data import admin as admin_data
from .admin_common import BKPP, TERMINAL_ROLES, actor, admin_viewer, done, table, unit_codes
from .common import dropdown, nothing, text

HEALTH_LABELS = {"online": "Terhubung", "silent": "Senyap", "clock_drift": "Jam bergeser",
                 "pending": "Menunggu persetujuan", "retired": "Pensiun"}
# why a line a terminal sent was kept as rejected (protocol.NOT_A_RECORD, registry.rejection_code)
REJECTION_LABELS = {"binary": "Data biner, bukan baris presensi",
                    "fields": "Kolom kurang: perlu PIN dan waktu yang dipisah tab",
                    "pin_empty": "PIN kosong",
                    "pin_invalid": "PIN tidak sah (harus 1–24 huruf atau angka)",
                    "time_invalid": "Waktu tidak terbaca (bukan TTTT-BB-HH JJ:MM:DD)",
                    "time_future": "Waktu di masa depan (jam mesin salah)",
                    "time_too_old": "Waktu terlalu lama (jam mesin tereset)",
                    "unusable": "Tidak dapat dipakai"}
VIA_LABELS = {"push": "Kirim langsung", "pull": "Tarik (TCP 4370)", "file": "Berkas USB"}
SHOWN_CHARS = 80


def report(viewer) -> dict:
    """registry.health cut to what the viewer may see: their units' offices, or everything."""
    found = admin_data.terminal_health()
    units = unit_codes(viewer)
    if units is None:
        return found
    listed = [t for t in found["terminals"] if t["unit_code"] in units]
    counts = {k: sum(t["health"] == k for t in listed) for k in HEALTH_LABELS}
    return {"terminals": listed, "counts": counts, "silent": counts["silent"], "backlog": None}


def _when(config, terminal: dict, value) -> str:
    if value is None:
        return "–"
    zone = registry.office_zone(config, terminal)
    return f"{value.astimezone(zone):%d/%m/%Y %H.%M} {zone_label(zone.key)}"


def _drift(value) -> str:
    return "–" if value is None else f"{value:+.0f}"


def _summary(found: dict, config) -> html.Div:
    counts = " · ".join(f"{label}: {found['counts'].get(k, 0)}" for k, label in HEALTH_LABELS.items())
    parts = [html.P(counts, id="tm-counts")]
    backlog = found["backlog"]
    if backlog is not None:
        since = f" sejak {backlog['oldest'].astimezone(config.zone):%d/%m/%Y %H.%M}" if backlog["oldest"] else ""
        parts.append(html.P(f"Baris log tersimpan belum diterapkan: {backlog['lines']}{since}",
                            id="tm-backlog", className="muted"))
    return html.Div(parts)


def _list(viewer):
    config = data.runtime().config
    found = report(viewer)
    body = [[t["sn"], t["office_name"] or t["office_code"] or "–", t["unit_code"] or "–",
             HEALTH_LABELS.get(t["health"], t["health"]), _when(config, t, t["last_heartbeat_at"]),
             _when(config, t, t["last_log_at"]), _drift(t["clock_drift_s"]), t["firmware"] or "–",
             t["open_commands"], t["unmatched"]] for t in found["terminals"]]
    listed = (table(["SN", "Kantor", "Unit", "Status", "Detak terakhir", "Log terakhir", "Selisih jam (detik)",
                     "Firmware", "Perintah tertunda", "Baris PIN tak dikenal"], body, "tm-table", "terminal-row")
              if body else html.P("Tidak ada mesin presensi.", className="muted", id="tm-empty"))
    return html.Div([_summary(found, config), listed, _unmatched(viewer, found), _rejected(viewer, found, config)])


def _shown(raw: str, length: int) -> str:
    """The start of a rejected line, control characters as '·', and its length when cut."""
    text = "".join(c if c.isprintable() else "·" for c in raw[:SHOWN_CHARS])
    return text if length <= SHOWN_CHARS else f"{text}… ({length:,} karakter)".replace(",", ".")


def _rejected(viewer, found: dict, config) -> html.Div:
    """Lines a terminal sent (and was told OK about) that cannot be used: kept, with why."""
    sns = None if unit_codes(viewer) is None else [t["sn"] for t in found["terminals"]]
    rejected = admin_data.rejected_lines(sns)
    head = html.H3(f"Baris ditolak: {rejected['total']:,}".replace(",", "."), id="tm-rejected-total")
    if not rejected["total"]:
        return html.Div([head, html.P("Tidak ada baris yang ditolak.", className="muted")])
    body = [[r["sn"], f"{r['received_at'].astimezone(config.zone):%d/%m/%Y %H.%M}", _shown(r["raw"], r["raw_length"]),
             REJECTION_LABELS.get(r["code"], REJECTION_LABELS["unusable"]), VIA_LABELS.get(r["via"], r["via"])]
            for r in rejected["lines"]]
    return html.Div([head, html.P("Baris ini disimpan apa adanya (paling banyak 1 KB per baris) dan tidak "
                                  "dihitung sebagai presensi.", className="muted"),
                     table(["SN", "Diterima", "Isi baris", "Alasan", "Jalur"], body, "tm-rejected", "rejected-row")])


def _unmatched(viewer, found: dict) -> html.Div:
    """The PINs no active employee has: their punches wait until BKPP maps the PIN to a NIP."""
    total = sum(t["unmatched"] for t in found["terminals"])
    head = html.H3(f"Baris dengan PIN tak dikenal: {total:,}".replace(",", "."), id="tm-unmatched-total")
    if not total:
        return html.Div([head, html.P("Semua baris log cocok dengan pegawai aktif.", className="muted")])
    sns = None if unit_codes(viewer) is None else [t["sn"] for t in found["terminals"]]
    body = [[r["sn"], r["pin"], r["lines"], f"{r['first']:%d/%m/%Y %H.%M}", f"{r['last']:%d/%m/%Y %H.%M}",
             r["terminal_user"] or "–"] for r in admin_data.unmatched_lines(sns)]
    return html.Div([head, html.P("Isi kolom PIN pegawai (impor pegawai) agar baris ini diterapkan.",
                                  className="muted"),
                     table(["SN", "PIN", "Baris", "Pertama", "Terakhir", "Nama di mesin"], body,
                           "tm-unmatched", "unmatched-row")])


def layout(viewer, params: dict):
    viewer = admin_viewer(TERMINAL_ROLES)
    if viewer is None:
        return nothing()
    parts = [html.H2("Mesin presensi"), html.Div(_list(viewer), id="tm-list")]
    if viewer.role in BKPP:
        sns = admin_data.active_terminal_sns()
        parts += [html.H3("Sinkronkan jam mesin"), html.Div([
            dropdown("tm-sn", sns, placeholder="Pilih SN mesin", className="filter wide"),
            html.Button("Sinkronkan jam", id="tm-sync", className="button primary"),
        ], className="filters"), html.Div(id="tm-result")]
    return html.Div(parts)


def sync(sn: str):
    """Queue a time sync for `sn`, as the page shows the outcome."""
    if not sn:
        return html.Div("Pilih mesin. / Choose a terminal (SN).", className="error", id="refusal")
    try:
        command_id = registry.queue_time_sync(data.runtime(), sn, actor=actor())
    except registry.TerminalError as exc:
        return html.Div(["Sinkronisasi jam tidak dapat diantrekan. / ", str(exc)], className="error", id="refusal")
    return done(f"Sinkronisasi jam untuk {sn} diantrekan (perintah {command_id}); "
                "dikirim pada detak berikutnya mesin.")


def register(app) -> None:
    @app.callback(Output("tm-result", "children"), Output("tm-list", "children"),
                  Input("tm-sync", "n_clicks"), State("tm-sn", "value"), prevent_initial_call=True)
    def _sync(_, sn):
        viewer = admin_viewer(BKPP)
        if viewer is None:
            raise PreventUpdate
        return sync(text(sn, 64)), _list(viewer)
