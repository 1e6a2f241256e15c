"""One pin: the layer's requirements file is what the dev venv runs the tests on."""

import importlib.metadata
import re

import pytest

from layer.build import REQUIREMENTS
from layer.pins import canonical_name, installed_versions, read_pins
from tests.repo import REPO_ROOT

SDK = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")


def test_the_venv_runs_the_versions_the_layer_pins():
    pinned = read_pins(REQUIREMENTS)
    assert set(SDK) | {"pillow"} <= set(pinned)
    installed = installed_versions()
    assert {name: installed.get(name) for name in pinned} == pinned


def test_every_sdk_dependency_of_the_venv_is_pinned_in_the_layer():
    # boto3's whole dependency closure, as installed, must be shipped: nothing may come from
    # the Lambda runtime's own site-packages.
    pinned = read_pins(REQUIREMENTS)
    closure, queue = set(), ["boto3"]
    while queue:
        name = queue.pop()
        if name in closure:
            continue
        closure.add(name)
        queue.extend(dependencies(name))
    assert closure == set(SDK)
    assert closure <= set(pinned)


def dependencies(name: str) -> list[str]:
    """The installed distribution's unconditional requirements (no extras), normalised."""
    requires = importlib.metadata.requires(name) or []
    unconditional = [r for r in requires if "extra ==" not in r]
    return [canonical_name(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in unconditional]


def test_the_dev_requirements_do_not_pin_the_layers_packages_again():
    for path in sorted(REPO_ROOT.glob("requirements*.txt")):
        repeated = set(read_pins(path)) & set(read_pins(REQUIREMENTS))
        assert repeated == set(), f"{path.name} pins {sorted(repeated)} again"


def test_read_pins_joins_continuations_and_normalises_names(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# comment\nmoto[s3,server]==5.2.5\n"
        "Python_Dateutil==2.9.0.post0 \\\n    --hash=sha256:ab\n"
        "-r other.txt\nsix==1.17.0  # trailing\n"
    )
    assert read_pins(requirements) == {
        "moto": "5.2.5",
        "python-dateutil": "2.9.0.post0",
        "six": "1.17.0",
    }
    requirements.write_text("boto3>=1.44\n")
    with pytest.raises(ValueError, match=r"'boto3>=1\.44' is not pinned with =="):
        read_pins(requirements)
