"""How late the event loop runs what is due: a small task asks to wake every quarter second
and records how much later it woke (a blocking call on the loop, or a loop too busy to keep
up, shows here first). Exported as a histogram on /metrics."""

from __future__ import annotations

import asyncio

from bot import metrics

EVERY_S = 0.25


async def watch(every: float = EVERY_S) -> None:
    """Run until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(every)
        metrics.LOOP_LAG.observe(max(0.0, loop.time() - asked - every))
