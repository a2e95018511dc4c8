"""A person using the sandbox page's API, read like a script."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from bot.app import Application


class SandboxPerson:
    """Acts as one sandbox identity and reads what the bot says back."""

    def __init__(self, app: Application, http: aiohttp.ClientSession, chat: str) -> None:
        self.app = app
        self.http = http
        self.chat = chat
        self.base = f"http://127.0.0.1:{app.port}/sandbox/api"
        self.seen = 0

    async def act(self, action: dict[str, Any]) -> list[dict[str, Any]]:
        """Do something on the page, wait for the bot to finish, return its new messages."""
        action.setdefault("id", uuid.uuid4().hex)
        async with self.http.post(
            f"{self.base}/send",
            json={"chat": self.chat, "action": action},
            headers={"X-Sandbox": "1"},
        ) as r:
            assert r.status == 200, await r.text()
        return await self.settle()

    async def settle(self) -> list[dict[str, Any]]:
        """Wait until the bot has handled everything and sent it; return the bot's new lines."""
        await self.app.dispatcher.wait_idle()
        await self.app.outbox.flush()
        return await self.new_lines()

    async def new_lines(self) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.base}/messages",
            params={"chat": self.chat, "after": self.seen},
            headers={"X-Sandbox": "1"},
        ) as r:
            lines = (await r.json())["messages"]
        if lines:
            self.seen = lines[-1]["id"]
        return [line for line in lines if line["sender"] == "bot" and not line.get("edits")]

    async def upload(self, data: bytes, name: str, mime: str) -> list[dict[str, Any]]:
        """Attach a file through the page's upload form."""
        form = aiohttp.FormData()
        form.add_field("chat", self.chat)
        form.add_field("file", data, filename=name, content_type=mime)
        async with self.http.post(
            f"{self.base}/upload", data=form, headers={"X-Sandbox": "1"}
        ) as response:
            assert response.status == 200, await response.text()
        return await self.settle()

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.act({"kind": "text", "text": text})

    async def press(self, label: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Press the button labelled `label` (a substring) in the given bot lines."""
        for line in reversed(lines):
            for row in line["buttons"]:
                for button in row:
                    if label in button["text"]:
                        pressed = {"data": button["data"], "label": button["text"]}
                        return await self.act({"kind": "callback", "line": line["id"], **pressed})
        offered = [b["text"] for line in lines for row in line["buttons"] for b in row]
        raise AssertionError(f"no button {label!r}; offered: {offered}")


def labels(lines: list[dict[str, Any]]) -> list[str]:
    """The buttons under the bot's last message."""
    return [button["text"] for row in lines[-1]["buttons"] for button in row]


def texts(lines: list[dict[str, Any]]) -> str:
    return "\n".join(line["text"] for line in lines)
