"""Tests of the Telegram sandbox itself, driven by a real python-telegram-bot ``Bot``.

Why: the end-to-end tests and ``relais demo`` trust the sandbox to behave like Telegram;
these tests pin the shapes, the error codes and the getUpdates semantics PTB relies on.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from sandbox import SandboxClient, SandboxServer
from sandbox.formatting import parse_text

# PTB 22's own RetryAfter.__init__ reads the deprecated int-valued retry_after.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

TOKEN = "123456789:AAE-sandbox_token"
OFFICER, WORKER, WORKER2 = 1001, 2001, 2002
T = TypeVar("T")


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(TOKEN) as srv:
        yield srv


@pytest.fixture
def client(server: SandboxServer) -> Iterator[SandboxClient]:
    with SandboxClient(server.control_url) as c:
        c.add_user(OFFICER, "Tremblay")
        c.add_user(WORKER, "Roy", username="roy_ts")
        c.add_user(WORKER2, "Gagnon")
        yield c


def with_bot(server: SandboxServer, body: Callable[[Bot], Awaitable[T]]) -> T:
    """Run ``body`` with an initialised PTB Bot pointed at the sandbox."""

    async def main() -> T:
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            return await body(bot)

    return asyncio.run(main())


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whichever type this PTB version returns (without warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label.lower()}") for label in labels]]
    )


def generation_event(server: SandboxServer, target: int) -> threading.Event:
    """An event set once ``target`` getUpdates calls have reached the sandbox."""
    event = threading.Event()

    def check() -> None:
        if server.world.poll_generation >= target:
            event.set()

    server.world.add_listener(check)
    check()
    return event


# -- bot side: identity, transport, tokens ---------------------------------------------


def test_get_me_describes_the_bot(server: SandboxServer) -> None:
    me = with_bot(server, lambda bot: bot.get_me())
    assert me.id == 123456789 and me.is_bot
    assert me.first_name == "Relais (sandbox)" and me.username == "relais_sandbox_bot"
    assert me.can_join_groups and me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False


def test_wrong_token_is_401_and_surfaces_as_invalid_token(server: SandboxServer) -> None:
    response = httpx.get(f"{server.base_url}123456789:wrong/getMe", trust_env=False)
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    async def main() -> None:
        bot = Bot("123456789:wrong", base_url=server.base_url)
        with pytest.raises(InvalidToken):
            await bot.initialize()

    asyncio.run(main())


def test_unknown_method_is_404_and_method_names_are_case_insensitive(
    server: SandboxServer,
) -> None:
    base = f"{server.base_url}{TOKEN}"
    response = httpx.post(f"{base}/sendPigeon", data={"chat_id": 1}, trust_env=False)
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert httpx.get(f"{base}/GETME", trust_env=False).json()["result"]["id"] == 123456789


def test_parameters_as_form_json_body_or_query_string(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "hello")
    base = f"{server.base_url}{TOKEN}"
    markup = '{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}'
    form = httpx.post(
        f"{base}/sendMessage",
        trust_env=False,
        data={"chat_id": str(OFFICER), "text": "form", "reply_markup": markup},
    )
    body = httpx.post(
        f"{base}/sendMessage",
        trust_env=False,
        json={
            "chat_id": OFFICER,
            "text": "json",
            "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
        },
    )
    query = httpx.get(
        f"{base}/sendMessage", params={"chat_id": OFFICER, "text": "query"}, trust_env=False
    )
    assert [r.status_code for r in (form, body, query)] == [200, 200, 200]
    assert form.json()["result"]["reply_markup"] == body.json()["result"]["reply_markup"]
    assert [m["text"] for m in client.messages(OFFICER)] == ["form", "json", "query"]
    # message ids are per chat and shared with the user's own messages
    assert [m["message_id"] for m in client.messages(OFFICER, include_user=True)] == [1, 2, 3, 4]


# -- getUpdates -----------------------------------------------------------------------


def test_unconfirmed_updates_are_resent_and_offset_confirms(
    server: SandboxServer, client: SandboxClient
) -> None:
    for text in ("one", "two", "three"):
        client.send_text(OFFICER, text)

    async def body(bot: Bot) -> None:
        first = await bot.get_updates()
        assert [u.message.text for u in first] == ["one", "two", "three"]
        again = await bot.get_updates()
        assert [u.update_id for u in again] == [u.update_id for u in first]
        assert [u.message.text for u in await bot.get_updates(limit=1)] == ["one"]
        rest = await bot.get_updates(offset=first[1].update_id)
        assert [u.message.text for u in rest] == ["two", "three"]
        assert client.pending_updates() == 2
        done = await bot.get_updates(offset=first[-1].update_id + 1)
        assert done == () and client.pending_updates() == 0

    with_bot(server, body)


def test_negative_offset_keeps_only_the_last_updates(
    server: SandboxServer, client: SandboxClient
) -> None:
    for text in ("a", "b", "c", "d"):
        client.send_text(OFFICER, text)

    async def body(bot: Bot) -> None:
        assert [u.message.text for u in await bot.get_updates(offset=-2)] == ["c", "d"]
        # the earlier ones are forgotten, the returned ones are not confirmed
        assert [u.message.text for u in await bot.get_updates()] == ["c", "d"]

    with_bot(server, body)


def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: SandboxServer, client: SandboxClient
) -> None:
    polling = generation_event(server, 1)

    async def body(bot: Bot) -> None:
        started = time.monotonic()
        task = asyncio.create_task(bot.get_updates(timeout=5))
        assert await asyncio.to_thread(polling.wait, 5)
        assert not task.done()
        await asyncio.to_thread(client.send_text, OFFICER, "ping")
        updates = await task
        assert time.monotonic() - started < 5  # loosely: before the long-poll timeout
        assert [u.message.text for u in updates] == ["ping"]

    with_bot(server, body)


def test_long_poll_without_updates_returns_empty_after_timeout(server: SandboxServer) -> None:
    assert with_bot(server, lambda bot: bot.get_updates(timeout=1)) == ()


def test_second_poller_terminates_the_first_with_409(server: SandboxServer) -> None:
    first_polling = generation_event(server, 1)

    async def body(bot: Bot) -> None:
        # Two Bot objects, as two bot processes would be (PTB gives getUpdates its own
        # one-connection pool, so one Bot cannot poll twice at once).
        async with Bot(TOKEN, base_url=server.base_url) as other:
            first = asyncio.create_task(bot.get_updates(timeout=5))
            assert await asyncio.to_thread(first_polling.wait, 5)
            assert await other.get_updates(timeout=0) == ()
            with pytest.raises(Conflict) as exc:
                await first
        assert "terminated by other getUpdates request" in exc.value.message

    with_bot(server, body)


def test_allowed_updates_filters_new_updates(server: SandboxServer, client: SandboxClient) -> None:
    async def body(bot: Bot) -> None:
        start = await bot.get_updates(allowed_updates=["callback_query"])
        sent = await bot.send_message(OFFICER, "Choose", reply_markup=keyboard("Yes"))
        await asyncio.to_thread(client.send_text, OFFICER, "ignored text")
        await asyncio.to_thread(client.press, OFFICER, sent.message_id, text="Yes")
        updates = await bot.get_updates(offset=start[-1].update_id + 1)
        assert [u.callback_query.data for u in updates] == ["cb:yes"]
        info = await bot.get_webhook_info()
        assert info.url == "" and info.pending_update_count == 1

    client.send_text(OFFICER, "/start")  # creates the chat
    with_bot(server, body)


def test_delete_webhook_can_drop_pending_updates(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "old")

    async def body(bot: Bot) -> None:
        assert await bot.delete_webhook()
        assert client.pending_updates() == 1
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates() == ()

    with_bot(server, body)


# -- sending and errors ---------------------------------------------------------------


def test_send_message_shapes_html_and_replies(server: SandboxServer, client: SandboxClient) -> None:
    asked = client.send_text(OFFICER, "/start CODE42")
    assert asked["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    async def body(bot: Bot) -> None:
        sent = await bot.send_message(
            OFFICER,
            "<b>C-0042</b> \U0001f6a8 <i>urgent</i> &lt;3",
            parse_mode="HTML",
            reply_parameters=ReplyParameters(asked["message_id"]),
            disable_notification=True,
        )
        assert sent.text == "C-0042 \U0001f6a8 urgent <3"
        assert [(e.type, e.offset, e.length) for e in sent.entities] == [
            ("bold", 0, 6),
            ("italic", 10, 6),
        ]  # the emoji is 2 UTF-16 units
        assert sent.from_user.id == 123456789 and sent.chat.id == OFFICER
        assert sent.reply_to_message.text == "/start CODE42"
        legacy = await bot.send_message(OFFICER, "again", reply_to_message_id=1)
        assert legacy.reply_to_message.message_id == 1
        with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
            await bot.send_message(OFFICER, "x", reply_parameters=ReplyParameters(99))
        lenient = await bot.send_message(
            OFFICER, "x", reply_parameters=ReplyParameters(99, allow_sending_without_reply=True)
        )
        assert lenient.reply_to_message is None

    with_bot(server, body)
    stored = client.last_message(OFFICER)
    assert stored is not None and isinstance(stored["date"], int)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"text": "   "}, "message text is empty"),
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "a <3 b", "parse_mode": "HTML"}, 'unsupported start tag "3" at byte offset 2'),
        ({"text": "C-0042.", "parse_mode": "MarkdownV2"}, "character '-' is reserved"),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("Big", callback_data="é" * 33)]]
                ),
            },
            "button_data_invalid",
        ),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("Call", url="tel:+15145551234")]]
                ),
            },
            "button_url_invalid",
        ),
    ],
)
def test_send_message_validation_errors(
    server: SandboxServer, client: SandboxClient, kwargs: dict[str, Any], expected: str
) -> None:
    client.send_text(OFFICER, "/start")

    async def body(bot: Bot) -> None:
        with pytest.raises(BadRequest) as exc:
            await bot.send_message(OFFICER, **kwargs)
        assert expected in exc.value.message.lower()

    with_bot(server, body)
    assert client.messages(OFFICER) == []


def test_4096_characters_and_64_byte_callback_data_are_accepted(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "/start")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ok", callback_data="é" * 32),
                InlineKeyboardButton("Web", url="https://example.org"),
                InlineKeyboardButton("App", url="tg://resolve?domain=x"),
            ]
        ]
    )
    sent = with_bot(server, lambda bot: bot.send_message(OFFICER, "y" * 4096, reply_markup=markup))
    assert len(sent.text) == 4096


def test_unknown_chat_blocked_user_and_group_membership(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(WORKER, "/start")
    client.send_text(WORKER2, "hello group", chat_id=-100500, chat_type="supergroup")

    async def body(bot: Bot) -> None:
        for chat_id in (OFFICER, 424242):  # never started the bot / never existed
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(chat_id, "hi")
        await asyncio.to_thread(client.block, WORKER)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(WORKER, "hi")
        updates = await bot.get_updates()
        member = updates[-1].my_chat_member
        assert member.new_chat_member.status == "kicked" and member.from_user.id == WORKER
        await asyncio.to_thread(client.unblock, WORKER)
        assert (await bot.send_message(WORKER, "back")).text == "back"

        group = await bot.send_message(-100500, "for the group")
        assert group.chat.type == "supergroup" and group.chat.title == "Group -100500"
        with pytest.raises(BadRequest, match=r"(?i)can't be changed in private chats"):
            await bot.leave_chat(WORKER)
        assert await bot.leave_chat(-100500)
        with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
            await bot.send_message(-100500, "still there?")

    with_bot(server, body)
    log = client.render_transcript({WORKER: "worker Roy"})
    assert "[worker Roy blocked the bot]" in log and "[bot -> worker Roy] back" in log
    assert "[Gagnon in Group -100500 -> bot] hello group" in log
    assert "failed: 403 Forbidden: bot was blocked by the user" in log


def test_injected_flood_raises_retry_after_then_clears(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "/start")
    client.send_text(WORKER, "/start")
    client.inject_flood(method="sendMessage", retry_after=7)
    client.inject_flood(chat_id=WORKER, retry_after=2, count=2)

    async def body(bot: Bot) -> None:
        with pytest.raises(RetryAfter) as exc:
            await bot.send_message(OFFICER, "first")
        assert retry_seconds(exc.value) == 7
        assert (await bot.send_message(OFFICER, "second")).text == "second"
        for _ in range(2):
            with pytest.raises(RetryAfter) as exc:
                await bot.send_chat_action(WORKER, "typing")
            assert retry_seconds(exc.value) == 2
        assert await bot.send_chat_action(WORKER, "typing")

    with_bot(server, body)
    raw = httpx.Client(trust_env=False)
    client.inject_flood(method="getMe", retry_after=3)
    response = raw.get(f"{server.base_url}{TOKEN}/getMe")
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    raw.close()


def test_realistic_limits_throttle_bursts_per_private_chat() -> None:
    with SandboxServer(TOKEN, enforce_limits=True) as srv, srv.client() as c:
        c.add_user(OFFICER, "Tremblay", started=True)
        c.add_user(WORKER, "Roy", started=True)

        async def body(bot: Bot) -> None:
            for i in range(3):
                await bot.send_message(OFFICER, f"burst {i}")
            with pytest.raises(RetryAfter) as exc:
                await bot.send_message(OFFICER, "one too many")
            assert retry_seconds(exc.value) >= 1
            assert (await bot.send_message(WORKER, "other chat")).text == "other chat"

        with_bot(srv, body)


# -- media, copy, forward -------------------------------------------------------------


def test_bot_sends_media_by_file_id_upload_and_coordinates(
    server: SandboxServer, client: SandboxClient
) -> None:
    photo = client.send_photo(OFFICER, "scene")
    document = client.send_document(OFFICER, "rapport.pdf")
    voice = client.send_voice(OFFICER, duration=9)
    assert len(photo["photo"]) == 3 and photo["caption"] == "scene"
    assert document["document"]["mime_type"] == "application/pdf"

    async def body(bot: Bot) -> None:
        sent = await bot.send_photo(WORKER, photo["photo"][-1]["file_id"], caption="copy")
        assert sent.photo[-1].file_unique_id == photo["photo"][-1]["file_unique_id"]
        uploaded = await bot.send_photo(WORKER, b"\x89PNG fake bytes")
        assert uploaded.photo and uploaded.photo[-1].file_id not in {
            p["file_id"] for p in photo["photo"]
        }
        doc = await bot.send_document(WORKER, document["document"]["file_id"])
        assert doc.document.file_name == "rapport.pdf"
        vo = await bot.send_voice(WORKER, voice["voice"]["file_id"])
        assert vo.voice.to_dict()["duration"] == 9
        loc = await bot.send_location(WORKER, latitude=45.5017, longitude=-73.5673)
        assert (loc.location.latitude, loc.location.longitude) == (45.5017, -73.5673)
        contact = await bot.send_contact(
            WORKER, phone_number="+15148731234", first_name="Ligne", last_name="Suicide"
        )
        assert contact.contact.phone_number == "+15148731234"
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await bot.send_photo(WORKER, "no-such-file")
        with pytest.raises(BadRequest, match=r"(?i)can't use file of type document as photo"):
            await bot.send_photo(WORKER, document["document"]["file_id"])

    client.send_text(WORKER, "/start")
    with_bot(server, body)
    kinds = [
        next(k for k in ("photo", "document", "voice", "location", "contact") if k in m)
        for m in client.messages(WORKER)
    ]
    assert kinds == ["photo", "photo", "document", "voice", "location", "contact"]


def test_copy_message_keeps_content_with_new_caption(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(WORKER, "/start")
    photo = client.send_photo(OFFICER, "original caption")
    where = client.send_location(OFFICER, 45.5, -73.6)
    sticker = client.send_sticker(OFFICER)
    dice = client.send_message(OFFICER, {"dice": {"emoji": "🎲", "value": 4}})

    async def body(bot: Bot) -> None:
        copied = await bot.copy_message(
            WORKER,
            OFFICER,
            photo["message_id"],
            caption="<b>C-0042</b> from the officer",
            parse_mode="HTML",
            reply_markup=keyboard("Reply"),
        )
        assert copied.message_id == 2
        await bot.copy_message(WORKER, OFFICER, where["message_id"], caption="ignored")
        await bot.copy_message(WORKER, OFFICER, sticker["message_id"])
        await bot.copy_message(WORKER, OFFICER, dice["message_id"])
        with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
            await bot.copy_message(WORKER, OFFICER, 999)
        with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
            await bot.copy_message(WORKER, OFFICER, photo["message_id"], caption="c" * 1025)
        forwarded = await bot.forward_message(WORKER, OFFICER, where["message_id"])
        assert forwarded.forward_origin.sender_user.id == OFFICER
        assert forwarded.location.latitude == 45.5

    with_bot(server, body)
    got = client.messages(WORKER)
    assert got[0]["photo"] == photo["photo"]
    assert got[0]["caption"] == "C-0042 from the officer"
    assert got[0]["caption_entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert got[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Reply"
    assert got[1]["location"] == {"latitude": 45.5, "longitude": -73.6}
    assert "caption" not in got[1]
    assert got[2]["sticker"] == sticker["sticker"] and got[3]["dice"]["value"] == 4


# -- edits, deletes, callbacks --------------------------------------------------------


def test_edits_are_visible_and_not_modified_is_refused(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(WORKER, "/start")
    photo = client.send_photo(OFFICER)

    async def body(bot: Bot) -> None:
        card = await bot.send_message(WORKER, "C-0042 offered", reply_markup=keyboard("Accept"))
        edited = await bot.edit_message_text(
            "C-0042 offered", WORKER, card.message_id, reply_markup=keyboard("Accept", "Decline")
        )
        assert edited.edit_date is not None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text(
                "C-0042 offered",
                WORKER,
                card.message_id,
                reply_markup=keyboard("Accept", "Decline"),
            )
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        await bot.edit_message_text("C-0042 taken by Gagnon", WORKER, card.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("nope", WORKER, 999)
        with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
            await bot.edit_message_text("nope", WORKER, 1)  # the user's own /start
        await bot.edit_message_reply_markup(
            WORKER, card.message_id, reply_markup=keyboard("Reopen")
        )
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_reply_markup(
                WORKER, card.message_id, reply_markup=keyboard("Reopen")
            )
        spare = await bot.send_message(WORKER, "spare", reply_markup=keyboard("X"))
        await bot.edit_message_reply_markup(
            WORKER, spare.message_id, reply_markup=InlineKeyboardMarkup([])
        )
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_reply_markup(WORKER, spare.message_id)
        await bot.delete_message(WORKER, spare.message_id)
        pic = await bot.copy_message(WORKER, OFFICER, photo["message_id"], caption="v1")
        await bot.edit_message_caption(WORKER, pic.message_id, caption="v2")
        with pytest.raises(BadRequest, match=r"(?i)no text in the message to edit"):
            await bot.edit_message_text("x", WORKER, pic.message_id)
        note = await bot.send_message(WORKER, "temporary")
        assert await bot.delete_message(WORKER, note.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await bot.delete_message(WORKER, note.message_id)

    with_bot(server, body)
    card, pic = client.messages(WORKER)
    assert card["text"] == "C-0042 taken by Gagnon" and "edit_date" in card
    assert card["reply_markup"]["inline_keyboard"][0][0]["text"] == "Reopen"
    assert pic["caption"] == "v2"
    log = client.render_transcript({WORKER: "worker Roy"})
    assert "[bot edited msg 2 for worker Roy] C-0042 taken by Gagnon" in log
    assert "[bot changed the buttons of msg 2 for worker Roy] [Reopen]" in log
    assert "[bot changed the buttons of msg 3 for worker Roy] (none)" in log
    assert "[bot deleted msg 5 for worker Roy]" in log


def test_press_and_answer_flow(server: SandboxServer, client: SandboxClient) -> None:
    client.send_text(WORKER, "/start")

    async def body(bot: Bot) -> None:
        card = await bot.send_message(
            WORKER,
            "C-0042: domestic violence, urgent",
            reply_markup=keyboard("Accept C-0042", "Decline"),
        )
        query_id = await asyncio.to_thread(
            client.press, WORKER, card.message_id, text="Accept"
        )  # substring of the label
        updates = await bot.get_updates()
        query = updates[-1].callback_query
        assert query.id == query_id and query.data == "cb:accept c-0042"
        assert query.message.message_id == card.message_id and query.from_user.id == WORKER
        assert query.message.reply_markup == card.reply_markup and query.chat_instance
        assert await asyncio.to_thread(client.callback_answer, query_id) is None
        assert await query.answer("Taken", show_alert=True)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await query.answer("twice")
        with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
            await bot.answer_callback_query("123")
        answer = await asyncio.to_thread(client.wait_for_callback_answer, query_id, 5)
        assert answer["text"] == "Taken" and answer["show_alert"] is True

        exact = await asyncio.to_thread(client.press, WORKER, card.message_id, text="Decline")
        forged = await asyncio.to_thread(
            client.press, WORKER, card.message_id, data="cb:accept c-9999"
        )
        updates = await bot.get_updates(offset=updates[-1].update_id + 1)
        assert [(u.callback_query.id, u.callback_query.data) for u in updates] == [
            (exact, "cb:decline"),
            (forged, "cb:accept c-9999"),
        ]

    with_bot(server, body)
    log = client.render_transcript({WORKER: "worker Roy"})
    assert '[worker Roy pressed "Accept C-0042"]' in log
    assert '[bot answered worker Roy\'s press with alert: "Taken"]' in log
    assert '[worker Roy sent callback data "cb:accept c-9999" (no such button)]' in log


def test_press_of_missing_button_lists_the_available_ones(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(WORKER, "/start")
    card = with_bot(
        server, lambda bot: bot.send_message(WORKER, "Offer", reply_markup=keyboard("Accept"))
    )
    with pytest.raises(ValueError, match=r"no button 'Refuse'.*\['Accept'\]"):
        client.press(WORKER, card.message_id, text="Refuse")
    with pytest.raises(ValueError, match="message 42 not found"):
        client.press(WORKER, 42, text="Accept")
    assert client.pending_updates() == 1  # only the /start


def test_press_many_lands_in_one_batch(server: SandboxServer, client: SandboxClient) -> None:
    for uid in (WORKER, WORKER2):
        client.send_text(uid, "/start")

    async def body(bot: Bot) -> None:
        first = await bot.get_updates()
        cards = [
            await bot.send_message(uid, "C-7", reply_markup=keyboard("Accept"))
            for uid in (WORKER, WORKER2)
        ]
        ids = await asyncio.to_thread(
            client.press_many,
            [
                {"user_id": WORKER, "message_id": cards[0].message_id, "text": "Accept"},
                {"user_id": WORKER2, "message_id": cards[1].message_id, "text": "Accept"},
            ],
        )
        batch = await bot.get_updates(offset=first[-1].update_id + 1)
        assert [u.callback_query.id for u in batch] == ids
        assert [u.callback_query.from_user.id for u in batch] == [WORKER, WORKER2]
        with pytest.raises(ValueError):
            await asyncio.to_thread(
                client.press_many,
                [
                    {"user_id": WORKER, "message_id": cards[0].message_id, "text": "Accept"},
                    {"user_id": WORKER2, "message_id": cards[1].message_id, "text": "Nope"},
                ],
            )
        assert client.pending_updates() == 2  # nothing of the refused batch was queued

    with_bot(server, body)


def test_expired_callback_query_cannot_be_answered() -> None:
    with SandboxServer(TOKEN, callback_query_ttl=0.0) as srv, srv.client() as c:
        c.add_user(WORKER, "Roy")
        c.send_text(WORKER, "/start")

        async def body(bot: Bot) -> None:
            card = await bot.send_message(WORKER, "Offer", reply_markup=keyboard("Accept"))
            query_id = await asyncio.to_thread(c.press, WORKER, card.message_id, text="Accept")
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await bot.answer_callback_query(query_id)

        with_bot(srv, body)


# -- bot profile -----------------------------------------------------------------------


def test_commands_menu_button_and_descriptions_are_recorded(
    server: SandboxServer, client: SandboxClient
) -> None:
    async def body(bot: Bot) -> None:
        commands = [BotCommand("start", "Démarrer"), BotCommand("help", "Aide")]
        assert await bot.set_my_commands(commands)
        assert await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
        assert list(await bot.get_my_commands()) == commands
        assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
        assert await bot.set_my_description("Consultations police - intervention sociale")
        assert await bot.set_my_short_description("Relais")
        assert (await bot.get_my_short_description()).short_description == "Relais"
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Bad-Name", "x")])

    with_bot(server, body)
    assert [c["command"] for c in client.bot_commands()] == ["start", "help"]
    assert client.bot_commands(language_code="en") == [{"command": "start", "description": "Start"}]
    info = client.info()
    assert info["profile"]["short_description"] == {"": "Relais"}
    assert info["menu_buttons"] == {"None": {"type": "commands"}}

    async def delete(bot: Bot) -> None:
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()

    with_bot(server, delete)


def test_each_user_sees_the_menu_telegram_would_pick_for_their_chat_and_language(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.add_user(WORKER2, "Gagnon", language_code="en-CA")
    for user in (OFFICER, WORKER, WORKER2):
        client.send_text(user, "/start")

    async def body(bot: Bot) -> None:
        assert await bot.set_my_commands([BotCommand("help", "Aide")])
        assert await bot.set_my_commands([BotCommand("help", "Help")], language_code="en")
        officer = [BotCommand("consult", "Ouvrir"), BotCommand("help", "Aide")]
        assert await bot.set_my_commands(officer, scope=BotCommandScopeChat(OFFICER))
        assert await bot.get_my_commands(scope=BotCommandScopeChat(str(OFFICER))) == tuple(officer)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.set_my_commands(officer, scope=BotCommandScopeChat(4242))
        assert await bot.set_my_commands(
            [BotCommand("on", "On")], scope=BotCommandScopeChat(WORKER)
        )
        assert await bot.delete_my_commands(scope=BotCommandScopeChat(WORKER))

    with_bot(server, body)
    assert [c["command"] for c in client.menu(OFFICER)] == ["consult", "help"]
    assert client.menu(WORKER) == [{"command": "help", "description": "Aide"}]  # deleted: default
    assert client.menu(WORKER2) == [{"command": "help", "description": "Help"}]  # en-CA: en
    scope = {"type": "chat", "chat_id": OFFICER}
    assert [c["command"] for c in client.bot_commands(scope)] == ["consult", "help"]


def test_get_chat_and_chat_action(server: SandboxServer, client: SandboxClient) -> None:
    client.send_text(WORKER, "/start")

    async def body(bot: Bot) -> None:
        chat = await bot.get_chat(WORKER)
        assert chat.type == "private" and chat.first_name == "Roy" and chat.username == "roy_ts"
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.get_chat(999)
        assert await bot.send_chat_action(WORKER, "typing")
        with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
            await bot.send_chat_action(WORKER, "dancing")

    with_bot(server, body)


# -- user side conveniences -----------------------------------------------------------


def test_wait_for_wakes_on_a_later_message_and_edit(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "/start")

    async def body(bot: Bot) -> None:
        waiter = asyncio.create_task(
            asyncio.to_thread(client.wait_for_text, OFFICER, "accepted", 5)
        )
        first = await bot.send_message(OFFICER, "C-0042 sent to 2 workers")
        await bot.edit_message_text("C-0042 accepted by Roy", OFFICER, first.message_id)
        found = await waiter
        assert found["message_id"] == first.message_id and "edit_date" in found
        new = asyncio.create_task(
            asyncio.to_thread(client.wait_for_new, OFFICER, first.message_id, 5)
        )
        await bot.send_photo(
            OFFICER,
            (await asyncio.to_thread(client.send_photo, WORKER))["photo"][0]["file_id"],
            caption="scene",
        )
        assert (await new)["caption"] == "scene"

    with_bot(server, body)
    assert client.wait_for_text(OFFICER, "scene", timeout=0.1)["photo"]


def test_wait_for_timeout_includes_the_transcript(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "/start INVITE")
    with_bot(server, lambda bot: bot.send_message(OFFICER, "Bienvenue, agent."))
    with pytest.raises(TimeoutError) as exc:
        client.wait_for_text(OFFICER, "never sent", timeout=0.3)
    text = str(exc.value)
    assert "text containing 'never sent'" in text
    assert "[Tremblay -> bot] /start INVITE" in text
    assert "[bot -> Tremblay] Bienvenue, agent." in text
    assert "1 update(s) not yet confirmed by the bot" in text


def test_wait_until_idle_waits_for_confirmation(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "hello")
    with pytest.raises(TimeoutError, match="1 update"):
        client.wait_until_idle(timeout=0.2)

    async def body(bot: Bot) -> None:
        updates = await bot.get_updates()
        assert client.pending_updates() == 1  # fetched, not yet confirmed
        await bot.get_updates(offset=updates[-1].update_id + 1)

    with_bot(server, body)
    client.wait_until_idle(timeout=2, quiet=0.05)


def test_group_chat_and_unsupported_content(server: SandboxServer, client: SandboxClient) -> None:
    in_group = client.send_text(OFFICER, "/help@relais_sandbox_bot", chat_id=-42, chat_type="group")
    assert in_group["chat"] == {"id": -42, "type": "group", "title": "Group -42"}
    assert in_group["entities"][0] == {"type": "bot_command", "offset": 0, "length": 24}
    poll = client.send_poll(OFFICER, "Lunch?", ["yes", "no"])
    quiz = client.send_poll(OFFICER, "2 + 2?", ["4", "5"], quiz=True)
    with pytest.raises(ValueError, match="group chat ids are negative"):
        client.send_text(OFFICER, "x", chat_id=42, chat_type="group")
    with pytest.raises(ValueError, match="unknown user"):
        client.send_text(777, "who am I")

    updates = with_bot(server, lambda bot: bot.get_updates())
    assert updates[0].message.chat.type == "group"
    assert updates[1].message.poll.question == "Lunch?"  # Telegram's shape: PTB 22.8 reads it
    regular, quiz_poll = updates[1].message.poll, updates[2].message.poll
    assert [o.persistent_id for o in regular.options] == ["1-0", "1-1"]
    assert regular.allows_revoting and not regular.members_only
    assert quiz_poll.type == "quiz" and quiz_poll.correct_option_ids == (0,)
    assert poll["message_id"] == 1  # first message of the officer's private chat
    assert quiz["message_id"] == 2


def test_reset_forgets_the_world_but_update_ids_keep_rising(
    server: SandboxServer, client: SandboxClient
) -> None:
    before = client.send_text(OFFICER, "one")
    first = with_bot(server, lambda bot: bot.get_updates())[0].update_id
    client.reset()
    assert client.transcript() == [] and client.pending_updates() == 0
    with pytest.raises(ValueError):
        client.send_text(OFFICER, "gone")
    client.add_user(OFFICER, "Tremblay")
    after = client.send_text(OFFICER, "two")
    assert after["message_id"] == before["message_id"] == 1
    assert with_bot(server, lambda bot: bot.get_updates())[0].update_id > first


def test_transcript_entries_and_render_names(server: SandboxServer, client: SandboxClient) -> None:
    client.send_text(OFFICER, "Line one\nline two")
    client.send_voice(OFFICER, duration=4)
    client.send_location(OFFICER, 45.5, -73.56)
    entries = client.transcript()
    assert [e["event"] for e in entries] == ["user_message"] * 3
    assert entries[0]["chat_id"] == OFFICER and entries[0]["user_id"] == OFFICER
    log = client.render_transcript({OFFICER: "officer Tremblay"})
    assert log.splitlines() == [
        "[officer Tremblay -> bot] Line one",
        "    line two",
        "[officer Tremblay -> bot] (voice 4s)",
        "[officer Tremblay -> bot] (location 45.50000, -73.56000)",
    ]


def test_parse_text_html_markdown_and_stripping() -> None:
    assert parse_text("  <b>hi</b>  ", "HTML") == (
        "hi",
        [{"type": "bold", "offset": 0, "length": 2}],
    )
    text, entities = parse_text('<a href="https://x.org/?a=1&amp;b=2">lien</a>', "html")
    assert text == "lien" and entities[0]["url"] == "https://x.org/?a=1&b=2"
    text, entities = parse_text(r"*C\-0042* _urgent_ \(2\)", "MarkdownV2")
    assert text == "C-0042 urgent (2)"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 6),
        ("italic", 7, 6),
    ]
    text, entities = parse_text("see https://relais.example/x and /help", None)
    assert [e["type"] for e in entities] == ["url", "bot_command"]


# -- a real PTB Application polling the sandbox ---------------------------------------


def test_ptb_application_polls_handles_and_confirms(
    server: SandboxServer, client: SandboxClient
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        code = context.args[0] if context.args else "?"
        await update.effective_message.reply_text(
            f"Code {code} accepted.", reply_markup=keyboard("Ready")
        )

    async def ready(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text("You are on duty.")

    async def main() -> None:
        app = Application.builder().token(TOKEN).base_url(server.base_url).build()
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CallbackQueryHandler(ready))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0, timeout=5, allowed_updates=Update.ALL_TYPES
            )
            await asyncio.to_thread(client.send_text, WORKER, "/start ABC123")
            card = await asyncio.to_thread(client.wait_for_text, WORKER, "accepted", 5)
            assert "reply_to_message" not in card  # PTB quotes only in groups by default
            query_id = await asyncio.to_thread(
                client.press, WORKER, card["message_id"], text="Ready"
            )
            await asyncio.to_thread(client.wait_for_text, WORKER, "on duty", 5)
            answer = await asyncio.to_thread(client.wait_for_callback_answer, query_id, 5)
            assert answer["text"] == "Noted"
            await app.updater.stop()
            await app.stop()
        assert client.pending_updates() == 0  # PTB's final getUpdates confirmed the batch

    asyncio.run(main())
    log = client.render_transcript({WORKER: "worker Roy"})
    assert log.splitlines() == [
        "[worker Roy -> bot] /start ABC123",
        "[bot -> worker Roy] Code ABC123 accepted.  [Ready]",
        '[worker Roy pressed "Ready"]',
        '[bot answered worker Roy\'s press with toast: "Noted"]',
        "[bot edited msg 2 for worker Roy] You are on duty.",
    ]


def test_reply_keyboard_is_kept_for_the_user_side(
    server: SandboxServer, client: SandboxClient
) -> None:
    client.send_text(OFFICER, "/new")
    ask = ReplyKeyboardMarkup(
        [[KeyboardButton("Share location", request_location=True)]], one_time_keyboard=True
    )

    async def body(bot: Bot) -> None:
        sent = await bot.send_message(OFFICER, "Where are you?", reply_markup=ask)
        assert sent.reply_markup is None  # Telegram keeps reply keyboards out of messages
        keyboard_now = await asyncio.to_thread(client.reply_keyboard, OFFICER)
        assert keyboard_now is not None
        assert keyboard_now["keyboard"][0][0]["request_location"] is True
        await bot.send_message(OFFICER, "Thanks", reply_markup=ReplyKeyboardRemove())

    with_bot(server, body)
    assert client.reply_keyboard(OFFICER) is None
    assert "Where are you?  {Share location}" in client.render_transcript()


def test_serve_forever_runs_on_the_callers_loop() -> None:
    server = SandboxServer(TOKEN)

    async def main() -> None:
        listening = asyncio.Event()
        serving = asyncio.create_task(server.serve_forever(lambda _: listening.set()))
        await asyncio.wait_for(listening.wait(), 5)
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            assert (await bot.get_me()).username == "relais_sandbox_bot"
        server.stop()
        await asyncio.wait_for(serving, 5)

    asyncio.run(main())
    assert not server.running


def test_injected_error_and_late_answer(server: SandboxServer, client: SandboxClient) -> None:
    client.send_text(WORKER, "/start")
    client.inject_error(method="sendMessage", error_code=502, description="Bad Gateway")
    client.inject_delay(method="sendMessage", chat_id=WORKER, seconds=30)

    async def body(bot: Bot) -> None:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(WORKER, "lost")
        with pytest.raises(TimedOut):
            await bot.send_message(WORKER, "slow but delivered", read_timeout=0.3)
        assert (await bot.send_message(WORKER, "normal")).text == "normal"

    with_bot(server, body)
    assert [m["text"] for m in client.messages(WORKER)] == ["slow but delivered", "normal"]
    with pytest.raises(ValueError, match="error_code"):
        client.inject_error(error_code=200)


def test_wait_for_ignores_messages_the_predicate_cannot_read(
    server: SandboxServer, client: SandboxClient
) -> None:
    photo = client.send_photo(OFFICER)

    async def body(bot: Bot) -> None:
        await bot.send_photo(OFFICER, photo["photo"][0]["file_id"])
        await bot.send_message(OFFICER, "after the photo")

    with_bot(server, body)
    found = client.wait_for(OFFICER, lambda m: "after" in m["text"], timeout=1)
    assert found["message_id"] == 3


def test_stop_ends_a_pending_long_poll_promptly() -> None:
    server = SandboxServer(TOKEN).start()
    polling = generation_event(server, 1)

    async def main() -> None:
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            started = time.monotonic()
            task = asyncio.create_task(bot.get_updates(timeout=30))
            assert await asyncio.to_thread(polling.wait, 5)
            await asyncio.to_thread(server.stop)
            assert await task == ()
            assert time.monotonic() - started < 10

    asyncio.run(main())
    assert not server.running
