"""The stack's small pure helpers: packaging, naming, notification filters, function env."""

import pulumi
import pytest

from function.variant_spec import DEFAULT_VARIANTS, VariantSpec, variants_to_json
from infra.config import StackSettings, function_environment
from infra.naming import physical_name, standard_tags
from infra.packaging import FUNCTION_DIR, function_archive, function_sources
from infra.processor import notification_filters


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
        write(tmp_path / "function" / name)
    sources = function_sources(tmp_path / "function")
    root = tmp_path / "function"
    assert sources == {
        "function/lambda_function.py": root / "lambda_function.py",
        "function/pkg/helpers.py": root / "pkg" / "helpers.py",
        "function/variant_spec.py": root / "variant_spec.py",
    }


def test_function_sources_include_every_asset_file(tmp_path):
    for name in (
        "lambda_function.py",
        "assets/fonts/Mark.ttf",
        "assets/fonts/LICENSE.txt",
        "assets/logo.png",
        "assets/__pycache__/x.pyc",
        "other/data.png",
    ):
        write(tmp_path / "function" / name)
    root = tmp_path / "function"
    assert function_sources(root) == {
        "function/assets/fonts/LICENSE.txt": root / "assets" / "fonts" / "LICENSE.txt",
        "function/assets/fonts/Mark.ttf": root / "assets" / "fonts" / "Mark.ttf",
        "function/assets/logo.png": root / "assets" / "logo.png",
        "function/lambda_function.py": root / "lambda_function.py",
    }


def test_function_sources_refuse_an_empty_tree(tmp_path):
    write(tmp_path / "README.md")
    with pytest.raises(FileNotFoundError, match="no function sources"):
        function_sources(tmp_path)


def test_function_archive_maps_names_to_file_assets(tmp_path):
    write(tmp_path / "function" / "lambda_function.py")
    archive = function_archive(tmp_path / "function")
    assert isinstance(archive, pulumi.AssetArchive)
    (name,) = archive.assets
    assert name == "function/lambda_function.py"
    assert archive.assets[name].path == str(tmp_path / "function" / "lambda_function.py")


def test_the_real_function_dir_is_packaged():
    sources = function_sources()
    assert FUNCTION_DIR.name == "function"
    assert {
        "function/__init__.py",
        "function/lambda_function.py",
        "function/assets/fonts/DejaVuSans-Bold.ttf",
        "function/assets/fonts/LICENSE-DejaVu.txt",
    } <= set(sources)
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
    assert function_environment(StackSettings()) == {
        "VARIANTS": variants_to_json(DEFAULT_VARIANTS),
        "KEEP_EXIF": "false",
        "TIMEOUT_SECONDS": "60",
        "NAME_COLLISION": "reject",
        "DELETE_OUTPUTS": "true",
    }


def test_function_environment_overrides():
    settings = StackSettings(
        variants=(VariantSpec("t", "PNG"),),
        max_input_bytes=10,
        max_pixels=20,
        keep_exif=True,
        timeout=30,
        name_collision="replace",
        delete_outputs=False,
    )
    assert function_environment(settings) == {
        "VARIANTS": '[{"fit":"contain","format":"PNG","suffix":"t"}]',
        "KEEP_EXIF": "true",
        "TIMEOUT_SECONDS": "30",
        "NAME_COLLISION": "replace",
        "DELETE_OUTPUTS": "false",
        "MAX_INPUT_BYTES": "10",
        "MAX_PIXELS": "20",
    }
