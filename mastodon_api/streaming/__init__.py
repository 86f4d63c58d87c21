"""Mastodon's streaming API on the Channels stack: server-sent events (``/api/v1/streaming/user``,
``/public``, ``/hashtag``...) and the multiplexed WebSocket (``/api/v1/streaming``), fed through the
channel layer (Redis in production, so any web process serves any user) by the same after-commit
events as ``/ws/events/``."""
