"""A loopback emulator of the Telegram Bot API (bot side) with a user side.

Why: Telegram may be out of reach (CI, a training room) and a new user may have no bot
token; the real bot runs against this sandbox unchanged, only its base URL differs.
"""

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer

__all__ = ["SandboxClient", "SandboxServer"]
