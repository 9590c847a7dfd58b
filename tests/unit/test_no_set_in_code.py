"""A static check beside the wire test: the code never names search_path nor a SET statement."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_code_never_names_search_path_or_a_set_statement():
    pattern = re.compile(
        r"search_path|[\"']\s*(SET|RESET)\s+(LOCAL\s+|SESSION\s+)?(?!NULL\b|DEFAULT\b)[A-Za-z_]+|SET\s+ROLE"
        r"|isolation_level\s*=",
        re.IGNORECASE,
    )
    offenders = []
    for folder in ("layers", "functions", "infra", "migrations"):
        for path in (REPO / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
