"""One configured markdown-it-py for the whole site (being written).

CONTRACT:
    @dataclass(frozen=True, slots=True)
    class Heading: level: int; id: str; text: str
    @dataclass(frozen=True, slots=True)
    class Rendered:
        html: str                   # body HTML, links already carry the base path
        toc: tuple[Heading, ...]    # h2/h3 for a table of contents
        text: str                   # plain text (for summaries, search, reading time)
        words: int
    render_all(site, options) -> (dict[str, Rendered], list[Diagnostic])
        keys: entity keys (case study/post/page/lesson source path, "skill:<id>",
        "profile.md", "service path")
"""
