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
    names = set()
    for path in HERE.glob("test_ported_*.py"):
        names |= set(REASON.findall(path.read_text(encoding="utf-8")))
    assert len(names) > 5, names  # (read right: fewer as root causes are fixed)
    sections = set(re.findall(r"^### `([a-z_]+)`", FINDINGS.read_text(encoding="utf-8"), re.M))
    assert sorted(names - sections) == []
