"""A generated site with every page kind and the content that tends to break
output: markup in titles, non-ASCII file names and tags, links with fragments
between content files, a quiz, a draft, a booked availability, a paid module
and a module that requires another. The quality gates build it next to the
example site; it must come out as valid, accessible and well linked."""

from __future__ import annotations

import io
from pathlib import Path

HOSTILE_TITLE = '</title><script>alert(1)</script> & "quotes" <b>bold</b>'


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return buf.getvalue()


FILES: dict[str, str] = {
    "folio.yaml": """\
title: Kim Ávila — every page kind
base_url: https://kim.example/kitchen/
language: en
description: A generated site that uses every feature folio has, for the quality gates.
tracks:
  - id: data
    title: Data work
    summary: Dashboards & sheets for "small" teams.
  - id: words
    title: Translation
    summary: Plain words, in two languages.
availability:
  status: booked
  until: 2027-03
  note: Fully booked until March 2027; write for later dates.
""",
    "profile.md": """\
---
name: Kim Ávila
headline: Data & words <for hire>
location: Porto, Portugal
photo:
  src: assets/kim.png
  alt: A flat teal square standing in for Kim's portrait
email: kim@kim.example
links:
  - label: GitHub
    url: https://github.com/kim-avila
  - label: Mastodon
    url: https://mastodon.social/@kim
languages:
  - Portuguese (native)
  - English (C2)
timezone: Europe/Lisbon
---
I make **spreadsheets** readable and translate the reports they feed.
See [the first case study](case-studies/01-ubersicht.md#what-changed).
""",
    "skills.yaml": """\
- id: sheets
  name: Spreadsheets
  category: Data
  level: expert
  since: 2012
  tracks: [data]
  description: Tables that explain themselves.
- id: sql
  name: SQL & <queries>
  category: Data
  level: working
  tracks: [data]
- id: pt-en
  name: Portuguese → English
  category: Languages
  level: advanced
  tracks: [words]
- id: teaching
  name: Teaching
  level: learning
""",
    "case-studies/01-ubersicht.md": f"""\
---
title: '{HOSTILE_TITLE}'
summary: 'x" onmouseover="alert(1)'
client: Café Ünïcode Lda
role: Analyst
start: 2024-02
end: 2024-10
tracks: [data]
skills: [sheets, sql]
outcomes:
  - Cut month-end from 3 days to 4 hours
  - "50% fewer <errors>"
cover:
  src: assets/cover.png
  alt: A wide orange rectangle standing in for the project cover
gallery:
  - src: assets/gallery.png
    alt: A small grey rectangle standing in for a screenshot
    caption: The one screenshot.
testimonial: cafe-ana
featured: true
---
## What changed

The café had six sheets. Now it has one, described in
[the translation case](impact-report.md#the-glossary) and in
[a post](../posts/2025-01-15-cafe-tags.md).

| Before | After |
| --- | --- |
| 3 days | 4 hours |

```python
print("<b>not bold</b>")
```
""",
    "case-studies/impact-report.md": """\
---
title: Impact report, both ways
summary: A grant report translated from Portuguese into English.
client: Associação Exemplo
role: Translator
start: 2023
tracks: [words]
skills: [pt-en]
testimonial:
  quote: Every number survived the translation.
  author: Rui Costa
  role: Director
---
## The glossary

Forty terms agreed before the first page. Back to
[the café](01-ubersicht.md#what-changed).
""",
    "services/audit.md": """\
---
title: Sheet audit
summary: Two days on your spreadsheets, then a short report.
tracks: [data]
skills: [sheets]
price: from €600 / day
duration: 2 days
booking_url: https://cal.example.com/kim/audit
order: 1
---
What you get: a list of what to fix first.
""",
    "services/translation.md": """\
---
title: Report translation
summary: Portuguese into English, numbers checked.
tracks: [words]
skills: [pt-en]
price: on request
order: 2
---
Quotes within a day.
""",
    "modules/sheets-101/module.yaml": """\
title: Sheets 101 & "friends"
summary: Readable spreadsheets in three short lessons.
level: beginner
duration: 1h 30m
audience: Anyone who inherited a spreadsheet.
objectives:
  - Lay out a tidy table
  - Write a formula you can read aloud
prerequisites:
  - A laptop with a spreadsheet program
skills: [sheets]
tracks: [data]
license: CC-BY-4.0
version: "1.0"
""",
    "modules/sheets-101/01-tidy.md": """\
---
title: Tidy <tables>
duration: 20m
objectives:
  - Spot a report-shaped sheet
quiz:
  - question: Where does a total row go?
    choices:
      - Under the data
      - In a separate summary
    answer: 1
    explain: Totals inside the data get counted again.
  - question: Is "Jan" a value or a header?
    choices: [A value, A header]
    answer: 0
---
## One row, one thing

Each row is one observation. Next: [formulas](02-formulas.md).
""",
    "modules/sheets-101/02-formulas.md": """\
---
title: Formulas you can read
duration: 25m
---
## Absolute references

`=$B$2*C2` keeps the rate fixed. Back to [tidy tables](01-tidy.md#one-row-one-thing).
""",
    "modules/sql-next/module.yaml": """\
title: SQL next steps
summary: From sheets to a small database.
level: intermediate
duration: 45m
prerequisites: [sheets-101]
skills: [sql]
tracks: [data]
license: MIT
price: €20
""",
    "modules/sql-next/01-select.md": """\
---
title: SELECT what you need
duration: 45m
---
## Columns, not stars

Name the columns you use.
""",
    "posts/2025-01-15-cafe-tags.md": """\
---
title: Tags with accents & <angle brackets>
date: 2025-01-15
summary: A post whose tags need encoding.
tags: [café, "data & words", Spreadsheets]
tracks: [data, words]
skills: [sheets]
---
## A heading

Text with a footnote.[^1] And a link to [the service](../services/audit.md).

[^1]: The footnote.
""",
    "posts/2024-05-01-hello.md": """\
---
title: Hello
date: 2024-05-01 10:30 +01:00
summary: The first post.
tags: [Spreadsheets]
---
Hello. ![A small grey rectangle](../assets/gallery.png)
""",
    "posts/2025-02-01-draft.md": """\
---
title: A draft that must not be published
date: 2025-02-01
draft: true
---
Not yet.
""",
    "pages/about.md": """\
---
title: About
menu: 1
summary: Who Kim is.
---
## Background

Read [the café story](../case-studies/01-ubersicht.md#what-changed) or
download [the brochure](/files/brochure.txt).
""",
    "testimonials.yaml": """\
- id: cafe-ana
  quote: The sheet finally <adds up>.
  author: Ana Lima
  role: Owner
  company: Café Ünïcode
  case_study: ubersicht
""",
    "static/files/brochure.txt": "Kim Ávila: data and words.\n",
}

IMAGES = {
    "assets/kim.png": (400, 400, (0, 128, 128)),
    "assets/cover.png": (1200, 600, (230, 120, 30)),
    "assets/gallery.png": (640, 400, (120, 120, 120)),
}


def write_kitchen_sink(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, (w, h, colour) in IMAGES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(_png(w, h, colour))
    return root
