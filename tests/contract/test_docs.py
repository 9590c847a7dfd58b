"""The documentation against the repository: every relative link of README.md and docs/ resolves
(the file, and the heading an anchor names), and every command it shows exists: make targets,
`stoflow` subcommands, options and choices, `npm run` scripts, `python -m` modules.

A renamed file, heading, make target or CLI command breaks a test here instead of a reader's
first try."""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stoflow.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])

_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console"}


def _relative(path: Path) -> str:
    return str(path.relative_to(REPO))


def _split(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(prose lines with code blocks blanked, [(language, block text)])."""
    prose: list[str] = []
    blocks: list[tuple[str, str]] = []
    fence: str | None = None
    language = ""
    body: list[str] = []
    for line in text.splitlines():
        match = _FENCE.match(line.strip())
        if fence is None and match:
            fence, language, body = match.group(1), match.group(2).lower(), []
            prose.append("")
        elif fence is not None and line.strip().startswith(fence):
            blocks.append((language, "\n".join(body)))
            fence = None
            prose.append("")
        elif fence is not None:
            body.append(line)
            prose.append("")
        else:
            prose.append(line)
    return prose, blocks


def _links(path: Path) -> Iterator[str]:
    prose, _ = _split(path.read_text(encoding="utf-8"))
    for line in prose:
        yield from _LINK.findall(_INLINE_CODE.sub("", line))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, inline markup dropped, punctuation removed,
    spaces to hyphens."""
    text = re.sub(r"[`*]|<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    prose, _ = _split(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for line in prose:
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            slug = _slug(match.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _link_problem(document: Path, target: str) -> str | None:
    if _SCHEME.match(target) or target.startswith("//"):
        return None  # an absolute URL: not ours to resolve offline
    file_part, _, anchor = target.partition("#")
    resolved = (document.parent / file_part).resolve() if file_part else document
    if not resolved.is_relative_to(REPO):
        return f"{target}: outside the repository"
    if not resolved.exists():
        return f"{target}: no such file"
    if anchor:
        if resolved.is_dir() or resolved.suffix != ".md":
            return f"{target}: an anchor into something that is not a Markdown file"
        if anchor not in _anchors(resolved):
            return f"{target}: no heading #{anchor} in {_relative(resolved)}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=_relative)
def test_every_relative_link_resolves(document: Path) -> None:
    problems = [problem for target in _links(document) if (problem := _link_problem(document, target))]
    assert problems == [], f"{_relative(document)}: broken links"


def _cells(row: str) -> int:
    """How many cells a Markdown table row has (an escaped pipe `\\|` is text, even in code)."""
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


@pytest.mark.parametrize("document", DOCUMENTS, ids=_relative)
def test_every_table_row_has_its_header_cells(document: Path) -> None:
    """A pipe inside a cell (`GET|POST`) must be escaped, or the row grows a column."""
    prose, _ = _split(document.read_text(encoding="utf-8"))
    problems: list[str] = []
    header = 0
    for number, line in enumerate(prose, 1):
        if not line.startswith("|"):
            header = 0
        elif header == 0:
            header = _cells(line)
        elif _cells(line) != header:
            problems.append(f"line {number}: {_cells(line)} cells, the header has {header}")
    assert problems == []


def test_the_docs_folder_is_linked_from_the_readme() -> None:
    """Every page of docs/ can be reached from README.md, directly or through another page."""
    reached: set[Path] = set()
    todo = [REPO / "README.md"]
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        for target in _links(page):
            file_part = target.partition("#")[0]
            if file_part and not _SCHEME.match(target):
                linked = (page.parent / file_part).resolve()
                if linked.is_dir():
                    linked = linked / "README.md"
                if linked.suffix == ".md" and linked.exists() and linked.is_relative_to(REPO / "docs"):
                    todo.append(linked)
    orphans = [_relative(page) for page in DOCUMENTS if page not in reached]
    assert orphans == []


# ---- commands -------------------------------------------------------------------------------

_MAKE = re.compile(r"(?:^|&&|;|\|\|)\s*make\s+([A-Za-z0-9_.-]+)")
_STOFLOW = re.compile(r"(?:^|&&|;|\s)(?:\.venv/bin/)?stoflow\s+(.+)")
_NPM_RUN = re.compile(r"(?:^|&&|;)\s*npm\s+run\s+([A-Za-z0-9:_-]+)")
_PYTHON_M = re.compile(r"(?:^|&&|;|\s)(?:\S*/)?python3?\s+-m\s+([A-Za-z0-9_.]+)")


def _commands(path: Path) -> Iterator[str]:
    """Shell lines of the code blocks (comments dropped, continuations joined), and inline code
    spans of the prose that are commands."""
    prose, blocks = _split(path.read_text(encoding="utf-8"))
    for language, block in blocks:
        if language not in _SHELL_LANGUAGES:
            continue
        for line in block.replace("\\\n", " ").splitlines():
            command = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
            if command:
                yield command
    for line in prose:
        for _, code in _INLINE_CODE.findall(line):
            span = code.replace("\\|", "|")  # a pipe escaped in a table cell
            if re.match(r"^(make|stoflow|\.venv/bin/stoflow|npm run|cd \w+ && )\s*", span):
                yield span


def _makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.MULTILINE))


def _npm_scripts() -> set[str]:
    scripts: set[str] = set()
    for package in ("dashboard/package.json", "extension/package.json"):
        file = REPO / package
        if file.exists():
            scripts |= set(json.loads(file.read_text(encoding="utf-8")).get("scripts", {}))
    return scripts


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _cli_problem(arguments: str) -> str | None:
    """Whether `stoflow <arguments>` names real subcommands, options and choices. Placeholders
    (`<id>`, `REV`, `...`) are values, alternatives (`a|b`) are checked one by one, and `[...]`
    marks an optional part."""
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    words = [w.strip("[]") for w in words if w.strip("[]")]
    parser = build_parser()
    path = ["stoflow"]
    while (sub := _subcommands(parser)) is not None:
        if not words:
            return f"{' '.join(path)}: a subcommand is missing ({', '.join(sub.choices)})"
        if words[0].startswith(("<", "$", "…", "...")):
            return None  # a placeholder for any subcommand
        alternatives = words.pop(0).split("|")
        for word in alternatives:
            if word not in sub.choices:
                return f"{' '.join(path)}: no subcommand {word!r} ({', '.join(sub.choices)})"
        path.append(alternatives[0])
        parser = sub.choices[alternatives[0]]
    options = {option: action for action in parser._actions for option in action.option_strings}
    positionals = [a for a in parser._actions if not a.option_strings and not isinstance(a, argparse._HelpAction)]
    while words:
        word = words.pop(0)
        if word == "|" or word.startswith(("<", "$", "…")):
            break  # an alternative command line, a placeholder or a variable: the rest is free
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            if name not in options:
                return f"{' '.join(path)}: no option {name!r}"
            if options[name].nargs != 0 and "=" not in word and words:
                words.pop(0)
            continue
        if not positionals:
            continue
        action = positionals.pop(0)
        if action.choices is not None:
            unknown = [choice for choice in word.split("|") if choice and choice not in action.choices]
            if unknown:
                return f"{' '.join(path)}: {action.dest} {unknown[0]!r} is not one of {sorted(action.choices)}"
    return None


def _command_problems(path: Path) -> list[str]:
    targets, scripts = _makefile_targets(), _npm_scripts()
    problems: list[str] = []
    for command in _commands(path):
        for target in _MAKE.findall(command):
            if target not in targets:
                problems.append(f"{command}: no make target {target!r}")
        for script in _NPM_RUN.findall(command):
            if script not in scripts:
                problems.append(f"{command}: no npm script {script!r}")
        for module in _PYTHON_M.findall(command):
            if importlib.util.find_spec(module) is None:
                problems.append(f"{command}: no module {module!r}")
        for arguments in _STOFLOW.findall(command):
            if problem := _cli_problem(arguments):
                problems.append(f"{command}: {problem}")
    return problems


def test_the_readme_starts_with_the_two_commands() -> None:
    """README's first section (before its first `##` heading) shows `make run` and `make test`,
    and every command it shows exists."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first_section = text.split("\n## ", 1)[0]
    _, blocks = _split(first_section)
    shown = [line.split("#")[0].strip() for _, block in blocks for line in block.splitlines()]
    assert "make run" in shown
    assert "make test" in shown


@pytest.mark.parametrize("document", DOCUMENTS, ids=_relative)
def test_every_command_shown_exists(document: Path) -> None:
    assert _command_problems(document) == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The checks above see a broken link, a missing anchor, an unknown target and a wrong CLI."""
    page = REPO / "docs" / "architecture.md"
    assert _link_problem(page, "no-such-page.md")
    assert _link_problem(page, "tenancy-and-migrations.md#no-such-heading")
    assert _link_problem(page, "../../outside.md")
    assert _link_problem(page, "tenancy-and-migrations.md#the-guard") is None
    assert _cli_problem("db upgrade --workers 4") is None
    assert _cli_problem("db uprgade")
    assert _cli_problem("db upgrade|downgrade|status") is None
    assert _cli_problem("db ...") is None
    assert _cli_problem("db upgrade|migrate")
    assert _cli_problem("db upgrade --wrokers 4")
    assert _cli_problem("jobs dlq purge")
    assert _cli_problem("secrets rotate --stage dev jwt-keys|marketplace-token-keys") is None
    assert _cli_problem("secrets rotate --stage dev ebay-app")
    assert _cli_problem("sandbox sell depop 12")
    assert _cells("| a | `b\\|c` |") == 2
    assert _cells("| a | `b|c` |") == 3
    fake = tmp_path / "page.md"
    fake.write_text("```sh\nmake runn\nnpm run nothing\npython -m no_such_module\n```\n", encoding="utf-8")
    assert len(_command_problems(fake)) == 3


def test_no_file_sends_the_reader_outside_the_repository() -> None:
    """The design notes the project started from are not in the repository: its own pages
    (docs/architecture.md, docs/tenancy-and-migrations.md, ...) say what is true of the code."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    outside = re.compile(r"\b(DESIGN|STYLE)\.md\b")
    found = []
    for name in files:
        path = REPO / name
        if not name or path.suffix not in {".md", ".py", ".js", ".mjs", ".ts", ".vue", ".yaml", ".toml", ".sh"}:
            continue
        if path == Path(__file__) or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if outside.search(line)]
    assert found == []
