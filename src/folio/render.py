"""Pure rendering: (Site, rendered Markdown, templates) -> {output path: bytes}.

CONTRACT (the theme work fills this module in):

    @dataclass(frozen=True, slots=True)
    class PageJob:
        url: str        # site-relative URL, "/work/boxly/"
        template: str   # template name, "case_study.html"
        context: dict   # page-specific variables; render adds the common ones

    render_site(site, rendered, env) -> dict[str, bytes]
        site      folio.model.Site
        rendered  Mapping[str, folio.markdown.Rendered]: entity key -> HTML etc.
        env       jinja2.Environment from folio.templates.make_environment(...)

Other stages add pages by returning PageJob lists (e.g. folio.modules.pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to render: where it goes, with which template and variables."""

    url: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
