"""The one sentence for a database whose schema is not the one this code was written for:
every `relais` command that opens the database (bot/cli.py) and `relais health`
(bot/health_cli.py) say it the same way, from the catalogs."""

from __future__ import annotations

from bot.i18n import CLI_LANGUAGE, t
from flows.store import SchemaState


def schema_problem(state: SchemaState, migrated: bool = False) -> str | None:
    """What to do when the schema is not this code's, or None. migrated: the command has
    just brought a schema it knows up to date (`relais run`, `relais db upgrade`)."""
    if not state.known:
        return t(CLI_LANGUAGE, "cli.schema.newer", current=state.current)
    if migrated or state.up_to_date:
        return None
    if state.current is None:
        return t(CLI_LANGUAGE, "cli.schema.none")
    return t(CLI_LANGUAGE, "cli.schema.behind", current=state.current, head=state.head)
