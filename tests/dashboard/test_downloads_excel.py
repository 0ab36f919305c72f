"""Every download opens right in an Indonesian Excel: read here as Excel in id-ID reads it
(';' between columns, ',' as decimal mark) with pandas, and the .xlsx with openpyxl. NIPs
come out as 18-digit text, deductions as numbers, headers and values in Indonesian."""
from __future__ import annotations

import io
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from tests.conftest import ROOT, runtime_env
from tests.support.city import seed_city
from tests.support.dash_client import logged_in as client


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "texcel")
    return rt, seed_city(rt)


def _urls(city) -> dict[str, str]:
    today, d0 = city[1]["today"], city[1]["days"][0]
    return {"recap": f"/download/recap.csv?month={today:%Y-%m}", "unit_recap": f"/download/unit_recap.csv?month={today:%Y-%m}",
            "units": f"/download/units.csv?from={d0}&to={today}", "checkins": f"/download/checkins.csv?from={d0}&to={today}"}


def _nips(city) -> set[str]:
    return {e["nip"] for people in city[1]["people"].values() for e in people}


def _excel_id(res) -> pd.DataFrame:
    """As Excel in an Indonesian locale splits the file; NIP read as text, as a user would set it."""
    assert res.status_code == 200 and res.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = res.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(body), sep=";", decimal=",", encoding="utf-8-sig", dtype={"NIP": str})


def test_the_default_csv_is_excel_indonesia_with_nips_as_text_and_numbers_as_numbers(app, city):
    c, urls, nips = client(app, "bkpp"), _urls(city), _nips(city)
    recap = _excel_id(c.http.get(urls["recap"]))
    assert list(recap.columns[:4]) == ["NIP", "Nama", "Kode unit", "Unit"] and "Potongan TPP (%)" in recap
    digits = recap["NIP"].str.replace(" ", "")
    assert set(digits) <= nips and len(digits) == len(nips) and digits.str.fullmatch(r"\d{18}").all()
    assert not recap["NIP"].str.contains("E+", regex=False).any()       # never the float form Excel makes
    assert pd.api.types.is_numeric_dtype(recap["Potongan TPP (%)"]) and recap["Potongan TPP (%)"].max() <= 100
    assert recap["Potongan TPP (%)"].gt(0).any()                        # some real deductions, read as numbers
    units = _excel_id(c.http.get(urls["unit_recap"]))
    assert pd.api.types.is_numeric_dtype(units["Kehadiran (%)"]) and set(units["Kode unit"]) >= {"DINKES", "DAMKAR"}
    daily = _excel_id(c.http.get(urls["units"]))
    assert {"Tanggal", "Unit", "Wajib hadir", "Hadir", "Terlambat"} <= set(daily.columns)
    raw = _excel_id(c.http.get(urls["checkins"]))
    assert set(raw["NIP"].str.replace(" ", "")) <= nips
    assert set(raw["Keputusan"]) <= {"diterima", "ditolak", "diterima, ditandai untuk diperiksa"}
    assert "di luar geofence kantor" in set(raw["Keterangan"].dropna())
    assert set(raw["Sesi"]) <= {"masuk", "pulang"}
    text = c.http.get(urls["checkins"]).get_data(as_text=True)
    assert "accepted" not in text and "outside_geofence" not in text and "verdict" not in text


def test_xlsx_keeps_nip_as_18_digit_text_with_a_frozen_indonesian_header(app, city):
    c, urls, nips = client(app, "bkpp"), _urls(city), _nips(city)
    for name, url in urls.items():
        res = c.http.get(url + "&format=xlsx")
        assert res.status_code == 200 and res.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        assert res.headers["Content-Disposition"].endswith('.xlsx"')
        ws = openpyxl.load_workbook(io.BytesIO(res.get_data())).active
        assert ws.freeze_panes == "A2", name
        head = [cell.value for cell in ws[1]]
        assert not any(h in head for h in ("nip", "verdict", "unit_code", "potongan_persen")), head
        if "NIP" in head:
            col = head.index("NIP")
            cells = [row[col] for row in ws.iter_rows(min_row=2)]
            assert cells and all(x.data_type == "s" and len(x.value) == 18 and x.value in nips for x in cells)
    ws = openpyxl.load_workbook(io.BytesIO(c.http.get(urls["recap"] + "&format=xlsx").get_data())).active
    head = [cell.value for cell in ws[1]]
    cut = [row[head.index("Potongan TPP (%)")].value for row in ws.iter_rows(min_row=2)]
    assert all(isinstance(v, (int, float)) for v in cut) and max(cut) > 0


def test_plain_csv_stays_machine_readable(app, city):
    res = client(app, "bkpp").http.get(_urls(city)["recap"] + "&format=csv")
    frame = pd.read_csv(io.BytesIO(res.get_data()), encoding="utf-8-sig", dtype={"nip": str})
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert frame["nip"].str.fullmatch(r"\d{18}").all() and "potongan_persen" in frame
    assert client(app, "bkpp").http.get(_urls(city)["recap"] + "&format=pdf").status_code == 400


def test_the_cli_writes_the_same_excel_file_as_the_web(app, city, tmp_path):
    rt, today = city[0], city[1]["today"]
    out = tmp_path / "rekap.csv"
    done = subprocess.run([sys.executable, "-m", "pantau", "recap", f"{today:%Y-%m}", "--excel", "--out", str(out)],
                          cwd=ROOT, env=runtime_env(rt), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    web = client(app, "bkpp").http.get(_urls(city)["recap"]).get_data()
    assert out.read_bytes() == web and b";" in web
