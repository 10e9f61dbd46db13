"""No dangling links in the docs, and a README.md short enough to read in one sitting."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 400

# Markdown links `[text](target)`; the target's `#anchor` and `"title"` are dropped below.
MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# A documentation page named in prose, a comment or a docstring, always relative to the repo root.
DOCS_PATH = re.compile(r"(?<![\w/.-])docs/[\w./-]*?\.md\b")


def _files(pattern: str) -> list[Path]:
    return sorted(p for p in ROOT.glob(pattern) if p.is_file())


MARKDOWN = [ROOT / "README.md", *_files("docs/*.md"), *_files("experiments/**/*.md")]
MENTIONING = [
    *MARKDOWN,
    *_files("conf/**/*.yaml"),
    *_files("experiments/**/*.yaml"),
    *_files("src/**/*.py"),
    *(p for p in _files("tests/**/*.py") if p != Path(__file__).resolve()),  # not its own examples
    *_files("experiments/**/*.py"),
    ROOT / "Makefile",
]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _link_target(link: str) -> str | None:
    """The local file a markdown link points to, or None for URLs and in-page anchors."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", link) or link.startswith("#"):
        return None
    return link.split("#", 1)[0]


def anchors(md: Path) -> set[str]:
    """GitHub's heading anchors of a markdown file: lower case, no punctuation, spaces -> '-'."""
    seen: dict[str, int] = {}
    fence = False
    for line in md.read_text(encoding="utf-8").splitlines():
        fence ^= line.startswith("```")
        if fence or not re.match(r"#{1,6} ", line):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def dangling_links(md: Path) -> list[str]:
    """Relative markdown links in `md` (resolved from its folder) whose target does not exist."""
    missing = []
    for n, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
        for link in MD_LINK.findall(line):
            target = _link_target(link)
            if link.startswith("#") and link[1:] not in anchors(md):
                missing.append(f"{_rel(md)}:{n}: no heading {link} in this file")
            elif target and not (md.parent / target).exists():
                missing.append(f"{_rel(md)}:{n}: link to {target}")
            elif target and target.endswith(".md") and "#" in link:
                anchor = link.split("#", 1)[1]
                if anchor not in anchors(md.parent / target):
                    missing.append(f"{_rel(md)}:{n}: no heading #{anchor} in {target}")
    return missing


def dangling_docs_paths(path: Path, root: Path = ROOT) -> list[str]:
    """`docs/<page>.md` mentions in `path` that name no file under `root` (the repo root)."""
    missing = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for name in DOCS_PATH.findall(line):
            if not (root / name).is_file():
                missing.append(f"{_rel(path)}:{n}: {name}")
    return missing


def test_the_scan_sees_links_and_mentions(tmp_path):
    # Guards the patterns themselves: a scanner that finds nothing would pass every tree.
    page = tmp_path / "page.md"
    page.write_text("see [a](missing.md#part), [b](https://x.org/y.md), [c](#here); docs/c.md.\n")
    assert dangling_links(page) == [
        f"{page}:1: link to missing.md",
        f"{page}:1: no heading #here in this file",
    ]
    assert dangling_docs_paths(page, root=tmp_path) == [f"{page}:1: docs/c.md"]
    (tmp_path / "missing.md").write_text("")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "c.md").write_text("")
    assert dangling_links(page)[0] == f"{page}:1: no heading #part in missing.md"
    (tmp_path / "missing.md").write_text("# Title\n## The part: `x = 1`\n```\n# not a heading\n```\n")
    assert anchors(tmp_path / "missing.md") == {"title", "the-part-x--1"}
    page.write_text("# Here\n[a](missing.md#the-part-x--1), [c](#here); docs/c.md.\n")
    assert dangling_links(page) == [] and dangling_docs_paths(page, root=tmp_path) == []
    assert DOCS_PATH.findall("../docs/a.md x/docs/b.md `docs/c.md`") == ["docs/c.md"]
    assert len(MARKDOWN) > 5 and len(MENTIONING) > 100


@pytest.mark.parametrize("md", MARKDOWN, ids=_rel)
def test_markdown_links_resolve(md):
    missing = dangling_links(md)
    assert missing == [], "dangling links (fix the target or the link):\n" + "\n".join(missing)


def test_docs_paths_named_in_the_tree_exist():
    missing = [m for path in MENTIONING for m in dangling_docs_paths(path)]
    assert missing == [], "these name a docs/ page that does not exist:\n" + "\n".join(missing)


def test_readme_reads_in_one_sitting():
    n = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert n <= README_MAX_LINES, (
        f"README.md has {n} lines (at most {README_MAX_LINES}): move reference material to docs/"
    )
