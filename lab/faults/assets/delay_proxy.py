"""A TCP proxy that delays what clients send by a fixed time plus jitter (the latency fault's
fallback where the kernel has no netem). Standard library only: it runs with the base image's
python3 in a helper container joined to the target's network namespace, as
``python3 -c <this file> LISTEN_PORT UPSTREAM_HOST:PORT MS JITTER_MS MARK``. Its own connections
upstream carry the firewall mark MARK, so the rule that redirects the target's connections to
the proxy lets them through.

Each chunk a client sends is forwarded ``MS +/- JITTER_MS`` later, in order (like netem on the
client's egress: every request/response round trip grows by about MS). Replies pass at once.
On SIGTERM it exits; the kernel closes every proxied connection, so clients reconnect directly.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
from collections.abc import Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _forward_delayed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float, jitter_s: float
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    last_due = 0.0
    try:
        while data := await reader.read(65536):
            # Never before an earlier chunk: jitter must not reorder a byte stream.
            last_due = max(last_due, loop.time() + delay_s + random.uniform(-jitter_s, jitter_s))
            queue.put_nowait((last_due, data))
    finally:
        queue.put_nowait((last_due, b""))
        await sender


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


async def _connect_marked(upstream: tuple[str, int], mark: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if mark:  # 0: no mark (and no CAP_NET_ADMIN needed), as in the unit test
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, upstream)
    except OSError:
        sock.close()
        raise
    return sock


def _handler(upstream: tuple[str, int], delay_s: float, jitter_s: float, mark: int) -> Handler:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(sock=await _connect_marked(upstream, mark))
        except OSError:
            client_w.close()
            return
        try:
            await asyncio.gather(_forward_delayed(client_r, up_w, delay_s, jitter_s), _forward(up_r, client_w))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (up_w, client_w):
                w.close()

    return handle


async def main(argv: list[str]) -> None:
    listen_port, upstream, ms, jitter_ms, mark = argv
    host, _, port = upstream.rpartition(":")
    handle = _handler((host, int(port)), float(ms) / 1000, float(jitter_ms) / 1000, int(mark, 0))
    server = await asyncio.start_server(handle, "127.0.0.1", int(listen_port), reuse_address=True)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: os._exit(0))
    print(f"ready: :{listen_port} -> {upstream} +{ms}ms ±{jitter_ms}ms", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
