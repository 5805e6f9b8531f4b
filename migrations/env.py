from __future__ import annotations

from alembic import context

from portfolio.config import load_config
from portfolio.db import Money, UTCDateTime, make_engine
from portfolio.models import metadata

config = context.config


def _url() -> str:
    return config.attributes.get("database_url") or load_config()["DATABASE_URL"]


def _render_item(type_, obj, autogen_context):
    """Render our column types as their implementation so migrations do not import app code."""
    if type_ == "type" and isinstance(obj, Money):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True,
                      render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = make_engine(_url())
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            render_item=_render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
