"""The in-memory world behind the sandbox: users, chats, messages, updates, transcript.

Why: the emulator must behave like one Telegram server seen by one bot. Every piece of
state lives in one ``World`` behind one re-entrant lock, so the bot-side API (served on
the server's event loop) and in-process readers (the demo, debugging) never see a
half-applied change. Each change bumps ``version`` and notifies listeners, which is what
long polling on both sides waits on.
"""

from __future__ import annotations

import copy
import itertools
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.formatting import auto_entities, describe_content
from sandbox.limits import FaultInjector, RateLimits

__all__ = [
    "DEFAULT_ALLOWED_UPDATES",
    "ApiError",
    "CallbackRecord",
    "SandboxChat",
    "SandboxUser",
    "StoredMessage",
    "WebhookConfig",
    "World",
    "bad_request",
]

JSON = dict[str, Any]

# Telegram's default when allowed_updates is empty or never set.
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code, Telegram's description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass
class WebhookConfig:
    """A webhook set by setWebhook: where updates are POSTed, one at a time, in order."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0  # updates the bot answered 2xx to
    failed: int = 0  # attempts that got a non-2xx answer or no answer


@dataclass
class SandboxUser:
    """A human Telegram account acting through the user side."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False

    def api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def display_name(self) -> str:
        return " ".join(x for x in (self.first_name, self.last_name) if x)


@dataclass
class StoredMessage:
    """A message as Telegram would return it now (``data``), plus sandbox bookkeeping."""

    data: JSON
    outgoing: bool
    deleted: bool = False
    parse_mode: str | None = None

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])


@dataclass
class SandboxChat:
    """A private chat (id == user id) or a group; message ids increase per chat."""

    id: int
    type: str
    user_id: int | None = None
    title: str | None = None
    username: str | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    bot_member: bool = True
    reply_keyboard: JSON | None = None
    member_ids: set[int] = field(default_factory=set)

    @property
    def private(self) -> bool:
        return self.type == "private"


@dataclass
class CallbackRecord:
    """One button press and, once the bot answered it, the answer."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    button_text: str | None
    created: float
    answer: JSON | None = None


@dataclass
class FileRecord:
    kind: str
    obj: Any


_MEDIA_KINDS = (
    "photo",
    "voice",
    "audio",
    "document",
    "video",
    "animation",
    "sticker",
    "video_note",
    "poll",  # not a file, but generated like one: Telegram's full shape, fresh ids
)


class World:
    """Everything the fake Telegram knows. Public methods are thread-safe (one RLock)."""

    def __init__(
        self,
        bot_id: int,
        bot_username: str,
        *,
        bot_first_name: str = "Relais (sandbox)",
        enforce_limits: bool = False,
        callback_query_ttl: float | None = 15.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.callback_query_ttl = callback_query_ttl
        self.clock = clock
        self.monotonic = monotonic
        self.version = 0
        self._listeners: list[Callable[[], None]] = []
        self.faults = FaultInjector()
        self.limits: RateLimits | None = RateLimits(monotonic) if enforce_limits else None
        self.flood_answers = 0  # 429s the bot received (limits or injected)
        self.last_batch: list[JSON] = []  # what getUpdates answered last (for "repeat")
        # Survive reset(): a running bot's confirmed offset must stay valid.
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.poll_generation = 0
        self.inflight_calls = 0
        self.last_bot_call = monotonic()
        self.closing = False
        self._clear()

    def _clear(self) -> None:
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.updates: list[JSON] = []
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.allowed_updates_param: list[str] = []
        self.callbacks: dict[str, CallbackRecord] = {}
        self.transcript: list[JSON] = []
        self.files: dict[str, FileRecord] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.profile: dict[str, dict[str, str]] = {
            "name": {},
            "description": {},
            "short_description": {},
        }
        self.chat_actions: list[JSON] = []
        self.webhook: WebhookConfig | None = None
        self.faults.reset()
        if self.limits is not None:
            self.limits.reset()

    def set_limits(self, enabled: bool) -> None:
        """Telegram-like rate limits on (fresh buckets) or off."""
        with self.lock:
            self.limits = RateLimits(self.monotonic) if enabled else None

    # -- change notification ------------------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> None:
        with self.lock:
            self._listeners.append(callback)

    def touch(self) -> None:
        """Record that something changed and wake every long poll."""
        with self.lock:
            self.version += 1
            for callback in list(self._listeners):
                callback()

    def reset(self) -> None:
        """Forget the world (users, chats, updates, transcript); ids keep increasing."""
        with self.lock:
            self._clear()
            self.touch()

    # -- identities ---------------------------------------------------------------------

    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def chat_api(self, chat: SandboxChat) -> JSON:
        if chat.private:
            user = self.users[chat.user_id or chat.id]
            data: JSON = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
            return data
        data = {"id": chat.id, "type": chat.type, "title": chat.title or f"Group {chat.id}"}
        if chat.username:
            data["username"] = chat.username
        return data

    def chat_instance(self, chat_id: int) -> str:
        return str((chat_id * 2654435761 + self.bot_id * 40503) % (2**62) - 2**61)

    # -- messages -----------------------------------------------------------------------

    def find_message(self, chat: SandboxChat, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            return None
        stored = chat.messages.get(message_id)
        return None if stored is None or stored.deleted else stored

    def add_message(
        self,
        chat: SandboxChat,
        content: JSON,
        *,
        outgoing: bool,
        sender: JSON,
        reply_to: StoredMessage | None = None,
        reply_markup: JSON | None = None,
        parse_mode: str | None = None,
    ) -> StoredMessage:
        """Store a new message in ``chat`` with the next message id; returns it."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": self.chat_api(chat),
            "date": int(self.clock()),
        }
        if reply_to is not None:
            snapshot = copy.deepcopy(reply_to.data)
            snapshot.pop("reply_to_message", None)
            data["reply_to_message"] = snapshot
        data.update(copy.deepcopy(content))
        if reply_markup is not None:
            data["reply_markup"] = copy.deepcopy(reply_markup)
        stored = StoredMessage(data=data, outgoing=outgoing, parse_mode=parse_mode)
        chat.messages[message_id] = stored
        return stored

    def visible_messages(self, chat_id: int, include_user: bool = False) -> list[JSON]:
        with self.lock:
            chat = self.chats.get(chat_id)
            if chat is None:
                return []
            return [
                copy.deepcopy(m.data)
                for _, m in sorted(chat.messages.items())
                if not m.deleted and (m.outgoing or include_user)
            ]

    # -- files --------------------------------------------------------------------------

    def new_media(self, kind: str, **opts: Any) -> Any:
        """A fresh media object of ``kind`` (photo sizes list, voice, document...)."""
        if kind not in _MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}; expected one of {_MEDIA_KINDS}")
        with self.lock:
            n = next(self._file_ids)
            if kind == "poll":
                return new_poll(n, **opts)
            if kind == "photo":
                sizes = []
                for i, (w, h) in enumerate(((90, 67), (320, 240), (800, 600))):
                    sizes.append(
                        {
                            "file_id": f"AgACAgSBXphoto{n:06d}s{i}",
                            "file_unique_id": f"AQADphoto{n:06d}s{i}",
                            "width": w,
                            "height": h,
                            "file_size": w * h // 8,
                        }
                    )
                for size in sizes:
                    self.files[size["file_id"]] = FileRecord("photo", sizes)
                return copy.deepcopy(sizes)
            obj: JSON = {
                "file_id": f"BQACAgSBX{kind}{n:06d}",
                "file_unique_id": f"AgADSBX{kind}{n:06d}",
                "file_size": int(opts.get("file_size", 24_000)),
            }
            duration = int(opts.get("duration", 3))
            if kind == "voice":
                obj.update(duration=duration, mime_type="audio/ogg")
            elif kind == "audio":
                obj.update(
                    duration=duration,
                    mime_type="audio/mpeg",
                    file_name=opts.get("file_name", "audio.mp3"),
                )
                if opts.get("title"):
                    obj["title"] = opts["title"]
            elif kind == "document":
                name = str(opts.get("file_name") or "document.bin")
                obj.update(
                    file_name=name,
                    mime_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                )
            elif kind == "video":
                obj.update(width=640, height=360, duration=duration, mime_type="video/mp4")
            elif kind == "animation":
                obj.update(
                    width=320,
                    height=240,
                    duration=duration,
                    mime_type="video/mp4",
                    file_name="animation.mp4",
                )
            elif kind == "video_note":
                obj.update(length=240, duration=duration)
            elif kind == "sticker":
                obj.update(
                    type="regular",
                    width=512,
                    height=512,
                    is_animated=False,
                    is_video=False,
                    emoji=opts.get("emoji", "🙂"),
                )
            self.files[obj["file_id"]] = FileRecord(kind, obj)
            return copy.deepcopy(obj)

    # -- updates ------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JSON) -> int | None:
        """Queue an update unless allowed_updates excludes it (Telegram drops those)."""
        with self.lock:
            if kind not in self.allowed_updates:
                return None
            update_id = next(self._update_ids)
            self.updates.append({"update_id": update_id, kind: copy.deepcopy(payload)})
            return update_id

    def set_allowed_updates(self, allowed: list[str]) -> None:
        with self.lock:
            self.allowed_updates_param = list(allowed)
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES

    def confirm(self, offset: int) -> None:
        """getUpdates offset semantics: ids below a positive offset are confirmed and
        forgotten; a negative offset keeps only the last -offset updates."""
        with self.lock:
            if offset > 0:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            elif offset < 0:
                self.updates = self.updates[offset:]

    def delivered(self, update_id: int) -> None:
        """A webhook delivery was answered 2xx: that update is confirmed."""
        with self.lock:
            self.updates = [u for u in self.updates if u["update_id"] != update_id]
            if self.webhook is not None:
                self.webhook.delivered += 1
            self.touch()

    def delivery_failed(self, message: str) -> None:
        """A webhook delivery failed (non-2xx, no answer): kept, retried later, in order."""
        with self.lock:
            if self.webhook is not None:
                self.webhook.failed += 1
                self.webhook.last_error_date = int(self.clock())
                self.webhook.last_error_message = message

    def peek(self, limit: int) -> list[JSON]:
        with self.lock:
            return copy.deepcopy(self.updates[:limit])

    # -- transcript ---------------------------------------------------------------------

    def log(self, event: str, chat: SandboxChat | None, **fields: Any) -> None:
        with self.lock:
            entry: JSON = {"seq": len(self.transcript) + 1, "time": self.clock(), "event": event}
            if chat is not None:
                entry["chat_id"] = chat.id
                entry["chat_type"] = chat.type
                if not chat.private:
                    entry["chat_title"] = chat.title or f"Group {chat.id}"
                    entry.setdefault("user_id", None)
                else:
                    entry["user_id"] = chat.user_id
            entry.update(fields)
            self.transcript.append(entry)

    def log_message(
        self, event: str, chat: SandboxChat, stored: StoredMessage, **extra: Any
    ) -> None:
        data = stored.data
        fields: JSON = {
            "message_id": stored.message_id,
            "text": describe_content(data),
            "buttons": button_labels(data.get("reply_markup")),
        }
        if "reply_to_message" in data:
            fields["reply_to"] = data["reply_to_message"]["message_id"]
        if not stored.outgoing and not chat.private:
            fields["user_id"] = data.get("from", {}).get("id")
        fields.update(extra)
        self.log(event, chat, **fields)

    def render(self, names: dict[int, str] | None = None, chat_id: int | None = None) -> str:
        with self.lock:
            entries = [e for e in self.transcript if chat_id is None or e.get("chat_id") == chat_id]
            return render_entries(entries, self.users, names or {})

    # -- user side ----------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "fr",
        username: str | None = None,
        last_name: str | None = None,
        started: bool = False,
    ) -> JSON:
        if user_id <= 0:
            raise ValueError("user ids are positive integers")
        if user_id == self.bot_id:
            raise ValueError("that id is the bot's")
        if not first_name:
            raise ValueError("first_name is required")
        with self.lock:
            user = SandboxUser(user_id, first_name, last_name, username, language_code)
            existing = self.users.get(user_id)
            if existing is not None:
                user.blocked = existing.blocked
            self.users[user_id] = user
            if started:
                self._private_chat(user)
            self.touch()
            return user.api()

    def _user(self, user_id: int) -> SandboxUser:
        user = self.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}; call add_user first")
        return user

    def _private_chat(self, user: SandboxUser) -> SandboxChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = SandboxChat(id=user.id, type="private", user_id=user.id)
            self.chats[user.id] = chat
        return chat

    def _member_update(self, chat: SandboxChat, user: SandboxUser, old: str, new: str) -> None:
        def member(status: str) -> JSON:
            data: JSON = {"status": status, "user": self.bot_user()}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.enqueue(
            "my_chat_member",
            {
                "chat": self.chat_api(chat),
                "from": user.api(),
                "date": int(self.clock()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """The user blocks (or unblocks) the bot: sends then fail with 403."""
        with self.lock:
            user = self._user(user_id)
            if user.blocked == blocked:
                return
            user.blocked = blocked
            chat = self.chats.get(user_id)
            if chat is not None:
                old, new = ("member", "kicked") if blocked else ("kicked", "member")
                self._member_update(chat, user, old, new)
            self.log("block" if blocked else "unblock", chat, user_id=user_id)
            self.touch()

    def user_send(
        self,
        user_id: int,
        fields: JSON,
        *,
        reply_to: int | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
        media: JSON | None = None,
    ) -> JSON:
        """A user sends a message to the bot (private chat or group); queues the update."""
        with self.lock:
            user = self._user(user_id)
            content = copy.deepcopy(fields)
            if media:
                media = dict(media)
                kind = str(media.pop("kind"))
                caption = media.pop("caption", None)
                content[kind] = self.new_media(kind, **media)
                if caption:
                    content["caption"] = str(caption)
            if "text" in content:
                text = str(content["text"])
                if not text.strip():
                    raise ValueError("a user cannot send an empty text")
                content["text"] = text
                content.setdefault("entities", auto_entities(text))
                if not content["entities"]:
                    del content["entities"]
            if "caption" in content and "caption_entities" not in content:
                found = auto_entities(str(content["caption"]))
                if found:
                    content["caption_entities"] = found
            if not content:
                raise ValueError("a message needs some content")
            chat = self._chat_for_user(user, chat_id, chat_type)
            if chat.private and user.blocked:
                user.blocked = False
                self._member_update(chat, user, "kicked", "member")
                self.log("unblock", chat, user_id=user.id)
            replied = None
            if reply_to is not None:
                replied = self.find_message(chat, reply_to)
                if replied is None:
                    raise ValueError(f"message {reply_to} not found in chat {chat.id}")
            stored = self.add_message(
                chat, content, outgoing=False, sender=user.api(), reply_to=replied
            )
            self.log_message("user_message", chat, stored)
            self.enqueue("message", stored.data)
            self.touch()
            return copy.deepcopy(stored.data)

    def user_edit(self, user_id: int, message_id: int, text: str) -> JSON:
        """A user edits the text of a message they sent in their private chat with the bot;
        queues an edited_message update, as Telegram does."""
        with self.lock:
            user = self._user(user_id)
            chat = self._private_chat(user)
            stored = self.find_message(chat, message_id)
            if stored is None or stored.outgoing or "text" not in stored.data:
                raise ValueError(f"no text of user {user_id} with id {message_id} to edit")
            if not text.strip():
                raise ValueError("a user cannot edit a text into an empty one")
            stored.data["text"] = text
            stored.data.pop("entities", None)
            found = auto_entities(text)
            if found:
                stored.data["entities"] = found
            stored.data["edit_date"] = max(int(self.clock()), stored.data["date"])
            self.log_message("user_edit", chat, stored)
            self.enqueue("edited_message", stored.data)
            self.touch()
            return copy.deepcopy(stored.data)

    def _chat_for_user(self, user: SandboxUser, chat_id: int | None, chat_type: str) -> SandboxChat:
        if chat_id is None or chat_id == user.id:
            if chat_type != "private":
                raise ValueError("a group chat needs a (negative) chat_id")
            return self._private_chat(user)
        if chat_type not in ("group", "supergroup"):
            raise ValueError("chat_type must be 'group' or 'supergroup' for a group chat_id")
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = SandboxChat(id=chat_id, type=chat_type, title=f"Group {chat_id}")
            self.chats[chat_id] = chat
        chat.member_ids.add(user.id)
        return chat

    def press(self, presses: Iterable[JSON]) -> list[str]:
        """Queue callback queries for button presses; all or nothing, in one batch."""
        with self.lock:
            resolved = [self._resolve_press(p) for p in presses]
            ids = []
            for user, chat, stored, data, label in resolved:
                query_id = str(4_300_000_000_000_000_000 + next(self._query_ids))
                self.callbacks[query_id] = CallbackRecord(
                    id=query_id,
                    user_id=user.id,
                    chat_id=chat.id,
                    message_id=stored.message_id,
                    data=data,
                    button_text=label,
                    created=self.monotonic(),
                )
                self.enqueue(
                    "callback_query",
                    {
                        "id": query_id,
                        "from": user.api(),
                        "message": stored.data,
                        "chat_instance": self.chat_instance(chat.id),
                        "data": data,
                    },
                )
                self.log(
                    "press",
                    chat,
                    user_id=user.id,
                    message_id=stored.message_id,
                    button=label,
                    data=data,
                    query_id=query_id,
                )
                ids.append(query_id)
            self.touch()
            return ids

    def _resolve_press(
        self, press: JSON
    ) -> tuple[SandboxUser, SandboxChat, StoredMessage, str, str | None]:
        user = self._user(int(press["user_id"]))
        chat_id = press.get("chat_id")
        chat = self.chats.get(int(chat_id) if chat_id is not None else user.id)
        message_id = int(press["message_id"])
        if chat is None:
            raise ValueError(f"user {user.id} has no chat {chat_id or user.id}")
        stored = self.find_message(chat, message_id)
        if stored is None:
            raise ValueError(f"message {message_id} not found in chat {chat.id}")
        text, data = press.get("text"), press.get("data")
        if (text is None) == (data is None):
            raise ValueError("press needs exactly one of text= (a button label) or data=")
        buttons = [b for row in inline_rows(stored.data.get("reply_markup")) for b in row]
        if data is not None:
            label = next((b["text"] for b in buttons if b.get("callback_data") == data), None)
            return user, chat, stored, str(data), label
        matches = [b for b in buttons if b.get("text") == text]
        if not matches:
            needle = str(text).casefold()
            matches = [b for b in buttons if needle in str(b.get("text", "")).casefold()]
            labels = {b["text"] for b in matches}
            if len(labels) > 1:
                raise ValueError(
                    f"button text {text!r} is ambiguous on message {message_id}: {sorted(labels)}"
                )
        if not matches:
            available = [b.get("text") for b in buttons]
            raise ValueError(
                f"no button {text!r} on message {message_id} in chat {chat.id}; "
                f"available buttons: {available}"
            )
        button = matches[0]
        if "callback_data" not in button:
            kind = next((k for k in button if k != "text"), "unknown")
            raise ValueError(
                f"button {button['text']!r} is a {kind} button, not a callback button: {button}"
            )
        return user, chat, stored, str(button["callback_data"]), str(button["text"])

    def callback_answer(self, query_id: str) -> JSON | None:
        with self.lock:
            record = self.callbacks.get(query_id)
            if record is None:
                raise ValueError(f"unknown callback query {query_id}")
            return copy.deepcopy(record.answer)

    def is_idle(self, quiet: float = 0.0) -> bool:
        with self.lock:
            return (
                not self.updates
                and self.inflight_calls == 0
                and self.monotonic() - self.last_bot_call >= quiet
            )


def new_poll(n: int, question: str = "?", options: list[str] | None = None, **opts: Any) -> JSON:
    """A poll as Telegram (Bot API 10) sends it in a message: every field python-telegram-bot
    22.8 requires (options' persistent_id, allows_revoting, members_only) is present."""
    texts = options or ["yes", "no"]
    if not 2 <= len(texts) <= 12:
        raise ValueError("a poll has 2 to 12 options")
    quiz = opts.get("type") == "quiz"
    poll: JSON = {
        "id": f"{5_420_330_432_327_155_000 + n}",
        "question": str(question),
        "options": [
            {"persistent_id": f"{n}-{i}", "text": str(text), "voter_count": 0}
            for i, text in enumerate(texts)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": bool(opts.get("is_anonymous", True)),
        "type": "quiz" if quiz else "regular",
        "allows_multiple_answers": bool(opts.get("allows_multiple_answers", False)) and not quiz,
        "allows_revoting": not quiz,
        "members_only": False,
    }
    if quiz:
        poll["correct_option_ids"] = [int(opts.get("correct_option_id", 0))]
    return poll


def inline_rows(markup: JSON | None) -> list[list[JSON]]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard")
    return rows if isinstance(rows, list) else []


def button_labels(markup: JSON | None) -> list[list[str]]:
    return [[str(b.get("text", "")) for b in row] for row in inline_rows(markup)]


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


_INLINE_WIDTH = 100


def render_entries(
    entries: list[JSON], users: dict[int, SandboxUser], names: dict[int, str]
) -> str:
    """A readable chat log, one event per line (continuation lines indented)."""

    def who(entry: JSON) -> str:
        uid = entry.get("user_id")
        if uid is not None and uid in names:
            label = names[uid]
        elif uid is not None and uid in users:
            label = users[uid].display_name
        else:
            label = f"user {uid}" if uid is not None else ""
        title = entry.get("chat_title")
        if title:
            title = names.get(entry.get("chat_id", 0), title)
            return f"{label} in {title}" if label else str(title)
        return label

    def with_buttons(line: str, entry: JSON, sep: str = "  ") -> str:
        """Buttons inline when the line stays short, else one indented line per row."""
        rows = [" ".join(f"[{b}]" for b in row) for row in entry.get("buttons") or []]
        rows += [" ".join(f"{{{k}}}" for k in row) for row in entry.get("keyboard") or []]
        rows = [r for r in rows if r]
        if not rows:
            return line
        inline = " ".join(rows)
        if "\n" not in line and len(line) + len(inline) + 2 <= _INLINE_WIDTH:
            return f"{line}{sep}{inline}"
        return line + "".join(f"\n    {row}" for row in rows)

    lines = []
    for e in entries:
        event = e["event"]
        text = _indent(str(e.get("text", "")))
        reply = f", reply to msg {e['reply_to']}" if e.get("reply_to") else ""
        if event == "user_message":
            lines.append(f"[{who(e)} -> bot{reply}] {text}")
        elif event == "user_edit":
            lines.append(f"[{who(e)} edited msg {e['message_id']}] {text}")
        elif event == "bot_message":
            lines.append(with_buttons(f"[bot -> {who(e)}{reply}] {text}", e))
        elif event == "bot_edit":
            head = f"[bot edited msg {e['message_id']} for {who(e)}]"
            lines.append(with_buttons(f"{head} {text}", e))
        elif event == "bot_edit_markup":
            head = f"[bot changed the buttons of msg {e['message_id']} for {who(e)}]"
            lines.append(with_buttons(head, e, " ") if e.get("buttons") else f"{head} (none)")
        elif event == "bot_delete":
            lines.append(f"[bot deleted msg {e['message_id']} for {who(e)}]")
        elif event == "press":
            if e.get("button") is not None:
                lines.append(f'[{who(e)} pressed "{e["button"]}"]')
            else:
                lines.append(f'[{who(e)} sent callback data "{e["data"]}" (no such button)]')
        elif event == "callback_answer":
            if e.get("text"):
                kind = "alert" if e.get("show_alert") else "toast"
                lines.append(f'[bot answered {who(e)}\'s press with {kind}: "{e["text"]}"]')
            else:
                lines.append(f"[bot answered {who(e)}'s press silently]")
        elif event == "block":
            lines.append(f"[{who(e)} blocked the bot]")
        elif event == "unblock":
            lines.append(f"[{who(e)} unblocked the bot]")
        elif event == "bot_left":
            lines.append(f"[bot left {who(e)}]")
        elif event == "bot_error":
            lines.append(f"[bot {e.get('method')} for {who(e)} failed: {e.get('error')}]")
        else:
            lines.append(f"[{event}] {text}")
    return "\n".join(line.rstrip() for block in lines for line in block.split("\n"))
