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
