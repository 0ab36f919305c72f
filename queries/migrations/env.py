"""Alembic environment: the URL comes from `queries.schema.upgrade`, never from a file."""
import sqlparse
from alembic import context
from alembic.ddl.postgresql import PostgresqlImpl
from sqlalchemy import create_engine, pool


class OneStatementPerCall(PostgresqlImpl):
    """`op.execute` with several statements in one string runs them one by one, in the same
    transaction: Citus propagates DDL statement by statement and refuses a string of several
    ("cannot insert multiple commands into a prepared statement"). Declaring the dialect
    replaces Alembic's Postgres implementation for this process (its registry is by dialect)."""
    __dialect__ = "postgresql"

    def execute(self, sql, execution_options=None) -> None:
        if not isinstance(sql, str):
            return super().execute(sql, execution_options)
        for statement in sqlparse.split(sql):   # knows quotes, $$ bodies and comments
            if sqlparse.format(statement, strip_comments=True).strip(" \n;"):
                super().execute(statement, execution_options)


url = context.config.get_main_option("sqlalchemy.url")


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
