"""/trends: lateness over time (?from=&to=&grain=day|week|month&unit=CODE)."""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from .. import auth, data, formats, summary
from ..figures import GRAPH_CONFIG
from .. import trend_figures as tf
from .common import date_range_picker, dropdown, filters_changed, href, nothing, parse_date, search_params, text

PATH = "/trends"
ARRIVAL_DAYS = 92
GRAIN_OPTIONS = [{"label": "Harian", "value": "day"}, {"label": "Mingguan", "value": "week"},
                 {"label": "Bulanan", "value": "month"}]


def _starts(config, units: list[str]) -> dict[str, int]:
    """Each unit's morning start (minutes): the earliest of its schedule's day types, its usual
    one (the buckets add up many days, so a later Ramadan start cannot be told apart in them)."""
    by_schedule = {}
    for code in {config.unit_schedule(u) for u in units}:
        mornings = [d.start.minutes for d in config.schedule_by_code[code].day_types.values() if d.start.minutes < 12 * 60]
        if mornings:
            by_schedule[code] = min(mornings)
    return {u: by_schedule[config.unit_schedule(u)] for u in units if config.unit_schedule(u) in by_schedule}


def _offsets(config, units: list[str]) -> dict[str, int]:
    now = dt.datetime.now(dt.timezone.utc)
    return {u: int(config.unit_zone(u).utcoffset(now).total_seconds() // 60) for u in units}


def cached_content(viewer, params: dict) -> dict | None:
    """content() through the shared cache (building the figures costs more than the queries)."""
    keep = tuple(sorted((k, params.get(k) or "") for k in ("from", "to", "grain", "unit")))
    to = parse_date(params.get("to"), data.today())
    return data.memo("trends", data.ttl(to), _content_for, viewer, keep)


def _content_for(viewer, keep: tuple) -> dict | None:
    return content(viewer, dict(keep))


def content(viewer, params: dict) -> dict | None:
    """Everything the page shows, as data and figures (None: outside the viewer's scope)."""
    config = data.runtime().config
    today = data.today(config)
    d1 = parse_date(params.get("to"), today)
    d0 = parse_date(params.get("from"), d1 - dt.timedelta(days=29))
    if d1 < d0:
        d0, d1 = d1, d0
    d0 = max(d0, d1 - dt.timedelta(days=366))
    unit = params.get("unit") or viewer.unit_code
    if unit and (unit not in config.unit_by_code or not viewer.can_see_unit(auth.unit_scope(config, unit))):
        return None
    # rates of a day not closed yet would count a morning as a whole day (a spike): they
    # stop before it, and the page says so
    still_open = data.open_days(d0, d1)
    end = min(still_open) - dt.timedelta(days=1) if still_open else d1
    p0, p1 = tf.previous_period(d0, end) if end >= d0 else (d0, end)
    top = unit or summary.top_node(config)   # the region: per SKPD, not one row for the root
    node = auth.unit_scope(config, top) if top else ""
    a0 = max(d0, d1 - dt.timedelta(days=ARRIVAL_DAYS - 1))  # a quarter is enough for a shape; a year costs ~0.3 s
    now, before, arrivals = data.together((data.branch_counts, viewer, d0, end, node, True),
                                           (data.branch_counts, viewer, p0, p1, node, False),
                                           (data.arrival_buckets, viewer, a0, d1))
    current, previous = tf.frame(now, top), tf.frame(before, top)
    subtree = set(config.subtree(unit)) if unit else None
    names = {u.code: u.name for u in config.units}
    units = sorted(subtree) if subtree else [u.code for u in config.units]
    buckets = [b for b in arrivals if subtree is None or b["unit_code"] in subtree]
    label = lambda a, b: f"{a:%d/%m/%Y}–{b:%d/%m/%Y}"
    return {
        "d0": d0, "d1": d1, "unit": unit, "arrivals_from": a0, "open": still_open,
        "late_rate": tf.late_rate_figure(current, params.get("grain") or "day", names),
        "arrivals": tf.arrival_figure(buckets, _offsets(config, units), _starts(config, units)),
        "heatmap": tf.heatmap_figure(current, names),
        "weekday": tf.weekday_figure(current),
        "compare": tf.compare_figure(current, previous, (label(p0, p1), label(d0, end))),
        "ranking": tf.ranking(current, previous, names),
    }


def _rank_list(items: list[dict], title: str, id_: str):
    lis = [html.Li(f"{i['name']}: {formats.percent(i['now'])}" +
                   ("" if i["before"] is None else f" (sebelumnya {formats.percent(i['before'])})"))
           for i in items]
    return html.Div([html.H4(title), html.Ol(lis or [html.Li("–")], id=id_)], className="rank")


def layout(viewer, params: dict):
    config = data.runtime().config
    c = cached_content(viewer, params)
    if c is None:
        return nothing()
    graph = lambda key: dcc.Graph(id=f"tr-{key}", figure=c[key], config=GRAPH_CONFIG)
    sized = lambda key: dcc.Graph(id=f"tr-{key}", figure=c[key], config=GRAPH_CONFIG, responsive=True,
                                  className="trend-rate")   # its height from pantau.css, by screen width
    scoped = [u.code for u in config.units if viewer.can_see_unit(auth.unit_scope(config, u.code))]
    return html.Div([
        html.Div([
            date_range_picker("tr-dates", c["d0"].isoformat(), c["d1"].isoformat()),
            dcc.RadioItems(id="tr-grain", options=GRAIN_OPTIONS, value=params.get("grain") or "day", inline=True),
            dropdown("tr-unit", value=c["unit"] or "", clearable=False, className="filter",
                     options=([] if viewer.unit_code else [{"label": "Seluruh daerah", "value": ""}]) +
                         [{"label": config.unit_by_code[u].name, "value": u} for u in scoped]),
        ], className="filters"),
        html.P(f"Belum ditutup, tidak dihitung: {', '.join(f'{d:%d/%m/%Y}' for d in c['open'])} "
               "(hari berjalan; angkanya ada di Ringkasan).", className="muted", id="tr-open")
        if c["open"] else None,
        html.H3("Tingkat keterlambatan"), sized("late_rate"),
        html.Div([html.Div([html.H3(f"Sebaran jam masuk ({c['arrivals_from']:%d/%m/%Y}–{c['d1']:%d/%m/%Y})"),
                            graph("arrivals")], className="half"),
                  html.Div([html.H3("Pengaruh hari"), graph("weekday")], className="half")], className="row"),
        html.H3("Unit × hari (% terlambat)"), graph("heatmap"),
        html.Div([html.Div([html.H3("Periode ini dibanding sebelumnya"), graph("compare")], className="half"),
                  html.Div([_rank_list(c["ranking"]["worst"], "Unit paling sering terlambat", "tr-worst"),
                            _rank_list(c["ranking"]["improved"], "Paling membaik", "tr-improved")],
                           className="half")], className="row"),
    ])


def register(app) -> None:
    @app.callback(Output("url", "search", allow_duplicate=True), Input("tr-dates", "start_date"),
                  Input("tr-dates", "end_date"), Input("tr-grain", "value"), Input("tr-unit", "value"),
                  State("url", "search"), prevent_initial_call=True)
    def _choose(start, end, grain, unit, search):
        viewer = auth.viewer()
        if viewer is None:
            raise PreventUpdate
        chosen = {"from": text(start)[:10], "to": text(end)[:10], "grain": text(grain), "unit": text(unit, 40)}
        d1 = parse_date(search_params(search).get("to"), data.today())
        shown = {"from": (d1 - dt.timedelta(days=29)).isoformat(), "to": d1.isoformat(), "grain": "day",
                 "unit": viewer.unit_code}
        if not filters_changed(search, chosen, shown):
            raise PreventUpdate
        new = href("", chosen) or "?"
        return no_update if new == search else new
