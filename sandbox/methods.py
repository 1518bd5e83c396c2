"""Bot API methods of the sandbox, with Telegram's validation rules and error texts.

Why: the real bot must run against the sandbox unchanged, so each method accepts what
Telegram accepts (values as form strings or JSON, nested objects as JSON strings) and
refuses what Telegram refuses with the same status and description. Every method runs
under the world lock, so each call is atomic like a Telegram request.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.formatting import MarkupError, parse_text
from sandbox.state import (
    JSON,
    ApiError,
    SandboxChat,
    StoredMessage,
    WebhookConfig,
    World,
    bad_request,
    too_many_requests,
)

__all__ = [
    "METHODS",
    "Params",
    "UploadedFile",
    "canonical_name",
    "chat_id_hint",
    "dispatch",
    "scope_key",
    "visible_commands",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (the bot uploaded new content)."""

    filename: str | None
    content_type: str | None
    size: int


class Params:
    """Request parameters with Telegram's lenient typing (strings, numbers, JSON strings)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)

    def has(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def get(self, name: str) -> Any:
        return self.raw.get(name)

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, UploadedFile):
            raise bad_request(f'field "{name}" must be of type String')
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def int(self, name: str, default: int | None = None, *, required: bool = False) -> int | None:
        value = self.raw.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(
                    f"{name} is empty"
                    if name.endswith("_id")
                    else f'parameter "{name}" is required'
                )
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                raise bad_request(f'field "{name}" must be a valid Number') from None
            if not as_float.is_integer():
                raise bad_request(f'field "{name}" must be a valid Number') from None
            return int(as_float)

    def float(self, name: str, *, required: bool = False) -> float | None:
        value = self.raw.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a valid Number') from None

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    def json(self, name: str, what: str | None = None) -> Any:
        value = self.raw.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what or name} JSON object") from None
        return value

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.raw.get(name)
        if value in (None, ""):
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None


# -- helpers ------------------------------------------------------------------------------


def _lookup_chat(world: World, ref: int | str) -> SandboxChat:
    if isinstance(ref, str):
        name = ref[1:].lower()
        chat = next(
            (
                c
                for c in world.chats.values()
                if not c.private and (c.username or "").lower() == name
            ),
            None,
        )
    else:
        chat = world.chats.get(ref)
    if chat is None:
        raise bad_request("chat not found")
    return chat


def _chat_for_send(world: World, ref: int | str) -> SandboxChat:
    chat = _lookup_chat(world, ref)
    if chat.private:
        user = world.users[chat.user_id or chat.id]
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
    elif not chat.bot_member:
        kind = "supergroup" if chat.type == "supergroup" else "group"
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
    return chat


def _check_limits(world: World, chat: SandboxChat) -> None:
    if world.limits is not None:
        retry_after = world.limits.check(chat.id, chat.private)
        if retry_after is not None:
            raise too_many_requests(retry_after)


_URL_SCHEMES = ("http://", "https://", "tg://")
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _reply_markup(p: Params) -> tuple[JSON | None, JSON | None]:
    """Validate reply_markup; returns (inline markup for the message, reply keyboard)."""
    markup = p.json("reply_markup", "reply keyboard markup")
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            # PTB sends InlineKeyboardMarkup([]) as "{}": no markup, as Telegram reads it.
            return None, None
        return None, markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    clean_rows = []
    for row in rows:
        clean_row = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request('can\'t find field "text"')
            actions = [k for k in _BUTTON_ACTIONS if k in button]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = str(button["url"])
                scheme = next((x for x in _URL_SCHEMES if url.lower().startswith(x)), None)
                if scheme is None or len(url) == len(scheme):
                    raise bad_request("BUTTON_URL_INVALID")
            if not button["text"].strip():
                raise bad_request("text must be non-empty")
            clean_row.append({k: v for k, v in button.items() if v is not None})
        if clean_row:
            clean_rows.append(clean_row)
    # An empty inline keyboard is no keyboard: Telegram stores none (and an edit with one
    # removes the buttons).
    return ({"inline_keyboard": clean_rows} if clean_rows else None), None


def _reply_target(world: World, chat: SandboxChat, p: Params) -> StoredMessage | None:
    params = p.json("reply_parameters", "reply parameters")
    if params is not None and not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    if params:
        message_id = params.get("message_id")
        allow = bool(params.get("allow_sending_without_reply", False))
        if params.get("chat_id") not in (None, chat.id, str(chat.id)):
            other = _lookup_chat(world, Params(params).chat_ref())
            target = world.find_message(other, _as_int(message_id))
            if target is None and not allow:
                raise bad_request("message to be replied not found")
            return None  # cross-chat replies are shown as external replies; not modelled
    else:
        message_id = p.get("reply_to_message_id")
        allow = p.bool("allow_sending_without_reply")
    if message_id in (None, ""):
        return None
    target = world.find_message(chat, _as_int(message_id))
    if target is None and not allow:
        raise bad_request("message to be replied not found")
    return target


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _formatted(
    p: Params, text_field: str, mode_field: str, entities_field: str
) -> tuple[str, list[JSON]]:
    text = p.str(text_field) or ""
    entities = p.json(entities_field, "entities")
    if entities is not None and not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    try:
        return parse_text(text, p.str(mode_field), entities)
    except MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None


def _text_content(p: Params) -> JSON:
    if not (p.str("text") or "").strip():
        raise bad_request("message text is empty")
    text, entities = _formatted(p, "text", "parse_mode", "entities")
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return content


def _caption(p: Params) -> JSON:
    if p.get("caption") is None:
        return {}
    text, entities = _formatted(p, "caption", "parse_mode", "caption_entities")
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    content: JSON = {}
    if text:
        content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    return content


def _deliver(
    world: World,
    method: str,
    p: Params,
    content: JSON,
    *,
    chat: SandboxChat | None = None,
) -> JSON:
    """Common tail of every send: reply target, markup, limits, store, log."""
    chat = chat or _chat_for_send(world, p.chat_ref())
    markup, keyboard = _reply_markup(p)
    reply_to = _reply_target(world, chat, p)
    _check_limits(world, chat)
    if keyboard is not None:
        chat.reply_keyboard = None if keyboard.get("remove_keyboard") else keyboard
    stored = world.add_message(
        chat,
        content,
        outgoing=True,
        sender=world.bot_user(),
        reply_to=reply_to,
        reply_markup=markup,
        parse_mode=p.str("parse_mode"),
    )
    extra: JSON = {"method": method}
    if keyboard is not None and "keyboard" in keyboard:
        extra["keyboard"] = [
            [str(b.get("text", b)) if isinstance(b, dict) else str(b) for b in row]
            for row in keyboard.get("keyboard") or []
        ]
    world.log_message("bot_message", chat, stored, **extra)
    return copy.deepcopy(stored.data)


# -- methods ------------------------------------------------------------------------------

Method = Callable[[World, Params], Any]
METHODS: dict[str, Method] = {}
_CANONICAL: dict[str, str] = {}


def _method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name.lower()] = func
        _CANONICAL[name.lower()] = name
        return func

    return register


def canonical_name(method: str) -> str:
    return _CANONICAL.get(method.lower(), method)


SANDBOX_MARK = "relais_sandbox"


@_method("getMe")
def get_me(world: World, p: Params) -> JSON:
    return {
        **world.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
        # not Telegram's: says this is the sandbox, where a bot without its own secret for
        # subject keys may use the trial one (a local telegram-bot-api server does not say it)
        SANDBOX_MARK: True,
    }


_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


@_method("setWebhook")
def set_webhook(world: World, p: Params) -> bool:
    """Like Telegram's: updates are then POSTed to the url (getUpdates answers 409). The
    sandbox delivers only to this machine, over http or https."""
    url = (p.str("url") or "").strip()
    if not url:  # Telegram: an empty url removes the webhook
        world.webhook = None
        return True
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if parsed.hostname not in _LOOPBACK and f"[{parsed.hostname}]" not in _LOOPBACK:
        raise bad_request("bad webhook: the sandbox delivers only to 127.0.0.1")
    secret = p.str("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    allowed = p.json("allowed_updates", "allowed_updates")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed_updates JSON object")
        world.set_allowed_updates(allowed)
    if p.bool("drop_pending_updates"):
        world.updates.clear()
    world.webhook = WebhookConfig(
        url=url, secret_token=secret, max_connections=p.int("max_connections", 40) or 40
    )
    world.touch()  # wakes the delivery loop and any poller (which then answers 409)
    return True


@_method("deleteWebhook")
def delete_webhook(world: World, p: Params) -> bool:
    if p.bool("drop_pending_updates"):
        world.updates.clear()
    world.webhook = None
    world.touch()
    return True


@_method("getWebhookInfo")
def get_webhook_info(world: World, p: Params) -> JSON:
    hook = world.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    if world.allowed_updates_param:
        info["allowed_updates"] = list(world.allowed_updates_param)
    return info


_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_CHAT_SCOPES = ("chat", "chat_administrators", "chat_member")


def _scope_key(world: World, p: Params) -> tuple[str, str]:
    """One key per (scope, language), the scope normalised (a chat scope names an existing
    chat by its numeric id), so a menu set one way is found when asked another way."""
    scope = p.json("scope", "scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    clean: JSON = {"type": scope["type"]}
    if scope["type"] in _CHAT_SCOPES:
        clean["chat_id"] = _lookup_chat(world, Params(scope).chat_ref()).id
    if scope["type"] == "chat_member":
        clean["user_id"] = Params(scope).int("user_id", required=True)
    return scope_key(clean, p.str("language_code") or "")


def scope_key(scope: JSON, language_code: str = "") -> tuple[str, str]:
    return json.dumps(scope, sort_keys=True), language_code


def visible_commands(world: World, user_id: int) -> JSON:
    """The menu a user sees in their private chat with the bot, resolved as Telegram does:
    the chat scope, then all private chats, then the default, each first in the user's
    language then without one. An empty list counts as none set."""
    with world.lock:
        user = world.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}; call add_user first")
        lang = (user.language_code or "")[:2].lower()
        scopes: list[JSON] = [
            {"type": "chat", "chat_id": user_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        for scope in scopes:
            for code in (lang, "") if lang else ("",):
                found = world.commands.get(scope_key(scope, code))
                if found:
                    return {"scope": scope, "language_code": code, "commands": copy.deepcopy(found)}
        return {"scope": None, "language_code": "", "commands": []}


@_method("setMyCommands")
def set_my_commands(world: World, p: Params) -> bool:
    commands = p.json("commands", "commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    clean = []
    for cmd in commands:
        if not isinstance(cmd, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name = str(cmd.get("command", "")).lstrip("/")
        desc = str(cmd.get("description", ""))
        if not _COMMAND.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(desc) <= 256:
            raise bad_request(
                "command description is empty" if not desc else "BOT_COMMAND_DESCRIPTION_INVALID"
            )
        clean.append({"command": name, "description": desc})
    world.commands[_scope_key(world, p)] = clean
    return True


@_method("getMyCommands")
def get_my_commands(world: World, p: Params) -> list[JSON]:
    return copy.deepcopy(world.commands.get(_scope_key(world, p), []))


@_method("deleteMyCommands")
def delete_my_commands(world: World, p: Params) -> bool:
    world.commands.pop(_scope_key(world, p), None)
    return True


@_method("setChatMenuButton")
def set_chat_menu_button(world: World, p: Params) -> bool:
    chat_id = p.chat_ref() if p.has("chat_id") else None
    if chat_id is not None:
        chat_id = _lookup_chat(world, chat_id).id
    button = p.json("menu_button", "menu button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    world.menu_buttons[chat_id] = button
    return True


@_method("getChatMenuButton")
def get_chat_menu_button(world: World, p: Params) -> JSON:
    chat_id = _lookup_chat(world, p.chat_ref()).id if p.has("chat_id") else None
    button = world.menu_buttons.get(chat_id) or world.menu_buttons.get(None)
    if not button or button.get("type") == "default":
        return {"type": "commands"}
    return copy.deepcopy(button)


def _profile_setter(field: str, limit: int) -> Method:
    def setter(world: World, p: Params) -> bool:
        value = p.str(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID".replace("SHORT_", "ABOUT_"))
        lang = p.str("language_code") or ""
        if value:
            world.profile[field][lang] = value
        else:
            world.profile[field].pop(lang, None)
        return True

    return setter


def _profile_getter(field: str) -> Method:
    def getter(world: World, p: Params) -> JSON:
        lang = p.str("language_code") or ""
        values = world.profile[field]
        default = world.bot_first_name if field == "name" else ""
        return {field: values.get(lang, values.get("", default))}

    return getter


for _field, _name, _limit in (
    ("description", "MyDescription", 512),
    ("short_description", "MyShortDescription", 120),
    ("name", "MyName", 64),
):
    _method(f"set{_name}")(_profile_setter(_field, _limit))
    _method(f"get{_name}")(_profile_getter(_field))


@_method("sendMessage")
def send_message(world: World, p: Params) -> JSON:
    chat = _chat_for_send(world, p.chat_ref())
    return _deliver(world, "sendMessage", p, _text_content(p), chat=chat)


def _media_value(world: World, p: Params, kind: str) -> Any:
    value = p.get(kind)
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.get(value.removeprefix("attach://"))
        if value is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
    if value in (None, ""):
        raise bad_request(f'parameter "{kind}" is required')
    if isinstance(value, UploadedFile):
        opts: JSON = {"file_size": value.size}
        if value.filename:
            opts["file_name"] = value.filename
        if p.has("duration"):
            opts["duration"] = p.int("duration")
        return world.new_media(kind, **opts)
    text = str(value)
    record = world.files.get(text)
    if record is None:
        if text.lower().startswith(("http://", "https://")):
            opts = {"file_name": text.rsplit("/", 1)[-1] or "file"} if kind == "document" else {}
            return world.new_media(kind, **opts)
        raise bad_request("wrong file identifier/HTTP URL specified")
    if record.kind != kind:
        names = {
            "photo": "Photo",
            "voice": "Voice",
            "document": "Document",
            "audio": "Audio",
            "video": "Video",
            "animation": "Animation",
            "sticker": "Sticker",
            "video_note": "VideoNote",
        }
        raise bad_request(f"can't use file of type {names[record.kind]} as {names[kind]}")
    return copy.deepcopy(record.obj)


def _media_sender(kind: str, method: str) -> Method:
    def send(world: World, p: Params) -> JSON:
        chat = _chat_for_send(world, p.chat_ref())
        content: JSON = {kind: _media_value(world, p, kind)}
        if kind not in ("sticker", "video_note"):
            content.update(_caption(p))
        return _deliver(world, method, p, content, chat=chat)

    return send


for _kind, _mname in (
    ("photo", "sendPhoto"),
    ("document", "sendDocument"),
    ("voice", "sendVoice"),
    ("audio", "sendAudio"),
    ("video", "sendVideo"),
    ("animation", "sendAnimation"),
    ("sticker", "sendSticker"),
    ("video_note", "sendVideoNote"),
):
    _method(_mname)(_media_sender(_kind, _mname))


def _location(p: Params) -> JSON:
    lat = p.float("latitude", required=True)
    lon = p.float("longitude", required=True)
    assert lat is not None and lon is not None
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise bad_request("invalid geo point")
    loc: JSON = {"latitude": lat, "longitude": lon}
    if p.has("horizontal_accuracy"):
        loc["horizontal_accuracy"] = p.float("horizontal_accuracy")
    if p.has("live_period"):
        loc["live_period"] = p.int("live_period")
    return loc


@_method("sendLocation")
def send_location(world: World, p: Params) -> JSON:
    chat = _chat_for_send(world, p.chat_ref())
    return _deliver(world, "sendLocation", p, {"location": _location(p)}, chat=chat)


@_method("sendVenue")
def send_venue(world: World, p: Params) -> JSON:
    chat = _chat_for_send(world, p.chat_ref())
    loc = _location(p)
    title, address = p.str("title"), p.str("address")
    if not title or not address:
        raise bad_request(f'parameter "{"title" if not title else "address"}" is required')
    venue = {"location": loc, "title": title, "address": address}
    return _deliver(world, "sendVenue", p, {"venue": venue, "location": loc}, chat=chat)


@_method("sendContact")
def send_contact(world: World, p: Params) -> JSON:
    chat = _chat_for_send(world, p.chat_ref())
    phone, first = p.str("phone_number"), p.str("first_name")
    if not phone:
        raise bad_request('parameter "phone_number" is required')
    if not first:
        raise bad_request('parameter "first_name" is required')
    contact: JSON = {"phone_number": phone, "first_name": first}
    for extra in ("last_name", "vcard"):
        if p.has(extra):
            contact[extra] = p.str(extra)
    return _deliver(world, "sendContact", p, {"contact": contact}, chat=chat)


_META = {
    "message_id",
    "from",
    "chat",
    "date",
    "reply_to_message",
    "reply_markup",
    "edit_date",
    "forward_origin",
    "is_automatic_forward",
    "via_bot",
    "sender_chat",
    "author_signature",
    "message_thread_id",
    "quote",
    "external_reply",
    "link_preview_options",
}
_NOT_COPYABLE = {
    "invoice",
    "giveaway",
    "giveaway_winners",
    "paid_media",
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "pinned_message",
    "successful_payment",
}


def _source(world: World, p: Params, missing: str) -> StoredMessage:
    source_chat = _lookup_chat(world, p.chat_ref("from_chat_id"))
    stored = world.find_message(source_chat, p.int("message_id", required=True))
    if stored is None:
        raise bad_request(missing)
    return stored


def _copy_content(stored: StoredMessage, p: Params) -> JSON:
    content = {k: copy.deepcopy(v) for k, v in stored.data.items() if k not in _META}
    if any(k in content for k in _NOT_COPYABLE):
        raise bad_request("message can't be copied")
    if "poll" in content and content["poll"].get("type") == "quiz":
        raise bad_request("message can't be copied")
    has_caption_slot = any(
        k in content for k in ("photo", "video", "audio", "document", "animation", "voice")
    )
    if has_caption_slot and p.get("caption") is not None:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(_caption(p))
    return content


@_method("copyMessage")
def copy_message(world: World, p: Params) -> JSON:
    chat = _chat_for_send(world, p.chat_ref())
    stored = _source(world, p, "message to copy not found")
    sent = _deliver(world, "copyMessage", p, _copy_content(stored, p), chat=chat)
    return {"message_id": sent["message_id"]}


@_method("copyMessages")
def copy_messages(world: World, p: Params) -> list[JSON]:
    chat = _chat_for_send(world, p.chat_ref())
    source_chat = _lookup_chat(world, p.chat_ref("from_chat_id"))
    ids = p.json("message_ids", "message_ids")
    if not isinstance(ids, list) or not ids or len(ids) > 100:
        raise bad_request("message_ids is empty" if not ids else "too many messages to copy")
    result = []
    for message_id in sorted(int(i) for i in ids):
        stored = world.find_message(source_chat, message_id)
        if stored is None:
            continue
        inner = Params({"chat_id": chat.id, "remove_caption": p.get("remove_caption")})
        content = _copy_content(stored, inner)
        if p.bool("remove_caption"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
        sent = _deliver(world, "copyMessages", inner, content, chat=chat)
        result.append({"message_id": sent["message_id"]})
    if not result:
        raise bad_request("messages to copy not found")
    return result


@_method("forwardMessage")
def forward_message(world: World, p: Params) -> JSON:
    chat = _chat_for_send(world, p.chat_ref())
    stored = _source(world, p, "message to forward not found")
    content = {k: copy.deepcopy(v) for k, v in stored.data.items() if k not in _META}
    original = stored.data
    if original["chat"]["type"] == "private" or "from" in original:
        origin: JSON = {
            "type": "user",
            "date": original["date"],
            "sender_user": copy.deepcopy(original["from"]),
        }
    else:
        origin = {
            "type": "chat",
            "date": original["date"],
            "sender_chat": copy.deepcopy(original["chat"]),
        }
    content["forward_origin"] = origin
    inner = Params({"chat_id": chat.id})
    return _deliver(world, "forwardMessage", inner, content, chat=chat)


def _target_for_edit(world: World, p: Params) -> tuple[SandboxChat, StoredMessage]:
    if p.has("inline_message_id") and not p.has("chat_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = _chat_for_send(world, p.chat_ref())
    stored = world.find_message(chat, p.int("message_id", required=True))
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.outgoing:
        raise bad_request("message can't be edited")
    return chat, stored


def _apply_edit(
    world: World,
    chat: SandboxChat,
    stored: StoredMessage,
    new_content: JSON,
    markup: JSON | None,
    event: str,
    method: str,
) -> JSON:
    data = stored.data
    current = {k: data.get(k) for k in new_content}
    if (
        current == {k: v if v else None for k, v in new_content.items()}
        and data.get("reply_markup") == markup
    ):
        raise bad_request(NOT_MODIFIED)
    for key, value in new_content.items():
        if value:
            data[key] = value
        else:
            data.pop(key, None)
    if markup is None:
        data.pop("reply_markup", None)
    else:
        data["reply_markup"] = markup
    data["edit_date"] = max(int(world.clock()), data["date"])
    world.log_message(event, chat, stored, method=method)
    return copy.deepcopy(data)


@_method("editMessageText")
def edit_message_text(world: World, p: Params) -> JSON:
    chat, stored = _target_for_edit(world, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    content = _text_content(p)
    content.setdefault("entities", [])
    markup, _ = _reply_markup(p)
    return _apply_edit(world, chat, stored, content, markup, "bot_edit", "editMessageText")


@_method("editMessageCaption")
def edit_message_caption(world: World, p: Params) -> JSON:
    chat, stored = _target_for_edit(world, p)
    if not any(
        k in stored.data for k in ("photo", "video", "audio", "document", "animation", "voice")
    ):
        raise bad_request("there is no caption in the message to edit")
    content = _caption(p) if p.get("caption") is not None else {}
    content.setdefault("caption", "")
    content.setdefault("caption_entities", [])
    markup, _ = _reply_markup(p)
    return _apply_edit(world, chat, stored, content, markup, "bot_edit", "editMessageCaption")


@_method("editMessageReplyMarkup")
def edit_message_reply_markup(world: World, p: Params) -> JSON:
    chat, stored = _target_for_edit(world, p)
    markup, _ = _reply_markup(p)
    return _apply_edit(world, chat, stored, {}, markup, "bot_edit_markup", "editMessageReplyMarkup")


@_method("deleteMessage")
def delete_message(world: World, p: Params) -> bool:
    chat = _lookup_chat(world, p.chat_ref())
    stored = world.find_message(chat, p.int("message_id", required=True))
    if stored is None:
        raise bad_request("message to delete not found")
    stored.deleted = True
    world.log(
        "bot_delete",
        chat,
        message_id=stored.message_id,
        **(
            {"user_id": stored.data["from"]["id"]}
            if not chat.private and not stored.outgoing
            else {}
        ),
    )
    return True


@_method("deleteMessages")
def delete_messages(world: World, p: Params) -> bool:
    chat = _lookup_chat(world, p.chat_ref())
    ids = p.json("message_ids", "message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message_ids is empty")
    for message_id in ids:
        stored = world.find_message(chat, _as_int(message_id))
        if stored is not None:
            stored.deleted = True
            world.log("bot_delete", chat, message_id=stored.message_id)
    return True


@_method("answerCallbackQuery")
def answer_callback_query(world: World, p: Params) -> bool:
    query_id = p.str("callback_query_id") or ""
    record = world.callbacks.get(query_id)
    if record is None or record.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    ttl = world.callback_query_ttl
    if ttl is not None and world.monotonic() - record.created > ttl:
        raise bad_request(QUERY_TOO_OLD)
    text = p.str("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer: JSON = {
        "text": text or None,
        "show_alert": p.bool("show_alert"),
        "url": p.str("url"),
        "cache_time": p.int("cache_time", 0),
    }
    record.answer = answer
    chat = world.chats.get(record.chat_id)
    world.log(
        "callback_answer",
        chat,
        user_id=record.user_id,
        query_id=query_id,
        message_id=record.message_id,
        text=text,
        show_alert=answer["show_alert"],
    )
    return True


@_method("leaveChat")
def leave_chat(world: World, p: Params) -> bool:
    chat = _lookup_chat(world, p.chat_ref())
    if chat.private:
        raise bad_request("chat member status can't be changed in private chats")
    if not chat.bot_member:
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
    chat.bot_member = False
    world.log("bot_left", chat)
    return True


@_method("getChat")
def get_chat(world: World, p: Params) -> JSON:
    chat = _lookup_chat(world, p.chat_ref())
    info = world.chat_api(chat)
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    )
    if chat.private:
        info["has_private_forwards"] = False
    return info


_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


@_method("sendChatAction")
def send_chat_action(world: World, p: Params) -> bool:
    chat = _chat_for_send(world, p.chat_ref())
    action = p.str("action") or ""
    if action not in _ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.chat_actions.append({"chat_id": chat.id, "action": action, "time": world.clock()})
    return True


# -- dispatch -----------------------------------------------------------------------------


def chat_id_hint(p: Params) -> int | None:
    """The numeric chat_id of a call, if any (for fault matching and the transcript)."""
    try:
        ref = p.chat_ref() if p.has("chat_id") else None
    except ApiError:
        return None
    return ref if isinstance(ref, int) else None


def dispatch(world: World, method: str, p: Params) -> Any:
    """Run one bot-side call (not getUpdates) atomically; raises ApiError."""
    name = method.lower()
    func = METHODS.get(name)
    if func is None:
        raise ApiError(404, "Not Found")
    with world.lock:
        chat_id = chat_id_hint(p)
        fault = world.faults.take("error", name, chat_id)
        if fault is not None:
            raise ApiError(fault.error_code, fault.description, fault.retry_after)
        try:
            return func(world, p)
        except ApiError as exc:
            chat = world.chats.get(chat_id) if chat_id is not None else None
            if chat is not None:
                world.log(
                    "bot_error",
                    chat,
                    method=canonical_name(name),
                    error=f"{exc.code} {exc.description}",
                )
            raise
        finally:
            world.touch()
