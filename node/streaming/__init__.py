"""The Mastodon streaming API: open streams, the events they are told, and its routes."""
