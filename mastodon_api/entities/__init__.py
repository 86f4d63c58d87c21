"""Mastodon's entities (Mastodon 4.3's documented attributes and types), rendered from the native
app's data: ids are strings of digits, times ISO 8601 in UTC with milliseconds, URLs absolute."""
