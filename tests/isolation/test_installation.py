"""Two regions on one database: each region's role reaches its own schema only."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import ProgrammingError

from queries import employees


def test_each_region_has_its_schema_role_and_config(make_installation):
    regions = make_installation("8271", label="inst_basic")
    own, ternate = regions["3672"], regions["8271"]
    assert ternate.settings.db_schema.endswith("r_8271")
    assert ternate.config.region.timezone == "Asia/Jayapura" and own.config.region.timezone == "Asia/Jakarta"
    with own.connection() as conn:
        own_units = len(region_units(conn))
    with ternate.connection() as conn:
        assert len(region_units(conn)) == len(ternate.config.units) != own_units


def region_units(conn):
    from queries.db import rows

    return rows(conn, "SELECT code FROM units")


def test_a_regions_role_is_refused_another_regions_schema(make_installation):
    regions = make_installation("8271", label="inst_roles")
    own, ternate = regions["3672"], regions["8271"]
    from queries.db import run, url_schema

    with pytest.raises(ProgrammingError, match="permission denied"):
        with ternate.connection() as conn:
            # the own region's schema is its URL's (on Citus and in tests a schema of its own)
            run(conn, f"SELECT count(*) FROM {url_schema(own.database_url) or 'public'}.employees")
    with pytest.raises(ProgrammingError, match="permission denied"):
        with own.connection() as conn:
            run(conn, f"SELECT count(*) FROM {ternate.settings.db_schema}.employees")
    with ternate.connection() as conn:
        assert employees.count(conn) == 0
