"""Text formatting as Telegram does it: parse_mode parsing, auto-detected entities, summaries.

Why: Telegram stores and returns the *plain* text with entities (offsets in UTF-16 code
units) and rejects malformed markup with 400 "can't parse entities". Reproducing that lets
the sandbox catch the classic bug of interpolating unescaped user text into HTML, and lets
tests assert on readable text instead of markup.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "MarkupError",
    "auto_entities",
    "describe_content",
    "parse_text",
    "utf16_len",
]


class MarkupError(ValueError):
    """Markup Telegram would refuse; the message follows "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_ALL_TAGS = {*_SIMPLE_TAGS, "a", "code", "pre", "span", "tg-emoji", "blockquote"}
_ATTR = re.compile(r"""\s*([^\s=>/"']+)\s*(?:=\s*("[^"]*"|'[^']*'|[A-Za-z0-9.\-]*))?""")


def _decode_entity(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _NAMED:
        return _NAMED[body]
    code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return match.group(0)


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            m = _HTML_ENTITY.match(text, i)
            piece = _decode_entity(m) if m else "&"
            out.append(piece)
            pos16 += utf16_len(piece)
            i = m.end() if m else i + 1
            continue
        if ch != "<":
            out.append(ch)
            pos16 += utf16_len(ch)
            i += 1
            continue
        begin = _byte_offset(text, i)
        if i + 1 < n and text[i + 1] == "/":
            close = text.find(">", i)
            if close < 0:
                raise MarkupError(f"Unclosed end tag at byte offset {begin}")
            name = text[i + 2 : close].strip().lower()
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {begin}")
            open_name, start16, attrs = stack.pop()
            if name and name != open_name:
                raise MarkupError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            if pos16 > start16:
                entities.append(_html_entity(open_name, attrs, start16, pos16 - start16))
            i = close + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise MarkupError(f"Unclosed start tag at byte offset {begin}")
        name = text[i + 1 : j].lower()
        if name not in _ALL_TAGS:
            raise MarkupError(f'Unsupported start tag "{name}" at byte offset {begin}')
        close = text.find(">", j)
        if close < 0:
            raise MarkupError(f'Unclosed start tag "{name}" at byte offset {begin}')
        attrs: dict[str, str] = {}
        for am in _ATTR.finditer(text[j:close]):
            if am.group(1):
                value = am.group(2) or ""
                if value[:1] in "\"'":
                    value = _HTML_ENTITY.sub(_decode_entity, value[1:-1])
                attrs[am.group(1).lower()] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        stack.append((name, pos16, attrs))
        i = close + 1
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), _merge_pre_code(entities)


def _html_entity(name: str, attrs: dict[str, str], offset: int, length: int) -> dict[str, Any]:
    if name in _SIMPLE_TAGS or name == "span":
        return {"type": _SIMPLE_TAGS.get(name, "spoiler"), "offset": offset, "length": length}
    if name == "a":
        return {
            "type": "text_link",
            "offset": offset,
            "length": length,
            "url": attrs.get("href", ""),
        }
    if name == "code":
        entity: dict[str, Any] = {"type": "code", "offset": offset, "length": length}
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            entity["language"] = lang.removeprefix("language-")
        return entity
    if name == "pre":
        return {"type": "pre", "offset": offset, "length": length}
    if name == "tg-emoji":
        return {
            "type": "custom_emoji",
            "offset": offset,
            "length": length,
            "custom_emoji_id": attrs.get("emoji-id", ""),
        }
    kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    return {"type": kind, "offset": offset, "length": length}


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """<pre><code class="language-x"> is one pre entity with a language, as in Telegram."""
    result: list[dict[str, Any]] = []
    for ent in entities:
        prev = result[-1] if result else None
        if (
            prev is not None
            and ent["type"] == "pre"
            and prev["type"] == "code"
            and (prev["offset"], prev["length"]) == (ent["offset"], ent["length"])
        ):
            result[-1] = {**ent, **({"language": prev["language"]} if "language" in prev else {})}
            continue
        result.append(ent)
    return result


_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_MARKS = [
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
]


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, str, int, int]] = []  # (mark, type, start16, byte offset)
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def emit(piece: str) -> None:
        nonlocal pos16
        out.append(piece)
        pos16 += utf16_len(piece)

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            emit(text[i + 1])
            i += 2
            continue
        if ch == "`":
            is_pre = text.startswith("```", i)
            fence = "```" if is_pre else "`"
            start = i + len(fence)
            end = start
            while end < n and not text.startswith(fence, end):
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                raise MarkupError(
                    f"Can't find end of {'Pre' if is_pre else 'Code'} entity at byte offset "
                    f"{_byte_offset(text, i)}"
                )
            body = text[start:end]
            language = ""
            if is_pre and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            body = re.sub(r"\\([`\\])", r"\1", body)
            offset = pos16
            emit(body)
            entity: dict[str, Any] = {
                "type": "pre" if is_pre else "code",
                "offset": offset,
                "length": pos16 - offset,
            }
            if language:
                entity["language"] = language
            if entity["length"]:
                entities.append(entity)
            i = end + len(fence)
            continue
        if ch == "[":
            stack.append(("[", "text_link", pos16, _byte_offset(text, i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            _, _, start16, byte = stack.pop()
            if not text.startswith("(", i + 1):
                raise MarkupError(f"Can't find end of a URL at byte offset {byte}")
            close = text.find(")", i + 2)
            if close < 0:
                raise MarkupError(f"Can't find end of a URL at byte offset {byte}")
            url = re.sub(r"\\(.)", r"\1", text[i + 2 : close])
            if pos16 > start16:
                entities.append(
                    {"type": "text_link", "offset": start16, "length": pos16 - start16, "url": url}
                )
            i = close + 1
            continue
        if ch == ">" and (i == 0 or text[i - 1] == "\n"):
            end = text.find("\n", i)
            end = n if end < 0 else end
            i += 1
            inner, inner_entities = _parse_markdown_v2(text[i:end]) if i < end else ("", [])
            offset = pos16
            emit(inner)
            for ent in inner_entities:
                entities.append({**ent, "offset": ent["offset"] + offset})
            if pos16 > offset:
                entities.append({"type": "blockquote", "offset": offset, "length": pos16 - offset})
            i = end
            continue
        mark = next((m for m in _MD2_MARKS if text.startswith(m[0], i)), None)
        if mark is not None:
            if stack and stack[-1][0] == mark[0]:
                _, kind, start16, _ = stack.pop()
                if pos16 > start16:
                    entities.append({"type": kind, "offset": start16, "length": pos16 - start16})
            else:
                stack.append((mark[0], mark[1], pos16, _byte_offset(text, i)))
            i += len(mark[0])
            continue
        if ch in _MD2_RESERVED:
            raise MarkupError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(ch)
        i += 1
    if stack:
        raise MarkupError(f"Can't find end of the entity starting at byte offset {stack[-1][3]}")
    return "".join(out), entities


_MD1_MARKS = {"*": "bold", "_": "italic"}


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    pos16 = 0
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            pos16 += 1
            i += 2
            continue
        if ch in "*_`[":
            byte = _byte_offset(text, i)
            fence = "```" if text.startswith("```", i) else ("]" if ch == "[" else ch)
            start = i + (3 if fence == "```" else 1)
            end = text.find(fence, start)
            if end < 0:
                raise MarkupError(f"Can't find end of the entity starting at byte offset {byte}")
            body = text[start:end]
            url = ""
            nxt = end + len(fence)
            if ch == "[":
                if not text.startswith("(", nxt) or text.find(")", nxt) < 0:
                    raise MarkupError(
                        f"Can't find end of the entity starting at byte offset {byte}"
                    )
                close = text.find(")", nxt)
                url, nxt = text[nxt + 1 : close], close + 1
            kind = {"```": "pre", "`": "code", "]": "text_link"}.get(fence) or _MD1_MARKS[ch]
            if body:
                entity: dict[str, Any] = {"type": kind, "offset": pos16, "length": utf16_len(body)}
                if url:
                    entity["url"] = url
                entities.append(entity)
            out.append(body)
            pos16 += utf16_len(body)
            i = nxt
            continue
        out.append(ch)
        pos16 += utf16_len(ch)
        i += 1
    return "".join(out), entities


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            result.append({**ent, "offset": start, "length": end - start})
    return stripped, result


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return Telegram's stored (text, entities) for ``text`` sent with ``parse_mode``.

    Explicit ``entities`` win over ``parse_mode`` (Telegram ignores parse_mode then).
    Raises MarkupError for malformed markup.
    """
    mode = (parse_mode or "").strip().lower()
    if entities is not None:
        plain, found = text, [dict(e) for e in entities]
    elif mode == "html":
        plain, found = _parse_html(text)
    elif mode == "markdownv2":
        plain, found = _parse_markdown_v2(text)
    elif mode == "markdown":
        plain, found = _parse_markdown(text)
    elif mode:
        raise MarkupError(f"Unsupported parse_mode {parse_mode!r}")
    else:
        plain, found = text, []
    plain, found = _strip(plain, found)
    found = found + auto_entities(plain, found)
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, found


_AUTO = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@]))"
    r"|(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@]))"
)
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "url", "bot_command", "mention"}


def auto_entities(text: str, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Entities Telegram detects by itself: bot commands, URLs and @mentions."""
    blocked = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing or []
        if e.get("type") in _NO_AUTO_INSIDE
    ]
    found: list[dict[str, Any]] = []
    for m in _AUTO.finditer(text):
        kind = m.lastgroup or "url"
        start = utf16_len(text[: m.start()])
        length = utf16_len(m.group(0))
        if any(start < b_end and start + length > b_start for b_start, b_end in blocked):
            continue
        found.append({"type": kind, "offset": start, "length": length})
    return found


def describe_content(message: dict[str, Any]) -> str:
    """One human-readable line (or a few) summarising a message's content."""
    caption = message.get("caption")
    tail = f" {caption}" if caption else ""
    if "text" in message:
        return str(message["text"])
    if "photo" in message:
        return f"(photo){tail}"
    if "voice" in message:
        return f"(voice {message['voice'].get('duration', 0)}s){tail}"
    if "video_note" in message:
        return "(video note)"
    if "animation" in message:
        return f"(animation){tail}"
    if "video" in message:
        return f"(video {message['video'].get('duration', 0)}s){tail}"
    if "audio" in message:
        return f"(audio {message['audio'].get('title') or ''}){tail}".replace(" )", ")")
    if "document" in message:
        return f"(document {message['document'].get('file_name', '')}){tail}"
    if "sticker" in message:
        return f"(sticker {message['sticker'].get('emoji', '')})".replace(" )", ")")
    if "venue" in message:
        venue = message["venue"]
        return f"(venue {venue.get('title', '')}, {venue.get('address', '')})"
    if "location" in message:
        loc = message["location"]
        return f"(location {loc.get('latitude'):.5f}, {loc.get('longitude'):.5f})"
    if "contact" in message:
        c = message["contact"]
        name = " ".join(x for x in (c.get("first_name"), c.get("last_name")) if x)
        return f"(contact {name} {c.get('phone_number', '')})"
    if "poll" in message:
        return f"(poll {message['poll'].get('question', '')})"
    if "dice" in message:
        return f"(dice {message['dice'].get('emoji', '')} {message['dice'].get('value', '')})"
    skip = {"message_id", "date", "chat", "from", "reply_to_message", "reply_markup", "edit_date"}
    keys = ", ".join(k for k in message if k not in skip)
    return f"({keys or 'empty'})"
