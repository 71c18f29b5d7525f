"""A TCP forwarder for the several-hosts benchmark: worker "hosts" (network namespaces)
reach PostgreSQL, Redis and the emulators, which listen on loopback only, through an
address of their veth link in the root namespace.

    python migrator/tcp_forward.py LISTEN_HOST:PORT=TARGET_HOST:PORT [...]

Prints ``forwarding ready`` once every listener is bound; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

READY = "forwarding ready"
CHUNK = 64 * 1024


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        # Half-close: the other direction may still be talking.
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass


async def _serve(listen: tuple[str, int], target: tuple[str, int]) -> asyncio.Server:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter):
        try:
            server_reader, server_writer = await asyncio.open_connection(*target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, server_writer), _pipe(server_reader, client_writer)
        )
        for writer in (client_writer, server_writer):
            writer.close()

    return await asyncio.start_server(handle, *listen, reuse_address=True, backlog=512)


async def main(routes: list[tuple[tuple[str, int], tuple[str, int]]]) -> None:
    servers = [await _serve(listen, target) for listen, target in routes]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(READY, flush=True)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    pairs = [argument.split("=", 1) for argument in sys.argv[1:]]
    if not pairs or any(len(pair) != 2 for pair in pairs):
        sys.exit(__doc__)
    asyncio.run(main([(_address(listen), _address(target)) for listen, target in pairs]))
