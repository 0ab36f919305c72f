"""Start-up with the two database roles: the strict set-up (the processes know only the app's
URL) and the refusal to work as a role that could rewrite the record."""
from __future__ import annotations

import dataclasses

import pytest

from foundation.runtime import boot
from queries import db


def test_a_process_given_only_the_app_url_works_without_migrating(runtime):
    settings = dataclasses.replace(runtime.settings, database_url=None, app_database_url=runtime.database_url)
    rt = boot(settings)
    assert rt.urls.owner_url is None and not rt.urls.embedded_database
    with rt.connection() as conn:
        assert db.scalar(conn, "SELECT current_user") == runtime.urls.app_role.name
    assert rt.database_env() == {"DATABASE_URL": "", "PANTAU_APP_DATABASE_URL": runtime.database_url}


@pytest.mark.parametrize("owner_known", [True, False])
def test_a_process_refuses_to_work_as_the_owner(runtime, owner_known):
    settings = dataclasses.replace(runtime.settings, app_database_url=runtime.urls.owner_url,
                                   database_url=runtime.urls.owner_url if owner_known else None)
    with pytest.raises((SystemExit, RuntimeError), match="owner"):
        boot(settings)


@pytest.mark.parametrize("with_owner", [True, False])
def test_pantau_db_upgrade_runs_as_the_owner_and_grants_the_app_role(runtime, with_owner, monkeypatch, capsys):
    from pantau.cli import main
    from tests.conftest import runtime_env

    for key, value in runtime_env(runtime).items():
        monkeypatch.setenv(key, value)
    if not with_owner:
        monkeypatch.delenv("DATABASE_URL")
    code = main(["db", "upgrade"])
    out = capsys.readouterr()
    if with_owner:
        assert code == 0 and f"app role: {runtime.urls.app_role.name}" in out.out
    else:   # the processes' environment in the strict set-up: it cannot migrate, and says why
        assert code == 2 and "owner" in out.err
