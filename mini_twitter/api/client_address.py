"""The client's address: the one notion of "who is calling" for the throttles and the ``/metrics``
allow-list.

It is the peer the server reports (``REMOTE_ADDR``). Behind a reverse proxy, the ASGI server puts
the proxy's ``X-Forwarded-For`` there, but only for a peer it trusts (uvicorn's
``FORWARDED_ALLOW_IPS``: in the compose setup nginx's fixed address, by default nobody). The
application never reads ``X-Forwarded-For`` itself, so a client cannot pick its address by sending
the header.
"""


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
