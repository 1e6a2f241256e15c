"""The stack's small pure helpers: packaging, naming, notification filters, function env."""

import pulumi
import pytest

from function.variant_spec import DEFAULT_VARIANTS, VariantSpec, variants_to_json
from infra.config import Settings
from infra.naming import physical_name, standard_tags
from infra.packaging import FUNCTION_DIR, function_archive, function_sources
from infra.processor import function_environment, notification_filters


def write(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_function_sources_keep_only_the_functions_own_python(tmp_path):
    for name in (
        "lambda_function.py",
        "variant_spec.py",
        "pkg/helpers.py",
        "__pycache__/lambda_function.cpython-312.pyc",
        "pkg/__pycache__/helpers.cpython-312.py",
        "stale.pyc",
        "notes.txt",
        "tests/test_handler.py",
        "test_local.py",
        "local_test.py",
        "conftest.py",
    ):
        write(tmp_path / name)
    sources = function_sources(tmp_path)
    assert sources == {
        "lambda_function.py": tmp_path / "lambda_function.py",
        "pkg/helpers.py": tmp_path / "pkg" / "helpers.py",
        "variant_spec.py": tmp_path / "variant_spec.py",
    }


def test_function_sources_refuse_an_empty_tree(tmp_path):
    write(tmp_path / "README.md")
    with pytest.raises(FileNotFoundError, match="no function sources"):
        function_sources(tmp_path)


def test_function_archive_maps_names_to_file_assets(tmp_path):
    write(tmp_path / "lambda_function.py")
    archive = function_archive(tmp_path)
    assert isinstance(archive, pulumi.AssetArchive)
    (name,) = archive.assets
    assert name == "lambda_function.py"
    assert archive.assets[name].path == str(tmp_path / "lambda_function.py")


def test_the_real_function_dir_is_packaged():
    sources = function_sources()
    assert FUNCTION_DIR.name == "function"
    assert "variant_spec.py" in sources
    assert all(not name.endswith(".pyc") for name in sources)


def test_physical_names_are_readable_and_lower_case():
    assert physical_name("dev", "uploads", "0a1b2c3d") == "image-pipeline-dev-uploads-0a1b2c3d"
    assert physical_name("prod", "Processed", "ABCD") == "image-pipeline-prod-processed-abcd"
    longest = physical_name("staging", "processed", "ffffffff")
    assert len(longest) <= 63  # S3 bucket name limit


def test_standard_tags():
    assert standard_tags("prod") == {
        "Project": "image-pipeline",
        "Environment": "prod",
        "ManagedBy": "pulumi",
    }


@pytest.mark.parametrize(
    ("prefix", "suffixes", "expected"),
    [
        ("", (), [{}]),
        ("in/", (), [{"filter_prefix": "in/"}]),
        ("", (".jpg",), [{"filter_suffix": ".jpg"}]),
        (
            "in/",
            (".jpg", ".png"),
            [
                {"filter_prefix": "in/", "filter_suffix": ".jpg"},
                {"filter_prefix": "in/", "filter_suffix": ".png"},
            ],
        ),
    ],
)
def test_notification_filters(prefix, suffixes, expected):
    assert notification_filters(prefix, suffixes) == expected


def test_function_environment_defaults():
    assert function_environment(Settings()) == {
        "VARIANTS": variants_to_json(DEFAULT_VARIANTS),
        "KEEP_EXIF": "false",
    }


def test_function_environment_overrides():
    settings = Settings(
        variants=(VariantSpec("t", "PNG"),), max_input_bytes=10, max_pixels=20, keep_exif=True
    )
    assert function_environment(settings) == {
        "VARIANTS": '[{"fit":"contain","format":"PNG","suffix":"t"}]',
        "KEEP_EXIF": "true",
        "MAX_INPUT_BYTES": "10",
        "MAX_PIXELS": "20",
    }
