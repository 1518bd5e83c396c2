"""The command menus come from the handlers' own role gates: a new command must be placed in
the menu order, and each role's menu lists exactly the commands its gate lets through."""

from __future__ import annotations

import pytest
from telegram.ext import CommandHandler

from bot.handlers.access import requires
from bot.menus import Menus
from flows.vocabulary import Role


def test_a_command_left_out_of_the_menu_order_stops_start_up_with_its_name():
    with pytest.raises(ValueError, match="brand_new"):
        Menus({"brand_new": frozenset(Role)})


def test_a_roles_menu_follows_the_gates_of_the_handlers():
    @requires(Role.WORKER)
    async def on(*_: object) -> None: ...

    @requires()
    async def help_(*_: object) -> None: ...

    menus = Menus.of_handlers([CommandHandler("on", on), CommandHandler("help", help_)])
    assert menus.names(Role.WORKER) == ["on", "help"]
    assert menus.names(Role.OFFICER) == ["help"]
    assert [c.description for c in menus.commands(Role.OFFICER, "en")] == ["Help"]
