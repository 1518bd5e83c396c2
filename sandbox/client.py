"""User side of the sandbox: tests and ``relais demo`` act as officers and workers here.

Why: end-to-end tests run the bot as a separate process, so the people talking to it
must act over HTTP too. This synchronous client wraps the sandbox control API with
readable verbs (send_text, press, wait_for...). Waiting uses the server's long-poll
"changes since version N" endpoint, never a sleep loop, and timeouts raise errors that
carry the chat transcript so a failing test explains itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

__all__ = ["SandboxClient"]

JSON = dict[str, Any]


def _content_text(message: JSON) -> str:
    return str(message.get("text") or message.get("caption") or "")


class SandboxClient:
    """Synchronous client of the sandbox control API (``SandboxServer.control_url``)."""

    def __init__(self, control_url: str, *, timeout: float = 10.0) -> None:
        self.control_url = control_url.rstrip("/")
        # trust_env=False: loopback only, never through a proxy from the environment.
        self._http = httpx.Client(base_url=self.control_url + "/", timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        verb: str,
        path: str,
        *,
        body: JSON | None = None,
        params: JSON | None = None,
        wait: float = 0.0,
    ) -> Any:
        timeout = httpx.Timeout(self._http.timeout.read or 10.0)
        if wait > 0:
            timeout = httpx.Timeout(wait + 10.0)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.request(verb, path, json=body, params=query, timeout=timeout)
        try:
            payload = response.json()
        except ValueError:
            raise RuntimeError(
                f"sandbox {path}: HTTP {response.status_code} {response.text[:200]}"
            ) from None
        if response.status_code == 400:
            raise ValueError(payload.get("error", "bad request"))
        if not payload.get("ok"):
            raise RuntimeError(f"sandbox {path}: HTTP {response.status_code} {payload}")
        return payload["result"]

    # -- people -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str = "fr",
        username: str | None = None,
        *,
        last_name: str | None = None,
        started: bool = False,
    ) -> JSON:
        """Create (or update) a Telegram account. Its private chat exists only once the user
        has written to the bot (else sends to it fail with "chat not found"), unless
        ``started=True``."""
        return self._call(
            "POST",
            "users",
            body={
                "user_id": user_id,
                "first_name": first_name,
                "language_code": language_code,
                "username": username,
                "last_name": last_name,
                "started": started,
            },
        )

    def block(self, user_id: int) -> None:
        """The user blocks the bot: the bot's sends to them fail with 403."""
        self._call("POST", "block", body={"user_id": user_id, "blocked": True})

    def unblock(self, user_id: int) -> None:
        self._call("POST", "block", body={"user_id": user_id, "blocked": False})

    # -- what users send ----------------------------------------------------------------

    def send_message(
        self,
        user_id: int,
        fields: JSON,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: int | None = None,
    ) -> JSON:
        """Send arbitrary message content (e.g. ``{"dice": {"emoji": "🎲", "value": 3}}``)."""
        return self._send(user_id, fields, None, reply_to, chat_id, chat_type)

    def _send(
        self,
        user_id: int,
        fields: JSON,
        media: JSON | None,
        reply_to: int | None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        return self._call(
            "POST",
            "send",
            body={
                "user_id": user_id,
                "fields": fields,
                "media": media,
                "reply_to": reply_to,
                "chat_id": chat_id,
                "chat_type": chat_type,
            },
        )

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        """Send a text; "/start CODE" gets a bot_command entity like on Telegram."""
        return self._send(user_id, {"text": text}, None, reply_to, chat_id, chat_type)

    def edit_text(self, user_id: int, message_id: int, text: str) -> JSON:
        """The user edits a text they sent: the bot gets an edited_message update."""
        return self._call(
            "POST", "edit", body={"user_id": user_id, "message_id": message_id, "text": text}
        )

    def send_location(
        self, user_id: int, latitude: float, longitude: float, *, reply_to: int | None = None
    ) -> JSON:
        return self._send(
            user_id, {"location": {"latitude": latitude, "longitude": longitude}}, None, reply_to
        )

    def send_photo(
        self, user_id: int, caption: str | None = None, *, reply_to: int | None = None
    ) -> JSON:
        return self._send(user_id, {}, {"kind": "photo", "caption": caption}, reply_to)

    def send_voice(self, user_id: int, duration: int = 3, *, reply_to: int | None = None) -> JSON:
        return self._send(user_id, {}, {"kind": "voice", "duration": duration}, reply_to)

    def share_contact(
        self, user_id: int, phone_number: str, *, first_name: str = "Sample", own: bool = True
    ) -> JSON:
        """A contact card; `own`: the user's own, as Telegram's request-contact button sends
        it (the contact carries the sender's user id)."""
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        if own:
            contact["user_id"] = user_id
        return self._send(user_id, {"contact": contact}, None, None)

    def send_video_note(
        self, user_id: int, duration: int = 10, *, reply_to: int | None = None
    ) -> JSON:
        """A round video message (Telegram gives it no caption)."""
        return self._send(user_id, {}, {"kind": "video_note", "duration": duration}, reply_to)

    def send_document(
        self,
        user_id: int,
        file_name: str = "report.pdf",
        caption: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> JSON:
        return self._send(
            user_id, {}, {"kind": "document", "file_name": file_name, "caption": caption}, reply_to
        )

    def send_sticker(self, user_id: int, *, emoji: str = "🙂") -> JSON:
        return self._send(user_id, {}, {"kind": "sticker", "emoji": emoji}, None)

    def send_poll(
        self, user_id: int, question: str, options: list[str], *, quiz: bool = False
    ) -> JSON:
        """A poll in Telegram's full shape (send_message sends content verbatim instead)."""
        media = {"kind": "poll", "question": question, "options": options}
        return self._send(user_id, {}, media | ({"type": "quiz"} if quiz else {}), None)

    def press(
        self,
        user_id: int,
        message_id: int,
        *,
        text: str | None = None,
        data: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """Press an inline button of a message; returns the callback query id.

        ``text`` picks the button whose label equals it; failing that, the one whose
        label contains it (case-insensitive; ambiguous matches are refused). ``data``
        sends that callback data whether or not a button carries it (a forged press).
        Raises ValueError, listing the available buttons, when nothing matches.
        """
        press = {
            "user_id": user_id,
            "message_id": message_id,
            "text": text,
            "data": data,
            "chat_id": chat_id,
        }
        return str(self._call("POST", "press", body={"presses": [press]})[0])

    def press_many(self, presses: list[JSON]) -> list[str]:
        """Several presses (dicts of press()'s arguments) queued at once, so they reach
        the bot in the same getUpdates batch; all are validated before any is queued."""
        return [str(q) for q in self._call("POST", "press", body={"presses": presses})]

    # -- what the bot did ---------------------------------------------------------------

    def messages(self, chat_id: int, include_user: bool = False) -> list[JSON]:
        """Messages of the chat as they are now (after edits, without deleted ones), in
        order; only the bot's unless ``include_user``."""
        return list(self._snapshot(chat_id, include_user)["messages"])

    def _snapshot(self, chat_id: int, include_user: bool = False) -> JSON:
        return dict(
            self._call(
                "GET",
                "messages",
                params={"chat_id": chat_id, "include_user": "1" if include_user else "0"},
            )
        )

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard (ReplyKeyboardMarkup) the bot last showed in the chat, if any;
        Telegram does not put these in message objects."""
        answer = self._call("GET", "reply_keyboard", params={"chat_id": chat_id})
        return dict(answer) if answer is not None else None

    def last_message(self, chat_id: int) -> JSON | None:
        """The bot's latest message in the chat, or None."""
        found = self.messages(chat_id)
        return found[-1] if found else None

    def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[JSON], bool],
        timeout: float = 10.0,
        *,
        description: str = "the predicate",
    ) -> JSON:
        """The first bot message (current state) of the chat matching ``predicate``,
        waiting for one up to ``timeout`` seconds; TimeoutError with the transcript.
        A KeyError raised by the predicate counts as "no match" (messages differ in
        fields: a photo has no "text")."""
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self._snapshot(chat_id)
            for message in snapshot["messages"]:
                try:
                    matched = predicate(message)
                except KeyError:  # e.g. m["text"] on a photo: not a match
                    matched = False
                if matched:
                    return dict(message)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._timeout_report(chat_id, description, timeout))
            self._call(
                "GET",
                "changes",
                params={"since": snapshot["version"], "timeout": remaining},
                wait=remaining,
            )

    def _timeout_report(self, chat_id: int, description: str, timeout: float) -> str:
        transcript = self.render_transcript(chat_id=chat_id) or "(nothing happened)"
        pending = self.pending_updates()
        note = f"\n({pending} update(s) not yet confirmed by the bot)" if pending else ""
        return (
            f"no bot message in chat {chat_id} matched {description} within "
            f"{timeout:g}s. Transcript of chat {chat_id}:\n{transcript}{note}"
        )

    def wait_for_text(self, chat_id: int, contains: str, timeout: float = 10.0) -> JSON:
        """The first bot message whose text or caption contains ``contains``."""
        return self.wait_for(
            chat_id,
            lambda m: contains in _content_text(m),
            timeout,
            description=f"text containing {contains!r}",
        )

    def wait_for_new(self, chat_id: int, after_message_id: int, timeout: float = 10.0) -> JSON:
        """The first bot message with message_id > ``after_message_id``."""
        return self.wait_for(
            chat_id,
            lambda m: int(m["message_id"]) > after_message_id,
            timeout,
            description=f"message_id > {after_message_id}",
        )

    def callback_answer(self, query_id: str) -> JSON | None:
        """What answerCallbackQuery said (text, show_alert, url, cache_time), or None."""
        answer = self._call("GET", "callback_answer", params={"query_id": query_id})
        return dict(answer) if answer is not None else None

    def wait_for_callback_answer(self, query_id: str, timeout: float = 10.0) -> JSON:
        answer = self._call(
            "GET",
            "callback_answer",
            params={"query_id": query_id, "timeout": timeout},
            wait=timeout,
        )
        if answer is None:
            raise TimeoutError(
                f"callback query {query_id} not answered within {timeout:g}s.\n"
                f"Transcript:\n{self.render_transcript()}"
            )
        return dict(answer)

    def wait_until_idle(self, timeout: float = 10.0, *, quiet: float = 0.0) -> None:
        """Wait until every queued update was fetched and confirmed by the bot (a later
        getUpdates with a higher offset) and no bot call is being served.

        PTB confirms a batch as soon as it has *queued* it, before handlers finish; pass
        ``quiet`` (seconds without any bot call) to also let the handlers settle.
        """
        state = self._call("POST", "idle", body={"timeout": timeout, "quiet": quiet}, wait=timeout)
        if not state["idle"]:
            raise TimeoutError(
                f"sandbox not idle after {timeout:g}s: {state['pending']} "
                f"update(s) unconfirmed.\nTranscript:\n{self.render_transcript()}"
            )

    def bot_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands the bot set with setMyCommands for that scope (default) and language."""
        params: JSON = {"language_code": language_code}
        if scope is not None:
            params["scope"] = json.dumps(scope)
        return list(self._call("GET", "commands", params=params))

    def menu(self, user_id: int) -> list[JSON]:
        """The command menu this user sees in the private chat, as Telegram picks it among
        the scopes and languages the bot set (chat, all private chats, default)."""
        return list(self._call("GET", "menu", params={"user_id": user_id})["commands"])

    def wait_for_menu(
        self,
        user_id: int,
        predicate: Callable[[list[JSON]], bool],
        timeout: float = 10.0,
        *,
        description: str = "the predicate",
    ) -> list[JSON]:
        """This user's menu once it matches ``predicate``, waiting up to ``timeout`` seconds
        (on the sandbox's changes, not a sleep); TimeoutError showing the last menu seen."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self._call("GET", "menu", params={"user_id": user_id})
            commands = list(answer["commands"])
            if predicate(commands):
                return commands
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"the menu of user {user_id} did not match {description} within "
                    f"{timeout:g}s; last seen: {[c['command'] for c in commands]} "
                    f"(scope {answer['scope']}, language {answer['language_code']!r})"
                )
            self._call(
                "GET",
                "changes",
                params={"since": answer["version"], "timeout": remaining},
                wait=remaining,
            )

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return int(self.info()["pending_updates"])

    def info(self) -> JSON:
        """Bot profile, commands, menu buttons, users and counters (for debugging)."""
        return dict(self._call("GET", "info"))

    # -- the log ------------------------------------------------------------------------

    def transcript(self, chat_id: int | None = None) -> list[JSON]:
        """Chronological events: user_message, bot_message, bot_edit, bot_edit_markup,
        bot_delete, press, callback_answer, block, unblock, bot_left, bot_error."""
        return list(self._call("GET", "transcript", params={"chat_id": chat_id}))

    def render_transcript(
        self, names: dict[int, str] | None = None, *, chat_id: int | None = None
    ) -> str:
        """The transcript as a readable chat log; ``names`` maps user ids to labels such
        as "officer Tremblay"."""
        body = {"names": {str(k): v for k, v in (names or {}).items()}, "chat_id": chat_id}
        return str(self._call("POST", "render", body=body))

    # -- fault injection and housekeeping -----------------------------------------------

    def inject_flood(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        retry_after: int = 1,
        count: int = 1,
    ) -> None:
        """The next ``count`` bot calls matching ``method`` and/or ``chat_id`` get
        429 "Too Many Requests: retry after N". Without ``method``, getUpdates, getMe and
        webhook calls are never hit."""
        self._fault(
            method,
            chat_id,
            count,
            error_code=429,
            retry_after=retry_after,
            description=f"Too Many Requests: retry after {retry_after}",
        )

    def inject_error(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        error_code: int = 502,
        description: str = "Bad Gateway",
        count: int = 1,
    ) -> None:
        """The next ``count`` matching bot calls fail with that HTTP status and description
        (nothing is delivered), e.g. 502 Bad Gateway as Telegram sometimes answers."""
        self._fault(method, chat_id, count, error_code=error_code, description=description)

    def inject_delay(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        seconds: float = 10.0,
        count: int = 1,
    ) -> None:
        """The next ``count`` matching bot calls take effect (the message is delivered) but
        are answered ``seconds`` late, so the bot's read timeout fires: PTB's TimedOut does
        not mean "not delivered"."""
        self._fault(method, chat_id, count, kind="delay", delay=seconds)

    def inject_share(
        self,
        share: float,
        *,
        error_code: int = 429,
        retry_after: int = 1,
        method: str | None = None,
        chat_id: int | None = None,
        count: int = 1_000_000,
    ) -> None:
        """From now on (until cleared, or ``count`` hits), each matching bot call fails with
        probability ``share``: 429 with retry_after, or another status such as 500 or 502."""
        if error_code == 429:
            description = f"Too Many Requests: retry after {retry_after}"
            fields: dict[str, Any] = {"retry_after": retry_after}
        else:
            description, fields = (
                ("Internal Server Error" if error_code == 500 else "Bad Gateway"),
                {},
            )
        self._fault(
            method,
            chat_id,
            count,
            error_code=error_code,
            description=description,
            share=share,
            **fields,
        )

    def inject_reset(
        self,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        count: int = 1,
        share: float = 1.0,
    ) -> None:
        """The next ``count`` matching bot calls see their connection closed before the call
        is made (nothing delivered): the bot's HTTP client reports a network error."""
        self._fault(method, chat_id, count, kind="reset", share=share)

    def inject_repeat(self, count: int = 1) -> None:
        """The next ``count`` getUpdates answer the batch answered last, as though the
        offset had not confirmed it: the bot must not handle those updates twice."""
        self._fault("getUpdates", None, count, kind="repeat")

    def set_limits(self, enabled: bool = True) -> None:
        """Telegram-like rate limits (about 30/s overall, 1/s per private chat with a burst
        of 3, 20/min per group) on or off; over them the bot gets 429 with retry_after."""
        self._call("POST", "limits", body={"enabled": enabled})

    def fault_counts(self) -> dict[str, Any]:
        """Faults injected so far, by kind or error code, and the 429s answered (limits too)."""
        return dict(self._call("GET", "fault_counts"))

    def clear_faults(self) -> None:
        """Forget every injected fault still pending: the bot's calls succeed again."""
        self._call("POST", "clear_faults")

    def _fault(self, method: str | None, chat_id: int | None, count: int, **fields: Any) -> None:
        body = {"method": method, "chat_id": chat_id, "count": count, **fields}
        self._call("POST", "fault", body=body)

    def reset(self) -> None:
        """Forget users, chats, messages, updates and transcript (update ids keep rising)."""
        self._call("POST", "reset")
