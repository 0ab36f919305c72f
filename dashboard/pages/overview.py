"""/overview: region -> unit -> sub-unit -> employee. The URL holds the whole state.

?unit=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD&status=terlambat&kind=dinas  or  ?employee=ID&month=YYYY-MM
"""
from __future__ import annotations

import datetime as dt
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from foundation import clock
from foundation.config import zone_label

from .. import auth, data, figures, formats, summary
from .common import (KIND_LABELS, date_range_picker, day_label, dropdown, element, status_label, STATUS_OPTIONS, date_range, filters_changed, href, local_time,
                     nothing, parse_date, parse_int, search_params, text, tiles, zone_name)

PATH = "/overview"


def layout(viewer, params: dict):
    config = data.runtime().config
    d0, d1 = date_range(params, data.today(config))
    employee_id = parse_int(params.get("employee"))
    unit = params.get("unit") or viewer.unit_code
    if unit and unit not in config.unit_by_code:
        return nothing("Unit tidak dikenal. / Unknown unit.")
    body = (_employee_view(viewer, employee_id, params, d1) if employee_id is not None
            else _unit_view(viewer, unit, params, d0, d1))
    return html.Div([_filters(config, params, d0, d1), _search(), body], className="overview")


SEARCH_MIN = 3   # characters before a search is run


def _search():
    return html.Div([
        html.Label("Cari pegawai", htmlFor="ov-search", className="search-label"),
        dcc.Input(id="ov-search", type="search", debounce=True, maxLength=60, className="search-box",
                  placeholder="nama atau NIP"),
        html.Div(id="ov-search-results", className="search-results")], className="search")


def search_results(viewer, words: str):
    """The viewer's employees matching `words`, each a link to their month."""
    if len(words.strip()) < SEARCH_MIN:
        return []
    found = data.find_employees(viewer, words)
    if not found:
        return html.P("Tidak ada pegawai yang cocok.", className="muted", id="ov-search-none")
    return html.Ul([html.Li(dcc.Link(f"{p['name']} · {p['nip']} · {p['unit_name']}",
                                     href=href(PATH, {"employee": p["employee_id"]}))) for p in found])


def _filters(config, params, d0, d1):
    kinds = sorted({u.kind for u in config.units})
    return html.Div([
        date_range_picker("ov-dates", d0.isoformat(), d1.isoformat()),
        dropdown("ov-status", STATUS_OPTIONS, value=params.get("status", ""),
                     clearable=False, className="filter"),
        dropdown("ov-kind", [{"label": "Semua jenis unit", "value": ""}] +
                     [{"label": KIND_LABELS.get(k, k), "value": k} for k in kinds],
                     value=params.get("kind", ""), clearable=False, className="filter"),
    ], className="filters")


def _crumbs(viewer, unit: str | None, params: dict, extra: str | None = None):
    config = data.runtime().config
    keep = {k: params.get(k) for k in ("from", "to", "status", "kind")}
    items = []
    for code, label in summary.breadcrumbs(config, unit, viewer.unit_code):
        items.append(dcc.Link(label, href=href(PATH, {**keep, "unit": code}), className="crumb"))
        items.append(html.Span(" › ", className="crumb-sep"))
    if extra:
        items.append(html.Span(extra, className="crumb current"))
    elif items:
        items.pop()
    return html.Nav(items, className="breadcrumbs", id="breadcrumbs")


def _unit_view(viewer, unit: str | None, params: dict, d0: dt.date, d1: dt.date):
    config = data.runtime().config
    if unit and not viewer.can_see_unit(auth.unit_scope(config, unit)):
        return nothing()
    rows = data.unit_day_counts(viewer, d0, d1)
    if unit:
        subtree = set(config.subtree(unit))
        rows = [r for r in rows if r["unit_code"] in subtree]
    kind = params.get("kind") or None
    children = summary.by_child(rows, config, unit or summary.top_node(config), kind)
    counts = summary.totals(children if kind else rows)   # with a kind chosen: the units shown
    period = d0.strftime("%d/%m/%Y") + ("" if d0 == d1 else " – " + d1.strftime("%d/%m/%Y"))
    title = config.unit_by_code[unit].name if unit else config.region.name
    if kind:
        title += f" · {KIND_LABELS.get(kind, kind)}"
    parts = [_crumbs(viewer, unit, params), html.H2(f"{title} · {period}"), tiles(counts)]
    if d1 >= data.today(config):   # a live page: say how fresh it is (counts are cached seconds)
        now = clock.now().astimezone(config.zone)
        parts.insert(2, html.P(f"Diperbarui {now:%H.%M} {zone_label(config.zone.key)}", className="muted",
                               id="ov-updated"))
    if children and not (len(children) == 1 and children[0]["unit_code"] == unit):
        parts.append(dcc.Graph(id="ov-bars", figure=figures.unit_bars(children),
                               config=figures.GRAPH_CONFIG))
    if unit:
        parts.append(_people_table(viewer, unit, params, d0, d1))
    return html.Div(parts)


def _people_table(viewer, unit: str, params: dict, d0: dt.date, d1: dt.date):
    config = data.runtime().config
    people = data.people(viewer, unit, d0, d1, params.get("status") or None)
    single = d0 == d1
    zone = zone_name(config, unit)
    head = ["NIP", "Nama", "Jabatan"] + (
        ["Status", f"Masuk ({zone})", f"Pulang ({zone})", "TL / PSW"] if single
        else ["Hari kerja", "Hadir", "Terlambat", "Cuti", "TK", "Menit terlambat"])
    body = []
    month = d1.strftime("%Y-%m")
    for p in people:
        link = element("Link", p["name"], "dash_core_components",
                       href=href(PATH, {"employee": p["employee_id"], "month": month}))
        if single:
            cells = [status_label(p["status"], 1 if p["late"] else 0), local_time(config, unit, p["first_in"]), local_time(config, unit, p["last_out"]),
                     " ".join(b for b in (p["late_band"], p["early_band"]) if b) or "–"]
        else:
            cells = [p["expected"], p["present"], p["late"], p["on_leave"], p["tk"], p["late_minutes"]]
        body.append(element("Tr", [element("Td", p["nip"]), element("Td", link), element("Td", p["position"])] +
                            [element("Td", c) for c in cells], className="person-row"))
    if not body:
        return html.P("Tidak ada pegawai langsung di unit ini untuk pilihan ini.", className="muted")
    return html.Div([html.H3(f"Pegawai {config.unit_by_code[unit].name} ({len(body)})"),
                     html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                                className="people", id="people-table")])


def _employee_view(viewer, employee_id: int, params: dict, d1: dt.date):
    config = data.runtime().config
    person = data.employee(viewer, employee_id)
    if person is None:
        return nothing()
    first = parse_date((params.get("month") or "") + "-01", d1.replace(day=1)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    days = data.employee_days(viewer, employee_id, first, last)
    prev_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    next_month = (last + dt.timedelta(days=1)).strftime("%Y-%m")
    unit = person["unit_code"]
    zone = zone_name(config, unit)
    rows = [html.Tr([html.Td(day_label(d["work_date"])), html.Td(status_label(d["status"], d["minutes_late"])),
                     html.Td(local_time(config, unit, d["first_in"])),
                     html.Td(local_time(config, unit, d["last_out"])),
                     html.Td(" ".join(b for b in (d["late_band"], d["early_band"]) if b) or "–"),
                     html.Td(formats.percent(float(d["deduction_percent"]), 2)),
                     html.Td(", ".join(d.get("sources") or []) or "–", className="sources")]) for d in days]
    return html.Div([
        _crumbs(viewer, unit, params, person["name"]),
        html.H2(f"{person['name']} · NIP {person['nip']}", id="employee-name"),
        html.P(f"{person['position']} · {person['unit_name']}", className="muted"),
        html.Div([dcc.Link("‹ bulan sebelumnya", href=href(PATH, {"employee": employee_id, "month": prev_month})),
                  html.Strong(f" {formats.month_year(first)} ", className="month"),
                  dcc.Link("bulan berikutnya ›", href=href(PATH, {"employee": employee_id, "month": next_month}))],
                 className="month-nav"),
        dcc.Graph(id="ov-calendar", figure=figures.calendar(days, first.year, first.month),
                  config=figures.GRAPH_CONFIG),
        html.Table([html.Thead(html.Tr([html.Th(h) for h in (
            "Tanggal", "Status", f"Masuk ({zone})", f"Pulang ({zone})", "TL / PSW", "Potongan", "Sumber")])),
            html.Tbody(rows)], className="people", id="employee-days"),
    ])


def next_search(search: str | None, trigger: str | None, start, end, status, kind, click) -> str | None:
    """The new query string after a filter change or a bar click (None: nothing to do)."""
    params = search_params(search)
    params.pop("employee", None)
    params.pop("month", None)
    if trigger == "ov-bars":
        try:
            params["unit"] = text(click["points"][0]["customdata"], 40)
        except (TypeError, KeyError, IndexError):
            return None
    else:
        params.update({"from": text(start)[:10], "to": text(end)[:10], "status": text(status), "kind": text(kind)})
    return href("", params) or "?"


def register(app) -> None:
    # two callbacks: the bar chart is absent from the employee view, and Dash fires a
    # callback only when all its inputs are on the page
    @app.callback(Output("url", "search", allow_duplicate=True),
                  Input("ov-dates", "start_date"), Input("ov-dates", "end_date"),
                  Input("ov-status", "value"), Input("ov-kind", "value"),
                  State("url", "search"), prevent_initial_call=True)
    def _filter(start, end, status, kind, search):
        chosen = {"from": text(start)[:10], "to": text(end)[:10], "status": text(status), "kind": text(kind)}
        d0, d1 = date_range(search_params(search), data.today())
        if not filters_changed(search, chosen, {"from": d0.isoformat(), "to": d1.isoformat()}):
            raise PreventUpdate
        return _go(next_search(search, "filters", start, end, status, kind, None), search)

    @app.callback(Output("ov-search-results", "children"), Input("ov-search", "value"),
                  prevent_initial_call=True)
    def _find(words):
        viewer = auth.viewer()
        if viewer is None:
            raise PreventUpdate
        return search_results(viewer, text(words, 60))

    @app.callback(Output("url", "search", allow_duplicate=True), Input("ov-bars", "clickData"),
                  State("url", "search"), prevent_initial_call=True)
    def _drill(click, search):
        return _go(next_search(search, "ov-bars", None, None, None, None, click), search)


def _go(new: str | None, search: str | None):
    if auth.viewer() is None:
        raise PreventUpdate
    return no_update if new is None or new == search else new
