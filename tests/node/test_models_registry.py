"""Every entry point that opens the database sees every mapped class, whatever it imported."""

from __future__ import annotations

import subprocess
import sys

import content.models
import node.models
from content.orm import Base


def test_opening_the_database_maps_every_class_even_if_only_notifications_were_imported() -> None:
    # A fresh process, as a benchmark or a command starts: the notification model names
    # `Post` by string, and nothing here imports content.posts.
    script = (
        "from node.database import driver_url\n"
        "from content.notifications import Notification\n"
        "from sqlalchemy.orm import configure_mappers\n"
        "configure_mappers()\n"
        "print(Notification.post.property.mapper.class_.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Post\n"


def test_content_models_lists_every_mapped_class_of_the_content_layer() -> None:
    mapped = {
        m.class_.__name__
        for m in Base.registry.mappers
        if m.class_.__module__.startswith("content.")
    }
    assert mapped == set(content.models.__all__) - {"Base"}
    everything = {m.class_.__name__ for m in Base.registry.mappers}
    assert everything == set(node.models.__all__) - {"Base"}
