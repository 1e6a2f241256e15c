"""local.demo_contract: the lines the demo prints about manifests and notifications."""

from __future__ import annotations

from local.demo_contract import facts_line, notifications_line


def manifest(**metadata):
    base = {
        "taken_at": None,
        "camera": {"make": None, "model": None, "lens": None},
        "orientation": None,
        "gps_present": False,
    }
    return {
        "source": {"width": 1200, "height": 800, "format": "JPEG"},
        "metadata": {**base, **metadata},
    }


def test_facts_line_names_what_the_file_says_and_only_that():
    assert facts_line(manifest()) == "1200x800 JPEG, no capture time, no camera"
    full = manifest(
        taken_at="2024-06-11T20:45:00+01:00",
        camera={"make": "Canon", "model": "EOS R5", "lens": None},
        orientation=6,
        gps_present=True,
    )
    assert facts_line(full) == (
        "1200x800 JPEG, taken 2024-06-11T20:45:00+01:00, camera Canon EOS R5, "
        "orientation 6 applied, GPS present (not copied)"
    )


def test_notifications_line_counts_by_event():
    assert notifications_line([]) == "none"
    events = [{"event": "processed"}, {"event": "rejected"}, {"event": "processed"}]
    assert notifications_line(events) == "2 processed, 1 rejected"
