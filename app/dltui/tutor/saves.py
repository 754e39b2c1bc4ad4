"""The chat's database work, on one thread of its own, first asked first done.

Another process (a second dltui, `dltui review` in another terminal, a backup) may hold SQLite's
write lock for up to the 30 s busy timeout; a write made on the event loop would freeze the screen
that long. So every write of the chat (opening a conversation, the learner's message, the reply as
it streams, the tutors' tool calls, retry, switching tutor or topic) is handed to this thread, and
the event loop awaits it. One thread keeps them in order: a later save (the reply) can never land
before an earlier one (the learner's message). Started on the first save, not at start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

_SAVES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dltui-chat-saves")

P = ParamSpec("P")
T = TypeVar("T")


def queue(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
    """Hand ``work`` to the save thread, after everything handed to it before; returns at once."""
    return _SAVES.submit(work, *args, **kwargs)


async def landed(save: Future[T]) -> T:
    """Wait, off the event loop, for a save to be committed; return what it returned.

    Stopping the reply (Esc) while a save waits lets that save land first: it cannot be taken
    back, and what follows the stop (marking the reply partial) must come after it.
    """
    waiting = asyncio.wrap_future(save)
    try:
        return await asyncio.shield(waiting)
    except asyncio.CancelledError:
        await waiting
        raise


async def saved(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``work`` on the save thread, in turn, and wait for it without blocking the event loop."""
    return await landed(queue(work, *args, **kwargs))
