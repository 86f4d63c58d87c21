"""What nginx does for the compose stack, in little: one origin in front of the ``web`` and
``stream`` servers, each connection sent by its first request's path (the WebSockets and the
Mastodon API's streams to ``stream``, the rest to ``web``). Requests are passed on with
``Connection: close`` (upgrades excepted), so a client's next request opens a connection that is
routed again; the client's Host header is kept, so both servers build the same absolute URLs."""

import socket
import threading
from contextlib import contextmanager, suppress

# deploy/nginx.conf's `location ^~ /ws/` and `location ^~ /api/v1/streaming`.
STREAM_PATHS = ("/ws/", "/api/v1/streaming")


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _serve(client: socket.socket, web: tuple[str, int], stream: tuple[str, int]) -> None:
    with client:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        request_line, *headers = head.split(b"\r\n")
        path = request_line.split(b" ")[1].decode("latin1") if request_line.count(b" ") >= 2 else "/"
        upstream = stream if path.startswith(STREAM_PATHS) else web
        if not any(header.lower().startswith(b"upgrade:") for header in headers):
            headers = [header for header in headers if not header.lower().startswith(b"connection:")]
            headers.append(b"Connection: close")
        with socket.create_connection(upstream, timeout=None) as server:
            server.sendall(b"\r\n".join([request_line, *headers]) + b"\r\n\r\n" + rest)
            upload = threading.Thread(target=_pipe, args=(client, server), daemon=True)
            upload.start()
            _pipe(server, client)
            upload.join(timeout=1)


@contextmanager
def path_router(web_base: str, stream_base: str):
    """A loopback origin routing to the two servers (``http://127.0.0.1:port`` each); yields its base URL."""

    def address(base: str) -> tuple[str, int]:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    web, stream = address(web_base), address(stream_base)
    listener = socket.create_server(("127.0.0.1", 0))
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_serve, args=(client, web, stream), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        listener.close()
        acceptor.join(timeout=5)
