"""Alembic environment for the history store, run programmatically by `history.open_store`.

The caller hands over an open connection in `config.attributes["connection"]`, so users never
need an alembic.ini. For developers, `alembic -x url=sqlite:///checker.db upgrade head` (with
`script_location` pointing here) also works: the URL then comes from `-x url=...` or from the
config's `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on one connection, in one transaction where the database
    allows transactional DDL (PostgreSQL does; SQLite runs each statement as it comes)."""
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Use the caller's connection if given, else open one from the configured URL."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    engine = create_engine(url)
    try:
        with engine.begin() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them on a database")
main()
