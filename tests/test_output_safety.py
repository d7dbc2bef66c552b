"""Where folio may write (RELIABILITY 1-3, SPEC §5): every output/site path pair.

A small world on a real file system: a fake home with canary files and a
`.git`, a site inside it whose `assets/` is a symlink to a folder outside, a
symlink to the site, a dangling link and a link loop. Every refused output
must fail before any file-system write: the whole world is snapshotted before
and after, through `write_output` itself, not only `check_output_dir`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folio.errors import FolioError
from folio.write import MANIFEST, check_output_dir, is_inside, write_output

FILES = {"index.html": b"<h1>hi</h1>", "work/a/index.html": b"a"}


def snapshot(root: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            st_ = os.lstat(path)
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir", st_.st_mtime_ns)
            else:
                out[rel] = (path.read_bytes(), st_.st_mtime_ns)
    return out


def put(root: Path, files: dict[str, bytes | str]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


@pytest.fixture
def world(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    home = tmp_path / "home"
    site = home / "projects" / "site"
    put(home, {".bashrc": "canary", ".ssh/id_rsa": "secret", ".git/config": "[core]",
               "index.html": "a personal page"})
    put(site, {"folio.yaml": "title: T\nbase_url: https://e.test/\n",
               "profile.md": "---\nname: Ada\n---\n", "case-studies/a.md": "# a",
               "posts/p.md": "# p", "static/CNAME": "ada.example", "templates/base.html": "x",
               "modules/m/module.yaml": "title: m"})
    put(tmp_path, {"photos/img.jpg": b"\xff\xd8", "elsewhere/.keep": "",
                   "other/readme.txt": "not folio's", "keeponly/CNAME": "a.example",
                   "keeponly/.git/HEAD": "ref"})
    os.symlink("../../../photos", site / "assets")
    os.symlink("site", home / "projects" / "site-link")
    os.symlink(site / "assets", tmp_path / "link-to-assets")
    os.symlink("nowhere", site / "dangling")
    os.symlink("loop", site / "loop")
    (tmp_path / "empty").mkdir()
    write_output({"index.html": b"old"}, tmp_path / "built", site)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(site)
    return {"tmp": tmp_path, "home": home, "site": site}


def resolve(spec: str, world: dict[str, Path]) -> str:
    return spec.replace("{tmp}", str(world["tmp"])).replace("{home}", str(world["home"])) \
               .replace("{site}", str(world["site"]))


# (output as typed, what is wrong, a word the message must hold)
REFUSED = [
    (".", "site", "is the site folder"), ("./", "site", "is the site folder"),
    ("", "empty", "empty path"), ("..", "site", "contains the site"),
    ("../..", "site", "contains the site"), ("/", "root", "root"),
    ("~", "site", "contains the site"), ("~/", "site", "contains the site"),
    ("{home}", "site", "contains the site"), ("{site}", "site", "is the site folder"),
    ("{site}/", "site", "is the site folder"), ("{site}//", "site", "is the site folder"),
    ("../site-link", "site", "is the site folder"), ("../site-link/", "site", "is the site"),
    ("{tmp}", "site", "contains the site"),
    ("case-studies", "content", "case-studies/"), ("case-studies/", "content", "case-studies"),
    ("case-studies/out", "content", "case-studies/"), ("posts", "content", "posts/"),
    ("pages", "content", "pages/"), ("services", "content", "services/"),
    ("skills", "content", "skills/"), ("templates", "content", "templates/"),
    ("static", "content", "static/"), ("static/out", "content", "static/"),
    ("modules", "content", "modules/"), ("modules/m", "content", "modules/"),
    ("Case-Studies", "content", "Case-Studies/"), ("POSTS/out", "content", "nested"),
    ("Static", "content", "Static/"), ("Templates/", "content", "Templates/"),
    ("../site-link/posts", "content", "posts/"),
    ("assets", "content", "assets/"), ("assets/", "content", "assets/"),
    ("assets/out", "content", "assets/"), ("{tmp}/photos", "content", "assets/"),
    ("{tmp}/photos/", "content", "assets/"), ("{tmp}/photos/sub", "content", "assets/"),
    ("{tmp}/link-to-assets", "content", "assets/"),
    ("_site/en", "nested", "nested"), ("build/html/", "nested", "nested"),
    (".folio-cache", "nested", ".folio-cache"),
    ("folio.yaml", "file", "is a file"), ("profile.md", "file", "is a file"),
    ("case-studies/a.md", "file", "is a file"),
    ("dangling", "link", "dangling"), ("dangling/", "link", "dangling"),
    ("dangling/sub", "link", "dangling"), ("loop", "link", "loop"),
    ("{tmp}/other", "foreign", "holds files folio did not write"),
    ("{home}/.ssh", "foreign", "holds files folio did not write"),
]
ALLOWED = ["_site", "_site/", "public", "../out", "{tmp}/elsewhere/out", "../site-link/_site",
           "{tmp}/built", "{tmp}/built/", "{tmp}/empty", "{tmp}/keeponly", "{tmp}/new/deep/out"]


@pytest.mark.parametrize("spec, kind, words", REFUSED, ids=[r[0] or "''" for r in REFUSED])
def test_refused_output_fails_before_any_write(world, spec: str, kind: str, words: str) -> None:
    out = resolve(spec, world)
    before = snapshot(world["tmp"])
    for clean in (False, True):
        with pytest.raises(FolioError) as info:
            check_output_dir(Path(out) if out else out, world["site"], clean=clean)
        message = info.value.diagnostic.message
        assert words in message or clean and "does not look like a previous output" in message, \
            message
        with pytest.raises(FolioError):
            write_output(FILES, out, world["site"], clean=clean)
    assert snapshot(world["tmp"]) == before
    if kind in ("site", "content", "nested"):  # both resolved paths are shown
        real_out = os.path.realpath(os.path.expanduser(out))
        assert real_out in message and str(world["site"]) in message or "assets/ is" in message


@pytest.mark.parametrize("spec", ALLOWED)
def test_allowed_output_is_written(world, spec: str) -> None:
    out = Path(resolve(spec, world))
    canaries = snapshot(world["home"] / ".ssh"), (world["home"] / ".bashrc").read_bytes()
    check_output_dir(out, world["site"])
    write_output(FILES, out, world["site"])
    assert (out / "work/a/index.html").read_bytes() == b"a"
    assert (out / MANIFEST).is_file()
    assert (snapshot(world["home"] / ".ssh"), (world["home"] / ".bashrc").read_bytes()) == canaries
    assert not [n for n in os.listdir(out.resolve().parent) if n.startswith(".folio-")]


def test_gh_pages_checkout_keeps_git_and_cname(world) -> None:
    out = world["tmp"] / "keeponly"
    write_output(FILES, out, world["site"])
    write_output({"index.html": b"v2"}, out, world["site"])
    assert (out / ".git/HEAD").read_text() == "ref" and (out / "CNAME").read_text() == "a.example"
    assert not (out / "work").exists()


def test_canaries_in_a_fake_home_survive_everything(world) -> None:
    home = world["home"]
    before = snapshot(home)
    for spec in ("~", "~/", str(home), "..", "../..", "../../..", "{home}/.git", "{home}/.ssh"):
        for clean in (False, True):
            with pytest.raises(FolioError):
                write_output(FILES, resolve(spec, world), world["site"], clean=clean)
    assert snapshot(home) == before


def test_messages_name_both_resolved_paths(world) -> None:
    with pytest.raises(FolioError) as info:
        check_output_dir("../site-link", world["site"])
    assert f"output {world['site']}" in str(info.value) and f"site {world['site']}" in str(info.value)
    with pytest.raises(FolioError) as info:
        check_output_dir(world["tmp"] / "photos", world["site"])
    assert f"output {world['tmp'] / 'photos'}" in str(info.value)
    assert f"assets/ is {world['tmp'] / 'photos'}" in str(info.value)


@pytest.mark.parametrize("root, path, inside", [
    ("a", "a", True), ("a", "a/b", True), ("a", "a-b", False), ("a", "ab", False),
    ("a/", "a/b/", True), ("a/b", "a", False), ("a", "a/../a-b", False), ("a", "a/./b", True),
    ("/", "a", True),
])
def test_is_inside_is_not_a_prefix_test(tmp_path: Path, root: str, path: str,
                                        inside: bool) -> None:
    base = tmp_path
    assert is_inside(base / root if root != "/" else "/", base / path) is inside


# --------------------------------------------------------------------------- property

SEGMENTS = ["..", ".", "a", "A", "a-b", "ln", "up"]


@pytest.fixture(scope="module")
def maze(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("maze")
    for d in ("a/a", "a/A", "A/a", "a-b/a", "a-b/A"):
        (base / d).mkdir(parents=True)
    os.symlink("../A", base / "a" / "ln")
    os.symlink("a-b", base / "ln")
    os.symlink("..", base / "a-b" / "ln")
    os.symlink("../..", base / "a" / "a" / "up")
    os.symlink("a", base / "A" / "up")
    return base


def oracle(root: Path, path: Path) -> bool:
    r, p = os.path.realpath(root), os.path.realpath(path)
    return os.path.commonpath([r, p]) == r


paths = st.lists(st.sampled_from(SEGMENTS), max_size=5).map(lambda parts: "/".join(parts))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(root=paths, path=paths)
def test_is_inside_equals_the_realpath_oracle(maze: Path, root: str, path: str) -> None:
    r, p = maze / root, maze / path
    assert is_inside(r, p) == oracle(r, p)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(out=paths)
def test_an_output_containing_the_site_is_always_refused(maze: Path, out: str) -> None:
    site = maze / "a" / "a"
    if is_inside(maze / out, site):
        with pytest.raises(FolioError):
            check_output_dir(maze / out, site)


# --------------------------------------------------------------------------- CLI

MIN_SITE = {"folio.yaml": "title: Test Site\nbase_url: https://example.test/\n",
            "profile.md": "---\nname: Ada Example\nheadline: Data consultant\n---\nHello.\n"}


def run_cli(*args: str, env: dict | None = None):
    from folio.cli import cli

    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize("output, words", [
    ("{site}", "is the site folder"), ("{site}/case-studies", "case-studies/"),
    ("{tmp}/foreign", "holds files folio did not write"), ("{tmp}/home", "contains the site"),
])
def test_cli_refuses_bad_output(tmp_path: Path, monkeypatch, output: str, words: str) -> None:
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "home" / "site"
    put(site, {**MIN_SITE, "case-studies/a.md": "---\ntitle: A\n---\n"})
    put(tmp_path, {"foreign/notes.txt": "mine", "home/.bashrc": "canary"})
    before = snapshot(tmp_path)
    out = output.replace("{site}", str(site)).replace("{tmp}", str(tmp_path))
    result = run_cli("build", str(site), "-o", out, env={"HOME": str(tmp_path / "home")})
    assert result.exit_code == 1
    assert re.search(r"^\S.*: error: .*" + re.escape(words), result.stderr, re.MULTILINE), result.stderr
    assert "Traceback" not in result.stderr + result.output
    assert snapshot(tmp_path) == before


def test_cli_failed_build_leaves_previous_output_untouched(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "site"
    put(site, MIN_SITE)
    out = tmp_path / "out"
    first = run_cli("build", str(site), "-o", str(out))
    assert first.exit_code == 0, first.stderr
    (out / "CNAME").write_text("ada.example")
    before = snapshot(out)
    (site / "profile.md").write_text("---\nname: [unclosed\n---\n")
    broken = run_cli("build", str(site), "-o", str(out))
    assert broken.exit_code == 1 and "profile.md:" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert snapshot(out) == before
