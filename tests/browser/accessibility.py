"""axe-core (shipped by the `axe-playwright-python` dev dependency) over a page's current state,
on desktop and at 375 px, in the light and the dark colour scheme.

An `Audit` collects every violation of every state it was shown; `assert_clean()` fails once,
listing them all, so one run reports the whole product rather than the first bad state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

DESKTOP = {"width": 1100, "height": 900}  # the browser_page fixture's viewport
PHONE = {"width": 375, "height": 812}
# (label, viewport, colour scheme): every state is audited in each.
VARIANTS = (("desktop", DESKTOP, "light"), ("375px", PHONE, "light"),
            ("desktop dark", DESKTOP, "dark"))
# Every WCAG 2.x A/AA rule plus axe's best practices (headings, landmarks, regions).
RUN_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}

_axe = Axe()


@dataclass
class Audit:
    page: Page
    states: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def check(self, state: str, options: dict | None = None) -> None:
        """Audit the page as it is now, in every variant, then restore desktop / light."""
        self.states.append(state)
        try:
            for label, viewport, scheme in VARIANTS:
                self.page.set_viewport_size(viewport)
                self.page.emulate_media(color_scheme=scheme)
                results = _axe.run(self.page, options=options or RUN_OPTIONS)
                for violation in results.response["violations"]:
                    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                    self.violations.append(
                        f"{state} [{label}] {violation['id']} ({violation['impact']}): "
                        f"{violation['help']} — {', '.join(targets[:4])}"
                        + (f" (+{len(targets) - 4} more)" if len(targets) > 4 else ""))
        finally:
            self.page.set_viewport_size(DESKTOP)
            self.page.emulate_media(color_scheme="light")

    def assert_clean(self) -> None:
        assert self.states, "nothing was audited"
        assert not self.violations, (
            f"axe found {len(self.violations)} violations over {len(self.states)} states:\n  "
            + "\n  ".join(self.violations))
