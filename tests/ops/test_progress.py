"""ops.progress: the progress bar on a terminal and in a log."""

import io

from ops.progress import ProgressBar


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_writes_a_line_per_tenth_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(20, "backfill", stream=stream)
    for index in range(20):
        bar.advance("failed" if index == 3 else "invoked")
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("backfill [" + "#" * 30 + "] 20/20 100%")
    assert lines[-1].endswith("failed=1 invoked=19")


def test_progress_bar_redraws_in_place_on_a_terminal():
    stream = FakeTerminal()
    bar = ProgressBar(4, "backfill", stream=stream, width=8)
    for _ in range(4):
        bar.advance("invoked")
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 4
    assert "backfill [########] 4/4 100%" in text
    assert "backfill [##......] 1/4" in text
    assert text.endswith("invoked=4\n")
