"""README.md and docs/*.md: every relative link resolves to a file (and, with ``#anchor``, to a
heading of that file, by GitHub's anchor rules), and the text holds no commit hashes or issue
numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOC_PAGES = ("function", "layer", "local-demo", "performance", "operations", "development")

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")
COMMIT_HASH = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-f]{40}|[0-9a-f]{7})(?![0-9A-Za-z])")
ISSUE_NUMBER = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)


def doc_files(root: Path = REPO) -> list[Path]:
    """README.md and every Markdown file in docs/."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and match and match.group(1).startswith(fence):
            fence = None
        elif fence is None:
            lines.append(line)
    return lines


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its rendered text, lowercased, punctuation removed
    (except ``-`` and ``_``), each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    kept = "".join(ch for ch in text.strip().lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def heading_anchors(text: str) -> set[str]:
    """Every heading anchor of a Markdown text; a repeated one gets ``-1``, ``-2``... as on
    GitHub."""
    anchors: set[str] = set()
    for line in prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        base = github_anchor(match.group(2))
        anchor, count = base, 0
        while anchor in anchors:
            count += 1
            anchor = f"{base}-{count}"
        anchors.add(anchor)
    return anchors


def link_targets(text: str) -> list[str]:
    """The targets of the inline and reference links outside code."""
    prose = "\n".join(INLINE_CODE.sub("", line) for line in prose_lines(text))
    return INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)


def link_problems(doc: Path) -> list[str]:
    """One message per relative link of ``doc`` to a missing file or heading."""
    text = doc.read_text(encoding="utf-8")
    problems = []
    for target in link_targets(text):
        if URL_SCHEME.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        linked = (doc.parent / path_part).resolve() if path_part else doc
        if not linked.exists():
            problems.append(f"{doc.name}: link {target!r}: no file {linked}")
            continue
        if anchor and linked.suffix == ".md":
            linked_text = text if linked == doc else linked.read_text(encoding="utf-8")
            if anchor not in heading_anchors(linked_text):
                problems.append(
                    f"{doc.name}: link {target!r}: no heading #{anchor} in {linked.name}"
                )
    return problems


def leak_problems(doc: Path) -> list[str]:
    """One message per commit-hash-looking token or issue number anywhere in ``doc``."""
    problems = []
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        for token in COMMIT_HASH.findall(line):
            if re.search(r"[a-f]", token) and re.search(r"\d", token):
                problems.append(f"{doc.name}:{number}: commit hash {token!r}")
        problems.extend(
            f"{doc.name}:{number}: issue reference {m!r}" for m in ISSUE_NUMBER.findall(line)
        )
    return problems


def test_the_front_page_and_every_docs_page_exist() -> None:
    names = [path.relative_to(REPO).as_posix() for path in doc_files()]
    assert names[0] == "README.md"
    for page in DOC_PAGES:
        assert f"docs/{page}.md" in names


@pytest.mark.parametrize("doc", doc_files(), ids=lambda path: path.name)
def test_relative_links_resolve(doc: Path) -> None:
    assert link_problems(doc) == []


@pytest.mark.parametrize("doc", doc_files(), ids=lambda path: path.name)
def test_no_commit_hashes_or_issue_numbers(doc: Path) -> None:
    assert leak_problems(doc) == []


def test_the_readme_links_to_every_docs_page() -> None:
    targets = link_targets((REPO / "README.md").read_text(encoding="utf-8"))
    for page in DOC_PAGES:
        assert f"docs/{page}.md" in {target.partition("#")[0] for target in targets}


# The checker itself, on files written for the purpose.


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_anchors_follow_github_rules() -> None:
    text = (
        "# The local demo: `make demo`\n"
        "## Encoder settings, and the study behind them!\n"
        "## What's new in [v2](https://example.com)\n"
        "## stack_outputs.py\n"
        "## Tests\n"
        "### Tests\n"
        "```\n# not a heading\n```\n"
    )
    assert heading_anchors(text) == {
        "the-local-demo-make-demo",
        "encoder-settings-and-the-study-behind-them",
        "whats-new-in-v2",
        "stack_outputspy",
        "tests",
        "tests-1",
    }


def test_a_link_to_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "b.md", "# B page\n\n## Part two\n")
    readme = write(
        tmp_path / "README.md",
        "# Top\n\n"
        "[ok](docs/b.md) [ok](docs/b.md#part-two) [ok](#top) [web](https://example.com/x.md)\n"
        "[gone](docs/c.md) [no heading](docs/b.md#part-three) [self](#nowhere)\n"
        "`[in code](docs/d.md)`\n\n```\n[in a block](docs/e.md)\n```\n\n"
        "[ref]: docs/f.md\n",
    )
    problems = link_problems(readme)
    assert len(problems) == 4
    assert "'docs/c.md'" in problems[0]
    assert "no heading #part-three in b.md" in problems[1]
    assert "no heading #nowhere in README.md" in problems[2]
    assert "'docs/f.md'" in problems[3]


def test_commit_hashes_and_issue_numbers_are_reported(tmp_path: Path) -> None:
    doc = write(
        tmp_path / "a.md",
        "measured at be3517b\n"
        "full 0123456789abcdef0123456789abcdef01234567\n"
        "as Issue 6 asked, and issue #12\n"
        "fine: 3141592 bytes, bucket uploads-1a2b3c4d, the issue is memory\n",
    )
    problems = leak_problems(doc)
    assert [problem.split(": ", 1)[0] for problem in problems] == [
        "a.md:1",
        "a.md:2",
        "a.md:3",
        "a.md:3",
    ]
