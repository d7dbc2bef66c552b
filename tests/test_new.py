"""`folio new`: the scaffold is complete, never overwrites, and builds as it is."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from folio_testing import EXAMPLE_SITE, REPO, run_folio

from folio.build import Builder, BuildOptions
from folio.cli import cli
from folio.config import parse_config
from folio.errors import FolioError, Report
from folio.scaffold import create_site, default_files

EXPECTED = {
    "folio.yaml", "profile.md", "skills.yaml", "testimonials.yaml", "README.md", ".gitignore",
    ".github/workflows/pages.yml", "case-studies/first-project.md",
    "services/first-service.md", "posts/hello-world.md", "pages/contact.md",
}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def new_site(tmp_path: Path, name: str = "my-site") -> Path:
    target = tmp_path / name
    result = CliRunner().invoke(cli, ["new", str(target)])
    assert result.exit_code == 0, result.output
    return target


def workflow(site: Path) -> dict:
    data = yaml.safe_load((site / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    # PyYAML reads the key `on` as the boolean True (YAML 1.1); GitHub reads it as "on".
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_new_writes_the_scaffold(tmp_path):
    site = new_site(tmp_path)
    assert set(tree(site)) == EXPECTED
    post = (site / "posts/hello-world.md").read_text(encoding="utf-8")
    assert f"date: {dt.date.today().isoformat()}" in post
    assert "{date}" not in post


def test_new_prints_next_steps(tmp_path):
    result = CliRunner().invoke(cli, ["new", str(tmp_path / "s")])
    assert result.exit_code == 0
    assert "Created" in result.output and "folio serve" in result.output


def test_new_into_an_existing_empty_folder(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    written, _ = create_site(target)
    assert set(written) == EXPECTED


@pytest.mark.parametrize("existing", ["notes.txt", ".git/HEAD", ".hidden"])
def test_new_refuses_a_non_empty_folder_and_touches_nothing(tmp_path, existing):
    target = tmp_path / "busy"
    (target / existing).parent.mkdir(parents=True, exist_ok=True)
    (target / existing).write_text("mine", encoding="utf-8")
    before = tree(target)
    result = run_folio("new", str(target))
    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{target}: error: ")
    assert tree(target) == before


def test_new_refuses_a_file(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["new", str(target)])
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == "x"


def test_new_never_overwrites_a_file_that_appears_meanwhile(tmp_path, monkeypatch):
    """O_EXCL writes: a file created between the check and the write survives."""
    from folio import scaffold

    target = tmp_path / "race"
    real_check = scaffold._check_target

    def check_then_race(path):
        real_check(path)
        (path / "pages").mkdir(parents=True)
        (path / "pages/contact.md").write_text("theirs", encoding="utf-8")

    monkeypatch.setattr(scaffold, "_check_target", check_then_race)
    with pytest.raises(FolioError, match="appeared"):
        create_site(target)
    assert (target / "pages/contact.md").read_text(encoding="utf-8") == "theirs"


def test_a_failed_write_removes_only_what_it_wrote(tmp_path, monkeypatch):
    """Half a site is worse than none: undo our own files and folders, keep theirs."""
    from folio import scaffold

    target = tmp_path / "half"
    real_check = scaffold._check_target

    def check_then_block(path):
        real_check(path)
        path.mkdir()
        (path / "posts").write_text("a file where a folder should go", encoding="utf-8")

    monkeypatch.setattr(scaffold, "_check_target", check_then_block)
    with pytest.raises(FolioError, match="cannot write"):
        create_site(target)
    assert tree(target) == {"posts": b"a file where a folder should go"}


def test_new_needs_a_path():
    result = CliRunner().invoke(cli, ["new"])
    assert result.exit_code == 2


def test_gitignore_keeps_output_and_cache_out_of_git(tmp_path):
    lines = (new_site(tmp_path) / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "_site/" in lines and ".folio-cache/" in lines


def test_folio_yaml_is_commented_and_valid(tmp_path):
    site = new_site(tmp_path, "portfolio")
    text = (site / "folio.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    keys = [i for i, line in enumerate(lines) if line and line[0].isalpha()]
    assert len(keys) >= 6
    for i in keys:  # every setting has a comment line right above it
        assert lines[i - 1].startswith("#"), lines[i]
    report = Report()
    config = parse_config(text, report)
    assert not report.errors and not report.warnings
    assert config.base_url == "https://your-github-user.github.io/portfolio/"
    assert config.base_path == "/portfolio/"
    assert [t.id for t in config.tracks] == ["consulting", "teaching"]


def test_workflow_triggers_and_permissions(tmp_path):
    wf = workflow(new_site(tmp_path))
    on = wf["on"]
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert len(on["schedule"][0]["cron"].split()) == 5
    assert wf["permissions"]["pages"] == "write"
    assert wf["permissions"]["id-token"] == "write"
    assert wf["concurrency"]["group"] == "pages"


def test_workflow_build_job_steps(tmp_path):
    wf = workflow(new_site(tmp_path))
    steps = wf["jobs"]["build"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    for action in ("actions/checkout", "actions/setup-python", "actions/cache",
                   "actions/configure-pages", "actions/upload-pages-artifact"):
        assert action in uses, action
    by_action = {s.get("uses", "").split("@")[0]: s for s in steps}
    assert by_action["actions/configure-pages"]["id"] == "pages"
    assert by_action["actions/cache"]["with"]["path"].rstrip("/") == ".folio-cache"
    assert by_action["actions/upload-pages-artifact"]["with"]["path"] == "_site"
    runs = [s["run"] for s in steps if "run" in s]
    install = next(r for r in runs if "pip install" in r)
    assert "$FOLIO_PACKAGE" in install
    assert wf["env"]["FOLIO_PACKAGE"] == "${{ vars.FOLIO_PACKAGE || 'folio' }}"
    assert 'folio build --base-url "${{ steps.pages.outputs.base_url }}/"' in runs
    # the cache is restored before the build that uses it, pages configured before too
    order = [u or "run" for u in uses]
    build_at = next(i for i, s in enumerate(steps) if "folio build" in s.get("run", ""))
    assert order.index("actions/cache") < build_at
    assert order.index("actions/configure-pages") < build_at
    assert build_at < order.index("actions/upload-pages-artifact")


def test_workflow_deploy_job(tmp_path):
    deploy = workflow(new_site(tmp_path))["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    step = deploy["steps"][0]
    assert step["uses"].startswith("actions/deploy-pages@") and step["id"] == "deployment"


def test_scaffold_builds_as_it_is(tmp_path):
    site = new_site(tmp_path)
    result = run_folio("build", str(site))
    assert result.returncode == 0, result.stderr
    out = site / "_site"
    for page in ("index.html", "work/first-project/index.html", "skills/data-analysis/index.html",
                 "tracks/consulting/index.html", "writing/hello-world/index.html",
                 "contact/index.html", "cv/index.html", "resume.json"):
        assert (out / page).is_file(), page


def test_scaffold_checks_without_warnings(tmp_path):
    site = new_site(tmp_path)
    result = Builder(site, BuildOptions(search=False, cache=False, explicit_site=True)).build()
    assert result.warnings == ()
    # the sample content is wired together: evidence, tracks and testimonial all resolve
    built = result.site
    assert [c.slug for c in built.evidence("data-analysis")] == ["first-project", "first-service"]
    case = built.case_studies[0]
    assert [t.id for t in built.testimonials_for(case)] == ["first-client"]


def test_scaffold_build_under_the_pages_base_url(tmp_path):
    """What CI runs: the Pages URL overrides base_url, links carry its path."""
    site = new_site(tmp_path)
    result = run_folio("build", str(site), "--base-url", "https://someone.github.io/cv-site/")
    assert result.returncode == 0, result.stderr
    home = (site / "_site/index.html").read_text(encoding="utf-8")
    assert 'href="/cv-site/work/first-project/"' in home


def test_default_files_rename_dotfiles():
    files = default_files(dt.date(2026, 1, 2))
    assert ".gitignore" in files and ".github/workflows/pages.yml" in files
    assert not any(p.startswith("dot-") or "/dot-" in p for p in files)
    assert "date: 2026-01-02" in files["posts/hello-world.md"]


@pytest.mark.slow
def test_scaffold_files_ship_in_the_wheel(tmp_path):
    """A plain (non-editable) install finds the scaffold inside the package."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "-w", str(wheels),
                    "--no-deps", "--no-build-isolation", "-q"], check=True, timeout=300)
    wheel = next(wheels.glob("folio-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in default_files():
        packaged = "/".join("dot-" + p[1:] if p.startswith(".") else p for p in rel.split("/"))
        assert f"folio/scaffold_files/{packaged}" in names, packaged
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    site = tmp_path / "from-wheel"
    program = ("import sys; sys.path.insert(0, sys.argv[1]); import folio; "
               "assert folio.__file__.startswith(sys.argv[1]), folio.__file__; "
               "from folio.cli import main; sys.argv[1:] = ['new', sys.argv[2]]; main()")
    result = subprocess.run([sys.executable, "-c", program, str(target), str(site)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert set(tree(site)) == EXPECTED


# -- the demo site: what a full site grown from `folio new` looks like -------------------

@pytest.fixture(scope="module")
def demo():
    return Builder(EXAMPLE_SITE, BuildOptions(search=False, cache=False, explicit_site=True)).build()


def test_demo_site_builds_without_warnings(demo):
    assert demo.warnings == ()
    assert "work/food-bank-stock-dashboard/index.html" in demo.files


def test_demo_site_has_every_kind_of_content(demo):
    site = demo.site
    assert [t.id for t in site.config.tracks] == ["data", "translation", "teaching"]
    assert site.config.base_path == "/portfolio/"
    assert site.config.availability.status == "limited" and site.config.availability.until
    sources = sorted(p.name for p in (EXAMPLE_SITE / "case-studies").glob("*.md"))
    assert len(sources) >= 8 and any(name[:3] == "01-" for name in sources)
    assert len(site.case_studies) == len(sources) - 1  # one draft left out
    assert "bakery-loyalty-card" not in {c.slug for c in site.case_studies}
    assert any(c.ongoing for c in site.case_studies) and any(c.featured for c in site.case_studies)
    assert {c.start.iso().count("-") for c in site.case_studies if c.start} == {0, 1, 2}
    assert len(site.skills) >= 12
    assert {s.level for s in site.skills} == {"learning", "working", "advanced", "expert"}
    assert len(site.services) >= 4 and all(s.price and s.booking_url for s in site.services)
    assert len(site.testimonials) >= 4 and any(t.case_study for t in site.testimonials)
    assert any(c.testimonial_inline for c in site.case_studies)
    assert len(site.posts) >= 4
    assert any(p.menu == 1 for p in site.pages)
    for skill in site.skills:  # every skill has evidence to show
        assert site.evidence(skill.id), skill.id


def test_demo_site_images_have_alt_text_and_size(demo):
    from PIL import Image

    site = demo.site
    galleries = [c.gallery for c in site.case_studies if len(c.gallery) >= 3]
    assert galleries and all(len(g) <= 4 for g in galleries)
    images = [c.cover for c in site.case_studies if c.cover]
    images += [i for c in site.case_studies for i in c.gallery] + [site.profile.photo]
    for image in images:
        assert image.alt, image.src
    for case in site.case_studies:
        if case.cover:
            assert Image.open(EXAMPLE_SITE / case.cover.src).width >= 1600
    total = sum(p.stat().st_size for p in (EXAMPLE_SITE / "assets").rglob("*") if p.is_file())
    assert total < 3_000_000


def test_demo_site_photo_carries_gps_that_the_build_strips(demo):
    from PIL import Image

    rel = "assets/case-studies/cowork-bootcamp/workshop-room.jpg"
    source = Image.open(EXAMPLE_SITE / rel).getexif()
    assert source.get_ifd(0x8825).get(2), "the source photo must carry GPSLatitude"
    built = [p for p in demo.files if p.startswith(rel.rsplit("/", 1)[0]) and "workshop-room" in p]
    assert built
    for path in built:
        exif = Image.open(io.BytesIO(demo.files[path])).getexif()
        assert not exif.get_ifd(0x8825), path


@pytest.mark.slow
def test_demo_images_can_be_regenerated(tmp_path):
    from PIL import Image

    sys.path.insert(0, str(REPO / "tests" / "fixtures"))
    try:
        import make_example_images
    finally:
        sys.path.pop(0)
    make_example_images.main(tmp_path)
    made = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "assets").rglob("*.*"))
    kept = sorted(p.relative_to(EXAMPLE_SITE).as_posix()
                  for p in (EXAMPLE_SITE / "assets").rglob("*.*"))
    assert made == kept
    for rel in made:
        assert Image.open(tmp_path / rel).size == Image.open(EXAMPLE_SITE / rel).size, rel
