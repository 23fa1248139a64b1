"""Run axe-core (vendored in ``vendor/``) inside a Playwright page and return what it finds.

The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy
does not govern: the site's nonce-only policy stays on while the scan runs, so what is scanned is
exactly what patients get.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
# WCAG 2.0, 2.1 and 2.2 A/AA, plus axe's best practices (landmarks, heading order, …).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


@cache
def _source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Every violation axe reports on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        TAGS,
    )


def serious_violations(page) -> list[dict]:
    """The violations the site must never have: serious or critical."""
    return [v for v in axe_violations(page) if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    """A readable failure message: rule, impact, and the first few offending elements."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node['target']}: {node['summary']}" for node in violation["nodes"][:5])
    return "\n".join(lines)
