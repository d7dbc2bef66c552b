"""Fixtures for the theme and render tests: a small complete site, built in memory."""

from __future__ import annotations

import json

import lxml.html
import pytest

from folio.build import Builder, BuildOptions

FULL_SITE = {
    "folio.yaml": (
        "title: Test Studio\n"
        "base_url: https://example.test/repo/\n"
        "language: en-GB\n"
        "description: A small studio.\n"
        "tracks:\n"
        "  - {id: data, title: Data consulting, summary: Dashboards for small teams.}\n"
        "  - {id: words, title: Translation, summary: English and Portuguese.}\n"
        "availability: {status: open, until: 2030-01, note: Two slots left.}\n"
    ),
    "profile.md": (
        "---\nname: Ada Example\nheadline: Data consultant\nlocation: Lisbon\n"
        "email: ada@example.test\nlinks:\n  - {label: GitHub, url: 'https://github.com/ada'}\n"
        "languages: [English, Portuguese]\n---\nI help **small teams** decide.\n"
    ),
    "skills.yaml": (
        "- {id: sql, name: SQL, category: Data, level: expert, since: 2015, tracks: [data]}\n"
        "- {id: dashboards, name: Dashboards, category: Data, level: advanced, tracks: [data]}\n"
        "- {id: pt-en, name: Portuguese to English, category: Language, level: expert,"
        " tracks: [words]}\n"
    ),
    "case-studies/01-boxly.md": (
        "---\ntitle: Boxly churn\nsummary: Cut churn for a box shop.\nclient: Boxly\n"
        "role: Analyst\nstart: 2023-01\nend: 2023-06\ntracks: [data]\n"
        "skills: [sql, dashboards]\noutcomes: [Cut churn by 12%]\nfeatured: true\n"
        "testimonial: {quote: Great work., author: Bo Lee, role: CEO}\n---\n"
        "## The problem\n\nChurn was high. See [the service](../services/audit.md).\n\n"
        "```python\nprint('hi')\n```\n\n::: note\nAn admonition.\n:::\n"
    ),
    "case-studies/report.md": (
        "---\ntitle: Impact report\nsummary: Translated a report.\ntracks: [words]\n"
        "skills: [pt-en]\nstart: 2024\n---\nA translation.\n"
    ),
    "services/audit.md": (
        "---\ntitle: Data audit\nsummary: A week-long look at your data.\ntracks: [data]\n"
        "skills: [sql]\nprice: from €600 / day\nduration: 5 days\n"
        "booking_url: https://cal.example.test/ada\n---\nWhat you get.\n"
    ),
    "posts/2024-05-hello.md": (
        "---\ntitle: Hello SQL\ndate: 2024-05-02\nsummary: First post.\ntags: [SQL Tips, data]\n"
        "tracks: [data]\nskills: [sql]\n---\nBody of the post.\n"
    ),
    "pages/about.md": "---\ntitle: About\nmenu: 1\nsummary: About me.\n---\nAbout text.\n",
}


def build_files(site_dir, **options) -> dict[str, bytes]:
    return Builder(site_dir, BuildOptions(cache=False, search=False, **options)).build().files


def parse(data: bytes):
    return lxml.html.document_fromstring(data)


def html_pages(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.endswith(".html") and not k.startswith("theme/")}


def jsonld_blocks(doc) -> list:
    return [json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')]


@pytest.fixture
def full_site(make_site):
    def make(extra: dict | None = None, **overrides):
        return make_site({**FULL_SITE, **(extra or {})})
    return make


@pytest.fixture
def built(full_site):
    """The small complete site, built once per test."""
    return build_files(full_site())
