"""loadtest.reconcile: uploads against outputs, every difference named."""

from __future__ import annotations

from function.manifest import manifest_key
from function.variant_spec import DEFAULT_VARIANTS
from loadtest.reconcile import reconcile


def outputs_for(*keys: str) -> dict[str, int]:
    variants = {spec.output_key(key): 10 for key in keys for spec in DEFAULT_VARIANTS}
    return {**variants, **{manifest_key(key): 10 for key in keys}}


def test_complete_outputs_reconcile_exactly():
    result = reconcile(["a.jpg", "b.png"], outputs_for("a.jpg", "b.png"), DEFAULT_VARIANTS)
    assert result.exact
    assert result.expected_outputs == result.found_outputs == 2 * (len(DEFAULT_VARIANTS) + 1)


def test_missing_extra_and_empty_outputs_are_named():
    outputs = outputs_for("a.jpg", "b.png")
    lost = DEFAULT_VARIANTS[0].output_key("b.png")
    del outputs[lost]
    outputs["stray.webp"] = 5
    emptied = DEFAULT_VARIANTS[1].output_key("a.jpg")
    outputs[emptied] = 0

    result = reconcile(["a.jpg", "b.png"], outputs, DEFAULT_VARIANTS)

    assert not result.exact
    assert result.incomplete == ("b.png",)
    assert result.missing == (lost,)
    assert result.extra == ("stray.webp",)
    assert result.empty == (emptied,)


def test_no_uploads_is_not_a_success():
    assert not reconcile([], {}, DEFAULT_VARIANTS).exact
