"""A web page of the sandbox where a person acts by hand as officers and workers: pick or add a
Telegram account, read its chat with the bot, type and send, press inline buttons, use the
command menu the bot set for that account.

Why: ``relais sandbox`` is the way to try the bot without Telegram; without this page nothing
would let a person be a user. The page is one self-contained document (no CDN, no external
asset; its Content-Security-Policy forbids any) that only calls the sandbox's own control API
(``/sandbox/...``) with fetch, and refreshes by long-polling ``/sandbox/changes``.
Query parameters: ``?user=ID`` selects an account; with ``&name=First&lang=fr|en`` it is
created when missing (handy links for a training room).
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["CONTENT_SECURITY_POLICY", "PAGE", "page"]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
)


async def page(_request: web.Request) -> web.Response:
    """GET /sandbox/ui: the page itself; everything else it needs comes from the control API."""
    return web.Response(
        text=PAGE,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"},
    )


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relais sandbox</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.4 system-ui, sans-serif; color: #1d2430; background: #eef1f5; }
  header { display: flex; align-items: baseline; gap: 1em; padding: .6em 1em;
           background: #24466b; color: #fff; }
  header h1 { font-size: 1.1em; margin: 0; }
  #status { font-size: .85em; opacity: .85; }
  #status.bad { color: #ffd2d2; opacity: 1; font-weight: 600; }
  main { display: flex; gap: 1em; padding: 1em; height: calc(100vh - 2.8em); }
  aside { width: 18em; flex: none; overflow-y: auto; }
  h2 { font-size: 1em; margin: 0 0 .5em; }
  h3 { font-size: .95em; margin: 1em 0 .4em; }
  ul { list-style: none; margin: 0; padding: 0; }
  .person { width: 100%; text-align: left; margin: 0 0 .3em; padding: .45em .6em;
            border: 1px solid #c8d0da; border-radius: 6px; background: #fff; cursor: pointer; }
  .person.selected { border-color: #24466b; background: #dde8f5; font-weight: 600; }
  form label { display: block; margin: .3em 0; font-size: .9em; }
  input, select, textarea { font: inherit; width: 100%; padding: .35em; border: 1px solid #c8d0da;
                            border-radius: 5px; }
  button { font: inherit; cursor: pointer; }
  .hint { font-size: .85em; color: #52606d; }
  code { background: #e1e6ec; padding: 0 .25em; border-radius: 3px; white-space: nowrap; }
  #chat-pane { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  #menu { display: flex; flex-wrap: wrap; gap: .3em; margin-bottom: .5em; }
  .command { border: 1px solid #9fb3c8; background: #fff; border-radius: 14px;
             padding: .15em .6em; font-size: .85em; }
  .command small { color: #52606d; margin-left: .3em; }
  #chat { flex: 1; overflow-y: auto; background: #fff; border: 1px solid #c8d0da;
          border-radius: 8px; padding: .6em; display: flex; flex-direction: column; gap: .5em; }
  .msg { max-width: 80%; padding: .45em .7em; border-radius: 10px; }
  .msg.bot { align-self: flex-start; background: #f1f3f6; }
  .msg.user { align-self: flex-end; background: #d7f0d2; }
  .msg .text { white-space: pre-wrap; overflow-wrap: anywhere; }
  .msg .quote { font-size: .8em; color: #52606d; border-left: 3px solid #9fb3c8;
                padding-left: .4em; margin-bottom: .25em; }
  .msg .meta { font-size: .75em; color: #7b8794; margin-top: .2em; }
  .reply { border: none; background: none; color: #24466b; font-size: 1em; padding: 0 .3em; }
  .kb { margin-top: .4em; display: flex; flex-direction: column; gap: .25em; }
  .kb .row { display: flex; gap: .25em; }
  .kb-button { flex: 1; padding: .35em .5em; border: 1px solid #9fb3c8; border-radius: 6px;
               background: #fff; color: #24466b; text-align: center; text-decoration: none; }
  .kb-button:hover { background: #dde8f5; }
  #toast { min-height: 1.6em; margin: .4em 0 0; font-size: .9em; }
  #toast.alert { color: #8a1c1c; font-weight: 600; }
  #replying { font-size: .85em; margin-top: .3em; }
  #send-form { display: flex; gap: .4em; margin-top: .4em; }
  #send-form textarea { flex: 1; resize: vertical; }
  #send-form button { flex: none; padding: 0 1em; }
  .empty { color: #7b8794; font-style: italic; }
</style>
</head>
<body>
<header><h1>Relais sandbox</h1><span id="status">connecting…</span></header>
<main>
  <aside>
    <h2>People</h2>
    <ul id="people"></ul>
    <form id="add-form" autocomplete="off">
      <h3>Add a person</h3>
      <label>Telegram id <input id="add-id" type="number" min="1" required></label>
      <label>First name <input id="add-name" required maxlength="64"></label>
      <label>Telegram language
        <select id="add-lang"><option value="fr">fr</option><option value="en">en</option></select>
      </label>
      <button id="add" type="submit">Add</button>
    </form>
    <p class="hint">To enrol someone, run <code>relais invite --role officer --name "Julie
      Tremblay"</code> (or <code>worker</code>, <code>supervisor</code>): it prints a code.
      Then send <code>/start CODE</code> here as that person. The bot's answers say who they
      are.</p>
  </aside>
  <section id="chat-pane">
    <h2 id="chat-title">Pick or add a person</h2>
    <div id="menu"></div>
    <div id="chat"><p class="empty">No conversation yet.</p></div>
    <div id="toast" role="status"></div>
    <div id="replying" hidden>Replying to message <span id="reply-id"></span>
      <button id="reply-cancel" type="button" title="Do not reply">✕</button></div>
    <form id="send-form">
      <textarea id="text" rows="2" placeholder="Write as this person (Enter sends)"></textarea>
      <button id="send" type="submit">Send</button>
      <button id="location" type="button" title="Share a location">Location</button>
    </form>
  </section>
</main>
<script>
"use strict";
const BASE = location.pathname.replace(/\\/ui\\/?$/, "");
const $ = (id) => document.getElementById(id);
const state = { users: [], user: null, replyTo: null, scrollDown: false, toastTimer: null };

async function api(verb, name, params, body) {
  let url = BASE + "/" + name;
  if (params) url += "?" + new URLSearchParams(params);
  const init = { method: verb };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const payload = await response.json();
  if (!payload.ok) throw new Error(payload.error || "HTTP " + response.status);
  return payload.result;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(text, bad) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "";
}

function toast(text, alert) {
  const box = $("toast");
  box.textContent = text;
  box.className = alert ? "alert" : "";
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => { box.textContent = ""; }, alert ? 15000 : 6000);
}

function nameOf(user) {
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

function describe(m) {
  if (m.text) return m.text;
  const what = m.photo ? "[photo]"
    : m.voice ? "[voice note, " + m.voice.duration + " s]"
    : m.location ? "[location " + m.location.latitude + ", " + m.location.longitude + "]"
    : m.venue ? "[place " + m.venue.title + "]"
    : m.document ? "[document " + (m.document.file_name || "") + "]"
    : m.contact ? "[contact " + m.contact.first_name + " " + m.contact.phone_number + "]"
    : m.sticker ? "[sticker " + (m.sticker.emoji || "") + "]"
    : m.video ? "[video]" : m.audio ? "[audio]" : m.animation ? "[animation]" : "[message]";
  return m.caption ? what + " " + m.caption : what;
}

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  for (const user of state.users) {
    const item = el("li");
    const language = user.language_code ? " · " + user.language_code : "";
    const label = nameOf(user) + " · " + user.id + language;
    const button = el("button", "person" + (user.id === state.user ? " selected" : ""), label);
    button.type = "button";
    button.dataset.userId = user.id;
    button.addEventListener("click", () => select(user.id));
    item.append(button);
    list.append(item);
  }
  if (!$("add-id").value) {
    $("add-id").value = Math.max(1000, ...state.users.map((u) => u.id)) + 1;
  }
}

function keyButton(message, key) {
  if (key.url) {
    const link = el("a", "kb-button", key.text);
    link.href = key.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }
  const button = el("button", "kb-button", key.text);
  button.type = "button";
  if (key.callback_data === undefined) {
    button.disabled = true;
  } else {
    button.addEventListener("click", () => press(message.message_id, key.callback_data));
  }
  return button;
}

function renderMessage(m) {
  const box = el("div", "msg " + (m.from && m.from.is_bot ? "bot" : "user"));
  box.dataset.messageId = m.message_id;
  if (m.reply_to_message) {
    box.append(el("div", "quote", "↪ " + describe(m.reply_to_message).slice(0, 90)));
  }
  box.append(el("div", "text", describe(m)));
  const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
  if (rows.length) {
    const keyboard = el("div", "kb");
    for (const row of rows) {
      const line = el("div", "row");
      for (const key of row) line.append(keyButton(m, key));
      keyboard.append(line);
    }
    box.append(keyboard);
  }
  const when = new Date((m.edit_date || m.date) * 1000).toLocaleTimeString();
  const edited = m.edit_date ? " · edited" : "";
  const meta = el("div", "meta", "#" + m.message_id + " · " + when + edited);
  const reply = el("button", "reply", "Reply");
  reply.type = "button";
  reply.title = "Send the next message as a reply to this one";
  reply.addEventListener("click", () => setReply(m.message_id));
  meta.append(reply);
  box.append(meta);
  return box;
}

function renderChat(messages) {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
  chat.replaceChildren();
  if (!messages.length) chat.append(el("p", "empty", "No conversation yet."));
  for (const m of messages) chat.append(renderMessage(m));
  if (atBottom || state.scrollDown) chat.scrollTop = chat.scrollHeight;
  state.scrollDown = false;
}

function renderMenu(commands) {
  const menu = $("menu");
  menu.replaceChildren();
  for (const command of commands) {
    const chip = el("button", "command", "/" + command.command);
    chip.type = "button";
    chip.dataset.command = command.command;
    chip.title = command.description;
    chip.append(el("small", "", command.description));
    chip.addEventListener("click", () => act(() => sendText("/" + command.command)));
    menu.append(chip);
  }
}

function setReply(messageId) {
  state.replyTo = messageId;
  $("replying").hidden = messageId === null;
  $("reply-id").textContent = messageId === null ? "" : "#" + messageId;
  if (messageId !== null) $("text").focus();
}

async function refresh() {
  const info = await api("GET", "info");
  state.users = info.users;
  renderPeople();
  const user = state.users.find((u) => u.id === state.user);
  if (user) {
    $("chat-title").textContent = nameOf(user) + " (" + user.id + ") talking with the bot";
    const [snapshot, menu] = await Promise.all([
      api("GET", "messages", { chat_id: user.id, include_user: 1 }),
      api("GET", "menu", { user_id: user.id }),
    ]);
    renderChat(snapshot.messages);
    renderMenu(menu.commands);
  }
  return info.version;
}

async function act(action) {
  try {
    await action();
  } catch (error) {
    setStatus(String(error.message || error), true);
  }
}

async function select(userId) {
  state.user = userId;
  state.scrollDown = true;
  setReply(null);
  $("toast").textContent = "";
  history.replaceState(null, "", "?user=" + userId);
  await act(refresh);
}

async function sendText(text) {
  if (state.user === null) throw new Error("pick or add a person first");
  if (!text.trim()) return;
  const body = { user_id: state.user, fields: { text: text } };
  if (state.replyTo !== null) body.reply_to = state.replyTo;
  await api("POST", "send", undefined, body);
  setReply(null);
  state.scrollDown = true;
}

async function press(messageId, data) {
  await act(async () => {
    const presses = [{ user_id: state.user, message_id: messageId, data: data }];
    const [query] = await api("POST", "press", undefined, { presses: presses });
    const answer = await api("GET", "callback_answer", { query_id: query, timeout: 15 });
    if (answer && answer.text) toast(answer.text, answer.show_alert);
  });
}

async function loop() {
  for (;;) {
    try {
      const version = await refresh();
      setStatus("connected", false);
      await api("GET", "changes", { since: version, timeout: 25 });
    } catch (error) {
      setStatus("sandbox unreachable: " + (error.message || error), true);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

$("send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(async () => {
    await sendText($("text").value);
    $("text").value = "";
  });
});
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("send-form").requestSubmit();
  }
});
$("reply-cancel").addEventListener("click", () => setReply(null));
$("location").addEventListener("click", () => act(async () => {
  if (state.user === null) throw new Error("pick or add a person first");
  const answer = prompt("Latitude, longitude", "45.5017, -73.5673");
  if (!answer) return;
  const [latitude, longitude] = answer.split(",").map(Number);
  const fields = { location: { latitude: latitude, longitude: longitude } };
  await api("POST", "send", undefined, { user_id: state.user, fields: fields });
}));
$("add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(async () => {
    const id = Number($("add-id").value);
    const name = $("add-name").value.trim();
    const body = { user_id: id, first_name: name, language_code: $("add-lang").value };
    await api("POST", "users", undefined, body);
    $("add-id").value = "";
    $("add-name").value = "";
    await select(id);
  });
});

(async () => {
  const query = new URLSearchParams(location.search);
  const wanted = Number(query.get("user"));
  if (wanted > 0) {
    await act(async () => {
      const info = await api("GET", "info");
      if (query.get("name") && !info.users.some((u) => u.id === wanted)) {
        const language = query.get("lang") || "fr";
        const body = { user_id: wanted, first_name: query.get("name"), language_code: language };
        await api("POST", "users", undefined, body);
      }
      state.user = wanted;
      state.scrollDown = true;
    });
  }
  loop();
})();
</script>
</body>
</html>
"""
