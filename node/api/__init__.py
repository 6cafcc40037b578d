"""HTTP surfaces for machines: ActivityPub, WebFinger and NodeInfo."""
