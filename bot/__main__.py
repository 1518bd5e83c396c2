"""python -m bot: the relais command."""

from bot.cli import main

main()
