"""Every root cause a ported test is marked with has its section in FINDINGS.md.

The ported tests that minigrad fails today carry
``@pytest.mark.differs("name: what differs")``; ``name`` is a section of
tests/fuzz/FINDINGS.md (``### `name` ...``), which says what PyTorch does,
what minigrad does, and where in the engine it belongs.
"""

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
FINDINGS = HERE.parent / "fuzz" / "FINDINGS.md"
REASON = re.compile(r'^(?:@differs\(|[A-Z_]+ = )"([a-z_]+): ', re.M)


def test_every_differs_reason_names_a_findings_section():
    names, markers = set(), 0
    for path in HERE.glob("test_ported_*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(REASON.findall(text))
        markers += len(re.findall(r"^@differs\(", text, re.M))
    assert names or not markers, "a differs marker whose reason was not read"
    sections = set(re.findall(r"^### `([a-z_]+)`", FINDINGS.read_text(encoding="utf-8"), re.M))
    assert sorted(names - sections) == []
