"""function.geometry: resize plans and reduced decode sizes."""

from __future__ import annotations

import pytest

from function.geometry import needed_decode_size, plan_resize
from function.variant_spec import DEFAULT_VARIANTS, VariantSpec

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("spec", "source", "size", "box"),
    [
        (VariantSpec("t", "JPEG", max_width=150, max_height=150), (4000, 3000), (150, 112), None),
        (VariantSpec("t", "JPEG", max_width=150, max_height=150), (100, 50), (100, 50), None),
        (VariantSpec("w", "PNG", max_width=100), (400, 1000), (100, 250), None),
        (VariantSpec("h", "PNG", max_height=100), (400, 1000), (40, 100), None),
        (
            VariantSpec("c", "PNG", max_width=100, max_height=100, fit="cover"),
            (400, 200),
            (100, 100),
            (100.0, 0.0, 300.0, 200.0),
        ),
        (
            VariantSpec("c", "PNG", max_width=300, max_height=150, fit="cover"),
            (200, 200),
            (200, 100),
            (0.0, 50.0, 200.0, 150.0),
        ),
    ],
)
def test_plan_resize(spec, source, size, box):
    plan = plan_resize(spec, source, source)
    assert plan.size == size
    assert plan.box == (pytest.approx(box) if box else None)


def test_plan_resize_scales_the_box_to_a_reduced_decode_and_caps_dimensions():
    cover = VariantSpec("c", "PNG", max_width=100, max_height=100, fit="cover")
    assert plan_resize(cover, (400, 200), (100, 50)).box == pytest.approx((25, 0, 75, 50))
    full = VariantSpec("f", "WEBP")
    assert plan_resize(full, (20000, 1000), (20000, 1000), 16383).size == (16383, 819)


def test_needed_decode_size():
    thumb = VariantSpec("t", "JPEG", max_width=150, max_height=150)
    assert needed_decode_size((thumb,), (4000, 3000), 3.0) == (450, 338)
    assert needed_decode_size(DEFAULT_VARIANTS, (4000, 3000), 3.0) is None
    assert needed_decode_size((thumb,), (300, 200), 3.0) is None
