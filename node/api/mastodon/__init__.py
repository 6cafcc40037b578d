"""The Mastodon client API, so members can use the apps they already have."""
