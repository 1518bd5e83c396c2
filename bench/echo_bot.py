"""The baseline for bench/relay.py: a bare python-telegram-bot bot that passes each text it
gets from one chat on to another, as Relais relays an officer's line to a worker, with
nothing else (no database, no checks). Run by the benchmark as a child process.

    python bench/echo_bot.py TOKEN BASE_URL TO_CHAT_ID
    python bench/echo_bot.py TOKEN BASE_URL +OFFSET     (each chat to chat + OFFSET: pairs)
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


def main() -> None:
    token, base_url, target = sys.argv[1], sys.argv[2], sys.argv[3]
    offset = int(target[1:]) if target.startswith("+") else None

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text is not None:
            chat = update.message.chat_id + offset if offset is not None else int(target)
            await context.bot.send_message(chat, update.message.text)

    app = ApplicationBuilder().token(token).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=["message"], poll_interval=0.0, timeout=30)


if __name__ == "__main__":
    main()
