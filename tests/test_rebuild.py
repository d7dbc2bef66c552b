"""Whatever a rebuild reuses, its output equals a clean build of the same files.

A Builder is kept across a random sequence of edits (bodies, front matter,
new, deleted and renamed files, skills, config, a site template); after each
one its in-memory site is compared with a fresh, cache-less build. It is run
twice: once walking the tree on every build, once told the changed paths the
way `folio serve` tells it (then content files are not walked).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from folio_testing import write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folio.build import Builder, BuildOptions
from folio.errors import BuildFailed, FolioError

SITE = {
    "folio.yaml": "title: Rebuilds\nbase_url: https://ex.test/sub/\ntracks:\n  - {id: data, title: Data}\n",
    "skills.yaml": "- id: sql\n  name: SQL\n- id: excel\n  name: Excel\n",
    "case-studies/a.md": "---\ntitle: Case A\nskills: [sql]\ntracks: [data]\n---\nAlpha body, see [b](b.md).\n",
    "case-studies/b.md": "---\ntitle: Case B\nskills: [excel]\n---\nBeta body.\n",
    "posts/p.md": "---\ntitle: Post P\ndate: 2024-05-01\ntags: [notes]\nskills: [sql]\n---\nPost body.\n",
    "pages/about.md": "---\ntitle: About\nmenu: 1\n---\nAbout body with [a](../case-studies/a.md).\n",
    "modules/m/module.yaml": "title: Module M\nskills: [excel]\n",
    "modules/m/01-one.md": "---\ntitle: One\nduration: 10m\n---\nLesson one.\n",
    "modules/m/02-two.md": "---\ntitle: Two\n---\nLesson two.\n",
}


def body_edit(root: Path, n: int) -> None:
    path = root / ["case-studies/a.md", "case-studies/b.md", "posts/p.md", "modules/m/01-one.md",
                   "pages/about.md", "profile.md"][n % 6]
    if path.exists():
        path.write_text(path.read_text() + f"\nMore words {n}.\n")


def title_edit(root: Path, n: int) -> None:
    path = root / "case-studies/b.md"
    if path.exists():
        path.write_text(path.read_text().replace("title: Case B", f"title: Case B{n}", 1)
                        .replace(f"title: Case B{n - 1}", f"title: Case B{n}", 1))


def add_post(root: Path, n: int) -> None:
    (root / f"posts/new-{n}.md").write_text(
        f"---\ntitle: New {n}\ndate: 2024-06-{n % 27 + 1:02d}\ntags: [notes, n{n % 3}]\n---\nNew post {n}.\n")


def delete_post(root: Path, n: int) -> None:
    posts = sorted((root / "posts").glob("*.md"))
    if len(posts) > 1:
        posts[n % len(posts)].unlink()


def rename_case(root: Path, n: int) -> None:
    src = root / "case-studies/b.md"
    if src.exists():
        src.rename(root / f"case-studies/b{n}.md")
    else:
        moved = sorted((root / "case-studies").glob("b*.md"))
        if moved:
            moved[0].rename(src)


def skills_edit(root: Path, n: int) -> None:
    path = root / "skills.yaml"
    path.write_text(path.read_text().replace("name: Excel", f"name: Excel {n}", 1)
                    if n % 2 else "- id: sql\n  name: SQL\n- id: excel\n  name: Excel\n")


def config_edit(root: Path, n: int) -> None:
    path = root / "folio.yaml"
    path.write_text(path.read_text().replace("title: Rebuilds", f"title: Rebuilds {n}", 1)
                    if "title: Rebuilds\n" in path.read_text() else SITE["folio.yaml"])


def template_edit(root: Path, n: int) -> None:
    tpl = root / "templates" / "404.html"
    if n % 2:
        tpl.parent.mkdir(exist_ok=True)
        tpl.write_text(f'{{% extends "base.html" %}}{{% block content %}}<p>Lost {n}</p>{{% endblock %}}')
    elif tpl.exists():
        tpl.unlink()


def break_then_fix(root: Path, n: int) -> None:
    path = root / "posts/p.md"
    if path.exists():
        path.write_text(path.read_text().replace("skills: [sql]", "skills: [sqll]"))


EDITS = [body_edit, title_edit, add_post, delete_post, rename_case, skills_edit, config_edit,
         template_edit, break_then_fix]


def fresh(root: Path):
    try:
        return Builder(root, BuildOptions(search=False, cache=False)).build().files
    except BuildFailed as exc:
        return [d.headline() for d in exc.diagnostics]


def kept(builder: Builder, changed=None):
    try:
        return builder.build(changed).files
    except BuildFailed as exc:
        return [d.headline() for d in exc.diagnostics]


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".folio-cache" not in p.parts}


def changed_paths(before: dict[Path, bytes], after: dict[Path, bytes]) -> list[Path]:
    """What a watcher reports: every file added, removed or rewritten."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


@pytest.mark.parametrize("told", [False, True], ids=["walked", "told-changed-paths"])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(1, 50)), min_size=1, max_size=5))
def test_any_edit_sequence_rebuilds_to_a_clean_build(tmp_path_factory, told, edits):
    root = tmp_path_factory.mktemp("site")
    write_tree(root, SITE)
    builder = Builder(root, BuildOptions(search=False))
    assert not isinstance(kept(builder), list)
    seen = snapshot(root)
    for edit, n in edits:
        edit(root, n)
        now = snapshot(root)
        got = kept(builder, changed_paths(seen, now) if told else None)
        seen = now
        want = fresh(root)
        if isinstance(want, list) or isinstance(got, list):
            assert got == want
        else:
            assert sorted(got) == sorted(want)
            assert [p for p in want if got[p] != want[p]] == []
        if edit is break_then_fix:  # fix it again so later edits build
            path = root / "posts/p.md"
            if path.exists():
                path.write_text(path.read_text().replace("skills: [sqll]", "skills: [sql]"))
    shutil.rmtree(root, ignore_errors=True)


def test_body_edit_rerenders_only_pages_that_show_it(tmp_path):
    root = write_tree(tmp_path / "site", SITE)
    builder = Builder(root, BuildOptions(search=False))
    builder.build()
    body_edit(root, 2)  # posts/p.md
    result = builder.build()
    assert 0 < builder.pages.last_rendered_count < len([p for p in result.files if p.endswith(".html")])
    assert result.files == fresh(root)


def test_told_changes_find_new_deleted_and_linked_files(tmp_path):
    root = write_tree(tmp_path / "site", SITE)
    builder = Builder(root, BuildOptions(search=False))
    builder.build()
    add_post(root, 7)  # a file the last build did not have: only a walk can place it
    assert builder.build([root / "posts/new-7.md"]).files == fresh(root)
    (root / "posts/new-7.md").unlink()
    assert builder.build([root / "posts/new-7.md"]).files == fresh(root)
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Out\n---\nNot in the site.\n")
    (root / "case-studies/b.md").unlink()
    (root / "case-studies/b.md").symlink_to(outside)  # a known file becomes a symlink out
    got = kept(builder, [root / "case-studies/b.md"])
    assert isinstance(got, list) and got == fresh(root)
    assert any("symlink points outside" in line for line in got)


def test_a_walk_that_reported_problems_is_repeated(tmp_path):
    root = write_tree(tmp_path / "site", SITE)
    (root / "posts/bad\x01name.md").write_text("---\ntitle: Bad\n---\n")
    builder = Builder(root, BuildOptions(search=False))
    first = kept(builder)
    assert isinstance(first, list) and any("control characters" in line for line in first)
    body_edit(root, 0)  # told only of a.md: the bad name must still be reported
    assert kept(builder, [root / "case-studies/a.md"]) == fresh(root) != []


def test_paths_outside_the_content_do_not_force_a_walk(tmp_path):
    root = write_tree(tmp_path / "site", SITE)
    builder = Builder(root, BuildOptions(search=False))
    builder.build()
    walked = []
    import folio.build as build_module

    real = build_module.content_paths
    build_module.content_paths = lambda *a: walked.append(1) or real(*a)
    try:
        body_edit(root, 0)
        (root / "notes.txt").write_text("not content")
        told = builder.build([root / "case-studies/a.md", root / "notes.txt"]).files
        assert walked == []
        builder.build([root])  # the site folder itself: anything may have changed
        assert walked == [1]
    finally:
        build_module.content_paths = real
    assert told == fresh(root)


def test_repeated_lesson_edits_show_the_new_body_on_every_module_page(tmp_path):
    root = write_tree(tmp_path / "site", SITE)
    builder = Builder(root, BuildOptions(search=False))
    builder.build()
    lesson = root / "modules/m/01-one.md"
    for n in range(3):  # the plan is reused: its lazy lesson bodies must not be
        lesson.write_text(lesson.read_text() + f"\nNew lesson words {n}.\n")
        assert builder.build([lesson]).files == fresh(root)
        assert builder.pages.last_rendered_count >= 2  # the lesson and the printable module


def test_a_build_that_fails_while_rendering_leaves_no_stale_plan(tmp_path):
    """Planned for a model whose render then failed; the next build is back to the
    last good model with a new body: it must not reuse the failed build's plan."""
    root = write_tree(tmp_path / "site", {
        **SITE,
        "templates/case_study.html": '{% extends "base.html" %}{% block content %}'
                                     '{% if case.title == "Boom" %}{{ no_such_function() }}{% endif %}'
                                     '<h1>{{ case.title }}</h1>{{ html_of(case) }}{% endblock %}',
    })
    builder = Builder(root, BuildOptions(search=False))
    builder.build()
    case = root / "case-studies/b.md"
    good = case.read_text()
    case.write_text(good.replace("title: Case B", "title: Boom"))
    with pytest.raises(FolioError, match="no_such_function"):  # fails on this page only
        builder.build([case])
    case.write_text(good.replace("Beta body.", "Beta body, rewritten."))
    assert kept(builder, [case]) == fresh(root)
