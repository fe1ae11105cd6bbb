"""Several ASGI apps served by uvicorn on one event loop, each on its own loopback port.

The demo and the benchmarks run the gateway and many park nodes in one process this way: each is a real HTTP
server on its own port; the loop handles Ctrl-C once for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

from alliance.web.server import bound_socket


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # One loop, many servers: signals are handled once, by the host (see Cohost.wait).
        yield


class Cohost:
    def __init__(self) -> None:
        self.servers: list[tuple[_Server, asyncio.Task[None]]] = []

    async def start(self, app: Any, host: str, port: int, *, log_level: str = "warning", timeout: float = 30.0
                    ) -> str:
        sock = bound_socket(host, port)
        server = _Server(uvicorn.Config(app, log_level=log_level, lifespan="on", timeout_graceful_shutdown=3))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        self.servers.append((server, task))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError(f"server on port {port} stopped while starting")
            if loop.time() > deadline:
                raise TimeoutError(f"server on port {port} did not start within {timeout} s")
            await asyncio.sleep(0.02)
        return f"http://{host}:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        for server, _ in self.servers:
            server.should_exit = True
        await asyncio.gather(*(task for _, task in self.servers), return_exceptions=True)
        self.servers.clear()
