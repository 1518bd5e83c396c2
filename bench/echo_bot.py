"""The baseline for bench/relay.py: a bare python-telegram-bot bot that passes each text it
gets from one chat on to another, as Relais relays an officer's line to a worker, with
nothing else (no database, no checks). Run by the benchmark as a child process.

    python bench/echo_bot.py TOKEN BASE_URL TO_CHAT_ID
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


def main() -> None:
    token, base_url, to_chat = sys.argv[1], sys.argv[2], int(sys.argv[3])

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text is not None:
            await context.bot.send_message(to_chat, update.message.text)

    app = ApplicationBuilder().token(token).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=["message"], poll_interval=0.0, timeout=30)


if __name__ == "__main__":
    main()
