"""``layer/requirements.txt`` and ``requirements-demo.txt`` are enough for the demo: a real demo run
imports nothing from outside the standard library, the project and the distributions they name
(with their dependencies), so ``make demo`` can start before the rest of ``requirements-dev.txt``
is installed."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from PIL import Image

from tests.repo import REPO_ROOT

PROJECT_PACKAGES = {
    "function",
    "infra",
    "layer",
    "local",
    "ops",
    "policy",
    "bench",
    "hostile",
    "loadtest",
    "tests",
}
# Imported when present, with a fallback when not: responses tries typing_extensions first.
OPTIONAL = {"typing_extensions"}
# Runs the demo in this process, then lists every top-level module it imported.
RUN_DEMO = """
import json, sys
from local.demo import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""
# What the interpreter has imported before any project code runs (site, .pth hooks).
AT_STARTUP = "import json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"


def demo_requirements() -> list[Requirement]:
    """What ``make demo`` installs: the layer's file (hashed, lines continued) and the demo's."""
    requirements = []
    for name in ("layer/requirements.txt", "requirements-demo.txt"):
        text = (REPO_ROOT / name).read_text().replace("\\\n", " ")
        for line in text.splitlines():
            spec = line.split(" --hash")[0].strip()
            if spec and not spec.startswith("#"):
                requirements.append(Requirement(spec))
    return requirements


def closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution the requirements install, following the installed metadata."""
    seen: set[str] = set()
    pending = [(req, tuple(sorted(req.extras))) for req in requirements]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(extras)}]"
        if key in seen:
            continue
        seen.add(key)
        for raw in importlib.metadata.requires(name) or []:
            dependency = Requirement(raw)
            environments = [{"extra": extra} for extra in ("", *extras)]
            marker = dependency.marker
            if marker is None or any(marker.evaluate(env) for env in environments):
                pending.append((dependency, tuple(sorted(dependency.extras))))
    return {key.split("[")[0] for key in seen}


def test_the_demo_imports_only_what_requirements_demo_installs(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (90, 140, 200)).save(photo)
    result = subprocess.run(
        [sys.executable, "-c", RUN_DEMO, "--out", str(tmp_path / "out"), str(photo)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    startup = subprocess.run(
        [sys.executable, "-c", AT_STARTUP], capture_output=True, text=True, check=True
    )
    imported = set(report["modules"]) - set(json.loads(startup.stdout)) - OPTIONAL
    allowed = closure(demo_requirements())
    owners = importlib.metadata.packages_distributions()
    outside = {
        module: sorted(canonicalize_name(d) for d in owners[module])
        for module in sorted(imported)
        if module in owners
        and module not in PROJECT_PACKAGES
        and not {canonicalize_name(d) for d in owners[module]} & allowed
    }
    assert outside == {}, "add these to requirements-demo.txt or stop importing them"
    assert {"moto", "boto3", "PIL", "flask"} <= set(report["modules"])  # the run was real
    assert "pulumi" not in report["modules"]
