"""my_chat_member in a private chat: Telegram says a person blocked the bot (status
"kicked") or unblocked it ("member"). Either is one use case (flows/reachability.py)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot import reachability as edge
from bot import services as services_module
from flows import reachability


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Blocked: recorded unreachable, open offers declined. Unblocked: reachable again and
    offered what waits."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    services = services_module.of(context)
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        result = await services.act(reachability.became_unreachable, change.from_user.id)
    elif status == ChatMemberStatus.MEMBER:
        result = await services.act(
            reachability.became_reachable, change.from_user.id, services.policy
        )
    else:
        return
    await edge.after(services, result)
