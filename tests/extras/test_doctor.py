"""`folio doctor` on crafted sites: git remotes, CNAME, workflows, alt text, summaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from extras_helpers import photo_bytes

from folio.cli import cli
from folio.doctor import diagnose, github_origin, pages_url

REPO = Path(__file__).resolve().parents[2]
SCAFFOLD_WORKFLOW = REPO / "src" / "folio" / "scaffold_files" / "dot-github" / "workflows" \
    / "pages.yml"

WORKFLOW = """\
name: Pages
on: {push: {branches: [main]}}
permissions:
  contents: read
  pages: write
  id-token: write
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install folio
      - id: pages
        uses: actions/configure-pages@v5
      - run: folio build --base-url "${{ steps.pages.outputs.base_url }}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""

GOOD = {
    "folio.yaml": ("title: Ada\nbase_url: https://ada.github.io/portfolio/\n"
                   "description: Data consulting for small teams.\n"),
    ".git/config": ('[core]\n\tbare = false\n[remote "origin"]\n'
                    "\turl = git@github.com:ada/portfolio.git\n"
                    "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"),
    ".github/workflows/pages.yml": WORKFLOW,
    "assets/cover.jpg": photo_bytes(64, 48),
    "case-studies/boxly.md": ("---\ntitle: Boxly\nsummary: A churn dashboard.\n"
                              "cover: {src: assets/cover.jpg, alt: The dashboard}\n---\nText.\n"),
}


def doctor(site: Path):
    return CliRunner().invoke(cli, ["doctor", str(site)])


def lines(result) -> list[str]:
    return [ln for ln in result.output.splitlines() if not ln.startswith("  hint:")]


def test_a_ready_site_passes(make_site):
    result = doctor(make_site(GOOD))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Ready to deploy: nothing to fix."


def test_the_workflow_folio_new_writes_passes(make_site):
    if not SCAFFOLD_WORKFLOW.is_file():
        pytest.skip("no scaffold workflow")
    site = make_site({**GOOD, ".github/workflows/pages.yml": SCAFFOLD_WORKFLOW.read_text()})
    assert not diagnose(site).errors
    assert not diagnose(site).warnings


@pytest.mark.parametrize("url", [
    "git@github.com:ada/portfolio.git",
    "https://github.com/ada/portfolio",
    "https://github.com/ada/portfolio.git/",
    "ssh://git@github.com/ada/portfolio.git",
    "https://x-access-token:secret@github.com/ada/portfolio.git",
])
def test_github_remotes_are_recognised(make_site, url):
    site = make_site({".git/config": f'[remote "origin"]\n\turl = {url}\n'})
    repo, why = github_origin(site)
    assert why == "ok" and repo.slug == "ada/portfolio"
    assert pages_url(repo) == "https://ada.github.io/portfolio/"


def test_user_site_repository_is_served_at_the_root(make_site):
    remote = "https://github.com/Ada/ada.github.io"
    site = make_site({".git/config": f'[remote "origin"]\n\turl = {remote}\n'})
    repo, _ = github_origin(site)
    assert pages_url(repo) == "https://ada.github.io/"


def test_base_url_that_disagrees_with_the_repository_is_an_error(make_site):
    workflow = WORKFLOW.replace(' --base-url "${{ steps.pages.outputs.base_url }}/"', "")
    site = make_site({**GOOD, "folio.yaml": "title: Ada\nbase_url: https://ada.github.io/\n"
                      "description: d\n", ".github/workflows/pages.yml": workflow})
    result = doctor(site)
    assert result.exit_code == 1
    assert ("folio.yaml: error: base_url is https://ada.github.io/ but GitHub Pages serves "
            "ada/portfolio at https://ada.github.io/portfolio/") in lines(result)
    assert "  hint: set base_url: https://ada.github.io/portfolio/ in folio.yaml" in \
        result.output.splitlines()
    assert any(ln.startswith(".github/workflows/pages.yml:") and "warning: `folio build` does "
               "not get the Pages base URL" in ln for ln in lines(result))


def test_wrong_base_url_is_only_a_warning_when_the_workflow_passes_the_pages_url(make_site):
    site = make_site({**GOOD, "folio.yaml": "title: Ada\nbase_url: https://ada.github.io/\n"
                      "description: d\n"})
    report = diagnose(site)
    assert not report.errors
    [warning] = report.warnings
    assert warning.message.startswith("base_url is https://ada.github.io/ but")


def test_placeholder_base_url_is_an_error(make_site):
    site = make_site({**GOOD, "folio.yaml": "title: Ada\nbase_url: https://example.test/\n"
                      "description: d\n"})
    [error] = diagnose(site).errors
    assert error.message == "base_url points at example.test, not where the site will be published"
    assert error.hint.endswith("https://ada.github.io/portfolio/")


def test_cname_must_match_base_url(make_site):
    site = make_site({**GOOD, "static/CNAME": "www.ada.dev\n"})
    result = doctor(site)
    assert result.exit_code == 1
    assert "folio.yaml: error: static/CNAME says www.ada.dev but base_url is on ada.github.io" \
        in lines(result)
    fixed = make_site({**GOOD, "static/CNAME": "www.ada.dev\n", "folio.yaml":
                       "title: Ada\nbase_url: https://www.ada.dev/\ndescription: d\n"})
    assert doctor(fixed).exit_code == 0


def test_cname_with_a_scheme_is_an_error(make_site):
    site = make_site({**GOOD, "static/CNAME": "https://www.ada.dev/\n"})
    errors = diagnose(site).errors
    assert [e.headline() for e in errors] == [
        "static/CNAME:1: error: static/CNAME must hold one bare domain name, "
        "found 'https://www.ada.dev/'"]


def test_custom_domain_without_cname_is_a_warning(make_site):
    site = make_site({**GOOD, "folio.yaml": "title: Ada\nbase_url: https://ada.dev/\n"
                      "description: d\n"})
    report = diagnose(site)
    assert not report.errors
    assert [w.message for w in report.warnings] == [
        "base_url is on ada.dev but static/CNAME is missing"]


def test_missing_workflow_is_an_error(make_site):
    site = make_site({**GOOD, ".github/workflows/pages.yml": None})
    result = doctor(site)
    assert result.exit_code == 1
    assert ".github/workflows: error: no GitHub Actions workflow publishes this site" \
        in lines(result)


def test_workflow_without_deploy_pages_is_an_error(make_site):
    workflow = WORKFLOW.replace("actions/deploy-pages@v4", "peaceiris/actions-gh-pages@v4")
    site = make_site({**GOOD, ".github/workflows/pages.yml": workflow})
    [error] = diagnose(site).errors
    assert error.message == "no workflow publishes with actions/deploy-pages"


def test_workflow_without_permissions_is_an_error_at_the_deploy_line(make_site):
    workflow = WORKFLOW.replace("  pages: write\n  id-token: write\n", "")
    site = make_site({**GOOD, ".github/workflows/pages.yml": workflow})
    [error] = diagnose(site).errors
    assert error.path == ".github/workflows/pages.yml"
    assert error.line == workflow.splitlines().index(
        "        uses: actions/deploy-pages@v4") + 1
    assert "pages: write" in error.message


def test_uploaded_folder_must_be_the_output_folder(make_site):
    site = make_site({**GOOD, "folio.yaml": GOOD["folio.yaml"] + "output: public\n"})
    [error] = diagnose(site).errors
    assert error.message == "the workflow uploads '_site' but folio builds into 'public'"
    assert error.line == WORKFLOW.splitlines().index(
        "      - uses: actions/upload-pages-artifact@v3") + 1


def test_site_in_a_subfolder_of_the_repository(make_site, tmp_path):
    repo = make_site({".git/config": GOOD[".git/config"], "folio.yaml": None,
                      "profile.md": None,
                      ".github/workflows/pages.yml": WORKFLOW.replace(
                          "folio build --base-url", "folio build site --base-url").replace(
                          "path: _site", "path: site/_site")}, name="repo")
    site = repo / "site"
    site.mkdir()
    for name in ("folio.yaml", "case-studies/boxly.md", "assets/cover.jpg"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        data = GOOD[name]
        (site / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    (site / "profile.md").write_text("---\nname: Ada\nheadline: Data consultant\n---\nHi.\n")
    report = diagnose(site)
    assert not report.errors and not report.warnings, [*report.errors, *report.warnings]


def test_not_a_git_repository_is_a_warning(make_site):
    site = make_site({**GOOD, ".git/config": None})
    report = diagnose(site)
    assert "the site is not in a git repository" in report.warnings[0].message


def test_content_findings_name_file_and_line(make_site):
    case = ("---\n"                                   # 1
            "title: Boxly\n"                          # 2
            "cover: assets/cover.jpg\n"               # 3  no alt
            "gallery:\n"                              # 4
            "  - src: assets/missing.png\n"           # 5  missing
            "    alt: A chart\n"                      # 6
            "---\n"                                   # 7
            "Intro.\n"                                # 8
            "\n"                                      # 9
            "![](../assets/cover.jpg)\n"              # 10 no alt
            "```\n![](in-code.png)\n```\n"            # 11-13 code: ignored
            '<img src="x.png">\n'                     # 14 no alt
            '<img src="y.png" alt="">\n')             # 15 decorative: fine
    site = make_site({**GOOD, "case-studies/boxly.md": case})
    result = doctor(site)
    assert result.exit_code == 1
    found = lines(result)
    assert "case-studies/boxly.md:5: error: image not found: assets/missing.png" in found
    assert "case-studies/boxly.md:3: warning: cover image assets/cover.jpg has no alt text" \
        in found
    assert "case-studies/boxly.md:10: warning: image without alt text" in found
    assert "case-studies/boxly.md:14: warning: image without alt text" in found
    assert not any(":12:" in ln or ":15:" in ln for ln in found)
    assert "case-studies/boxly.md:1: warning: case-study 'Boxly' has no summary" in found
    assert found[-1].startswith("1 to fix before deploying")


def test_missing_site_description_and_headline_are_warnings(make_site):
    site = make_site({**GOOD, "folio.yaml": "title: Ada\n"
                      "base_url: https://ada.github.io/portfolio/\n",
                      "profile.md": "---\nname: Ada\n---\nHi.\n"})
    result = doctor(site)
    assert result.exit_code == 0
    assert "folio.yaml: warning: folio.yaml has no description" in lines(result)
    assert "profile.md:1: warning: profile.md has no headline" in lines(result)
    assert result.output.strip().endswith("Ready to deploy; 2 things to improve.")


def test_broken_content_is_reported_not_a_traceback(make_site):
    site = make_site({**GOOD, "case-studies/bad.md": "---\ntitle: [unclosed\n---\n"})
    result = doctor(site)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert any(ln.startswith("case-studies/bad.md:3:1: error: invalid YAML")
               for ln in lines(result))


def test_no_site_folder_is_an_error(tmp_path):
    result = doctor(tmp_path)
    assert result.exit_code == 1
    assert "no folio.yaml found" in result.output


def test_real_command_exit_codes(make_site, folio_cli):
    ready = folio_cli("doctor", str(make_site(GOOD)))
    assert ready.returncode == 0 and "Ready to deploy" in ready.stdout
    broken = folio_cli("doctor", str(make_site({**GOOD, ".github/workflows/pages.yml": None})))
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert ".github/workflows: error: no GitHub Actions workflow" in broken.stdout
