"""pantau faces enrol --dir / check NIP PHOTO as an operator runs them: a line per file,
the distance and the verdict, exit codes a script can test."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from queries import audit
from queries import faces as q
from tests.conftest import ROOT, runtime_env
from tests.support.faces import FACES
from tests.support import factories


@pytest.fixture(scope="module")
def rt(make_runtime):
    return make_runtime(ROOT / "config.yaml", "facescli")


def pantau(rt, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pantau", "faces", *args], cwd=ROOT, env=runtime_env(rt),
                          capture_output=True, text=True, timeout=180)


def test_enrol_a_folder_named_by_nip_then_check_photos(rt, tmp_path):
    obama, kit = factories.employee(rt, "DINKES", name="Agus Salim"), factories.employee(rt, "DINKES", name="Rina")
    folder = tmp_path / "foto"
    folder.mkdir()
    shutil.copy(FACES / "obama_obama.jpg", folder / f"{obama['nip']}.jpg")
    shutil.copy(FACES / "kit_with_rose.jpg", folder / f"{kit['nip']}.jpg")        # two faces
    shutil.copy(FACES / "biden_biden.jpg", folder / "199001012015011999.jpg")     # nobody's NIP
    (folder / "catatan.txt").write_text("not a photo")
    done = pantau(rt, "enrol", "--dir", str(folder), "--by", "bkpp_operator")
    assert done.returncode == 1, done.stderr                 # one or more failed
    lines = done.stdout.splitlines()
    assert f"{obama['nip']}.jpg: terdaftar / enrolled: {obama['nip']} Agus Salim" in lines
    assert any(line.startswith(f"{kit['nip']}.jpg: gagal / failed: Ditemukan 2 wajah") and "(many_faces)" in line
               for line in lines)
    assert any(line.startswith("199001012015011999.jpg: gagal") and "(unknown_employee)" in line for line in lines)
    assert lines[-1] == "1 terdaftar / enrolled, 2 gagal / failed"
    with rt.connection() as conn:
        assert set(q.current_enrolments(conn, [obama["id"], kit["id"]])) == {obama["id"]}
        assert [e["actor"] for e in audit.entries(conn, action="face.enrol", target=obama["nip"])] == ["bkpp_operator"]

    same = pantau(rt, "check", obama["nip"], str(FACES / "obama1.jpg"))
    assert same.returncode == 0, same.stderr
    assert "cocok / match" in same.stdout and "ambang / threshold 0.6" in same.stdout
    distance = float(same.stdout.split("distance ")[1].split()[0])
    assert 0 < distance < 0.6
    other = pantau(rt, "check", obama["nip"], str(FACES / "biden_biden2.jpg"))
    assert other.returncode == 1 and "tidak cocok / mismatch" in other.stdout
    assert float(other.stdout.split("distance ")[1].split()[0]) >= 0.6


def test_check_says_why_it_cannot_answer(rt, tmp_path):
    person = factories.employee(rt, "DINKES")
    none = pantau(rt, "check", person["nip"], str(FACES / "obama1.jpg"))
    assert none.returncode == 2 and "Belum ada wajah acuan" in none.stderr and "(no_enrolment)" in none.stderr
    missing = pantau(rt, "check", person["nip"], str(tmp_path / "tidak-ada.jpg"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    empty = tmp_path / "kosong"
    empty.mkdir()
    assert pantau(rt, "enrol", "--dir", str(empty)).returncode == 2
