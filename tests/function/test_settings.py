"""function.settings: defaults sized from memory, errors naming the variable."""

from __future__ import annotations

import pytest

from function.budget import BYTES_PER_PIXEL
from function.settings import (
    DEFAULT_CACHE_CONTROL,
    ConfigError,
    configured_environment,
    default_max_input_bytes,
    default_max_pixels,
    load_settings,
)
from function.variant_spec import DEFAULT_VARIANTS

MIB = 1024 * 1024


def test_settings_defaults_are_sized_from_the_function_memory():
    defaults = load_settings({"PROCESSED_BUCKET": "out"})
    assert defaults.memory_mb == 1024 and defaults.variants == DEFAULT_VARIANTS
    assert defaults.max_input_bytes == 64 * MIB == default_max_input_bytes(1024)
    room = int(1024 * MIB * 0.9) - (128 + 64) * MIB  # 90% of memory, less baseline and download
    assert defaults.max_pixels == room // BYTES_PER_PIXEL == default_max_pixels(1024, 64 * MIB)
    assert 31_500_000 < defaults.max_pixels < 32_000_000  # 31 MP photos still fit
    assert defaults.max_alpha_pixels == room // 50  # 15.3 MP with alpha
    assert defaults.budget.timeout_s == 60 and round(defaults.budget.cpu_seconds, 1) == 26.0
    assert not defaults.keep_exif
    bigger = load_settings({"PROCESSED_BUCKET": "out", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"})
    assert bigger.max_pixels > 3 * defaults.max_pixels
    fewer = load_settings({"PROCESSED_BUCKET": "out", "MAX_INPUT_BYTES": str(320 * MIB)})
    assert (
        fewer.max_pixels == (int(1024 * MIB * 0.9) - (128 + 320) * MIB) // BYTES_PER_PIXEL
    )  # less room
    explicit = load_settings(
        {
            "PROCESSED_BUCKET": "out",
            "MAX_PIXELS": "100",
            "MAX_INPUT_BYTES": "7",
            "KEEP_EXIF": "TRUE",
        }
    )
    assert (explicit.max_pixels, explicit.max_input_bytes, explicit.keep_exif) == (100, 7, True)
    assert (
        explicit.max_alpha_pixels == 100 * BYTES_PER_PIXEL // 50
    )  # an explicit MAX_PIXELS is scaled for alpha too
    short = load_settings({"PROCESSED_BUCKET": "out", "TIMEOUT_SECONDS": "10"})
    # 10 s at 0.58 vCPU x 0.75 is 4.3 s of CPU: at 450 ns a pixel the CPU binds, not the memory
    assert short.max_pixels == int(10 * 1024 / 1769 * 0.75 * 1e9 / 450) < defaults.max_pixels


def test_settings_errors_name_the_variable():
    with pytest.raises(ConfigError, match="PROCESSED_BUCKET"):
        load_settings({"PROCESSED_BUCKET": "  "})
    with pytest.raises(ConfigError, match=r"VARIANTS: variants\[0\]\.quality"):
        load_settings(
            {"PROCESSED_BUCKET": "b", "VARIANTS": '[{"suffix":"a","format":"PNG","quality":5}]'}
        )
    with pytest.raises(ConfigError, match="MAX_PIXELS"):
        load_settings({"PROCESSED_BUCKET": "b", "MAX_PIXELS": "0"})
    with pytest.raises(ConfigError, match="AWS_LAMBDA_FUNCTION_MEMORY_SIZE=160"):
        load_settings({"PROCESSED_BUCKET": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "160"})
    with pytest.raises(ConfigError, match="TIMEOUT_SECONDS must be a positive integer") as bad:
        load_settings({"PROCESSED_BUCKET": "b", "TIMEOUT_SECONDS": "soon"})
    assert bad.value.variable == "TIMEOUT_SECONDS"
    with pytest.raises(ConfigError, match=r"TIMEOUT_SECONDS=1 at 1024 MB .* 0\.4 s") as short:
        load_settings({"PROCESSED_BUCKET": "b", "TIMEOUT_SECONDS": "1"})
    assert short.value.variable == "TIMEOUT_SECONDS"
    small = {"PROCESSED_BUCKET": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "160", "MAX_PIXELS": "9"}
    assert load_settings(small).max_pixels == 9


def test_cache_control_defaults_round_trips_and_is_validated():
    assert load_settings({"PROCESSED_BUCKET": "b"}).cache_control == DEFAULT_CACHE_CONTROL
    assert "immutable" not in DEFAULT_CACHE_CONTROL  # variant names are reused on overwrite
    value = "public, max-age=31536000, immutable"
    env = configured_environment(variants=DEFAULT_VARIANTS, keep_exif=False, cache_control=value)
    assert env["CACHE_CONTROL"] == value
    assert load_settings({"PROCESSED_BUCKET": "b", **env}).cache_control == value
    unset = configured_environment(variants=DEFAULT_VARIANTS, keep_exif=False)
    assert "CACHE_CONTROL" not in unset
    for bad in ("max-age=1\r\nX-Injected: 1", "x" * 257, "caf\u00e9"):
        with pytest.raises(ConfigError, match="CACHE_CONTROL") as raised:
            load_settings({"PROCESSED_BUCKET": "b", "CACHE_CONTROL": bad})
        assert raised.value.variable == "CACHE_CONTROL"
