"""The versions pinned in the layer's requirements file, and the versions actually installed.

The layer's requirements file is the one place the function's runtime packages are pinned: the
layer is built from it and the dev venv installs it, so the tests run what is shipped.
"""

import importlib.metadata
import re
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def canonical_name(name: str) -> str:
    """A distribution name normalised (PEP 503): `Python_Dateutil` -> `python-dateutil`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(requirements: Path) -> dict[str, str]:
    """Map every `name==version` requirement of a requirements file to its version.

    Raises ValueError naming the file and the requirement if one is not pinned exactly.
    """
    pins: dict[str, str] = {}
    logical = requirements.read_text().replace("\\\n", " ").splitlines()
    for line in logical:
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        match = PIN.match(text)
        if match is None:
            raise ValueError(f"{requirements}: requirement {text!r} is not pinned with ==")
        pins[canonical_name(match.group(1))] = match.group(2)
    return pins


def installed_versions(path: list[str] | None = None) -> dict[str, str]:
    """Map every distribution installed on `path` (default: this interpreter's) to its version."""
    distributions = importlib.metadata.distributions(**({} if path is None else {"path": path}))
    return {canonical_name(d.metadata["Name"]): d.version for d in distributions}
