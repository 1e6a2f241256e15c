"""What the demo prints about the output contract: each upload's manifest facts, the
notifications its subscriber received, and a delete round trip. Pure formatting."""

from __future__ import annotations

from collections import Counter
from typing import Any


def facts_line(manifest: dict[str, Any]) -> str:
    """One line of what the manifest says about its source: dimensions, capture time, camera."""
    source, metadata = manifest["source"], manifest["metadata"]
    camera = metadata["camera"]
    parts = [f"{source['width']}x{source['height']} {source['format']}"]
    parts.append(f"taken {metadata['taken_at']}" if metadata["taken_at"] else "no capture time")
    named = " ".join(value for value in (camera["make"], camera["model"]) if value)
    parts.append(f"camera {named}" if named else "no camera")
    if metadata["orientation"] not in (None, 1):
        parts.append(f"orientation {metadata['orientation']} applied")
    if metadata["gps_present"]:
        parts.append("GPS present (not copied)")
    return ", ".join(parts)


def notifications_line(messages: list[dict[str, Any]]) -> str:
    """How many notifications of each kind arrived, e.g. ``3 processed, 1 rejected``."""
    if not messages:
        return "none"
    counts = Counter(message["event"] for message in messages)
    return ", ".join(f"{counts[event]} {event}" for event in sorted(counts))
