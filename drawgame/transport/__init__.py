"""drawgame's own WebSocket transport for /ws: wsproto and trio sockets.

The sans-I/O parts (``frames``: server frames built once and shared;
``inbound``: the size bound and bounded inflate for client frames;
``handshake``: the opening handshake; ``outbox``: what waits to be written)
are kept apart from the one trio part (``websocket``: one connection on a
non-blocking socket), the way hypercorn keeps ``protocol/`` apart from
``trio/``. The front door that accepts connections and hands them here or to
hypercorn is drawgame/web/server.py.
"""
