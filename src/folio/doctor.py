"""`folio doctor`: is this site ready to deploy to GitHub Pages, and if not, what to fix.

Checks, each a finding with a path, a line where there is one, and a hint:

- ``base_url`` against where GitHub Pages will serve the repository (read from
  ``remote "origin"`` in the ``.git/config`` of the site folder or a parent):
  ``https://user.github.io/name/`` for a project, ``https://user.github.io/``
  for a repository named ``user.github.io``, ``https://<CNAME>/`` with a custom
  domain;
- ``static/CNAME`` is a bare host name and agrees with ``base_url``;
- a workflow under ``.github/workflows/`` builds with folio, uploads the output
  with ``actions/upload-pages-artifact`` and publishes with
  ``actions/deploy-pages`` (with the permissions it needs), and passes
  ``actions/configure-pages``' base URL to ``folio build --base-url``;
- content errors that would fail the build, images named in front matter that
  do not exist or lack alt text, Markdown images without alt text, and pages
  without a summary or description (used for meta descriptions and link cards).

Errors are what breaks the deployed site; warnings are what makes it worse.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import Report
from .model import Site

__all__ = ["GitHubRepo", "diagnose", "find_git_dir", "github_origin", "pages_url"]

_GITHUB_REMOTE = re.compile(
    r"^(?:(?:https?|git|ssh)://(?:[^@/]+@)?github\.com(?::\d+)?/|[^@/\s]+@github\.com:)"
    r"(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+?)(?:\.git)?/?$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                       r"[A-Za-z]{2,63}$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_MD_IMAGE_NO_ALT = re.compile(r"!\[\s*\]\(")
_HTML_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_ALT = re.compile(r"\salt\s*=", re.IGNORECASE)  # alt="" is a deliberate choice


@dataclass(frozen=True, slots=True)
class GitHubRepo:
    owner: str
    name: str

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"


def pages_url(repo: GitHubRepo) -> str:
    """Where GitHub Pages serves a repository without a custom domain."""
    host = f"{repo.owner.lower()}.github.io"
    if repo.name.lower() == host:
        return f"https://{host}/"
    return f"https://{host}/{repo.name}/"


# -- git ---------------------------------------------------------------------------

def find_git_dir(start: Path) -> tuple[Path, Path] | None:
    """(working tree, git dir) for the repository containing `start`, if any."""
    for folder in [start, *start.parents]:
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return folder, dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                git_dir = (folder / text[len("gitdir:"):].strip()).resolve()
                common = git_dir / "commondir"
                if common.is_file():
                    git_dir = (git_dir / common.read_text().strip()).resolve()
                return folder, git_dir
    return None


def _origin_url(config_text: str) -> str | None:
    """The url of [remote "origin"] in a git config file (git's own syntax, simply)."""
    section = None
    for raw in config_text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = re.match(r'^\[\s*([A-Za-z0-9.-]+)(?:\s+"(.*)")?\s*\]$', line)
        if header:
            section = (header.group(1).lower(), header.group(2))
            continue
        if section == ("remote", "origin"):
            key, _, value = line.partition("=")
            if key.strip().lower() == "url" and value.strip():
                return value.strip().strip('"')
    return None


def github_origin(site_dir: Path) -> tuple[GitHubRepo | None, str]:
    """The GitHub repository of origin, or None and why not (for the message)."""
    found = find_git_dir(site_dir)
    if found is None:
        return None, "no-git"
    _worktree, git_dir = found
    try:
        url = _origin_url((git_dir / "config").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None, "no-origin"
    if url is None:
        return None, "no-origin"
    match = _GITHUB_REMOTE.match(url)
    if match is None:
        host = urlsplit(url).hostname or url.split("@")[-1].split(":")[0]
        return None, f"other-host:{host}"
    return GitHubRepo(match["owner"], match["name"]), "ok"


# -- the checks ----------------------------------------------------------------------

def diagnose(site_dir: Path) -> Report:
    """Every finding for the site folder `site_dir` (which holds folio.yaml)."""
    from .load import load_site

    root = Path(site_dir).resolve()
    report = Report()
    content = Report()
    site = load_site(root, content).site
    report.extend(content)
    repo, why = github_origin(root)
    found = find_git_dir(root)
    top = found[0] if found else root  # where .github/ lives: the repository's top
    cname = _check_cname(root, site, report)
    workflow = _check_workflows(root, top, site, report)
    _check_base_url(site, repo, why, cname, workflow, report)
    _check_content(root, site, report)
    return report


def _check_cname(root: Path, site: Site, report: Report) -> str | None:
    path = root / "static" / "CNAME"
    if not path.is_file():
        return None
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    value = next((ln for ln in lines if ln), "")
    base = urlsplit(site.config.base_url)
    if not _HOSTNAME.match(value):
        report.error(f"static/CNAME must hold one bare domain name, found {value!r}",
                     "static/CNAME", 1, hint="e.g. www.example.com (no https://, no path)")
        return None
    if (base.hostname or "").lower() != value.lower():
        report.error(f"static/CNAME says {value} but base_url is on {base.hostname}",
                     site.config.path, hint=f"set base_url: https://{value}/ in folio.yaml, "
                     "or remove static/CNAME")
    elif site.config.base_path != "/":
        report.error(f"a custom domain serves the site at its root, but base_url has the path "
                     f"{site.config.base_path}", site.config.path,
                     hint=f"set base_url: https://{value}/")
    return value


@dataclass(frozen=True, slots=True)
class _Workflow:
    path: str
    passes_pages_url: bool  # folio build --base-url from configure-pages' outputs


def _check_workflows(root: Path, top: Path, site: Site, report: Report) -> _Workflow | None:
    import yaml

    folder = top / ".github" / "workflows"
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    shown = _rel(folder, root)
    if not files:
        report.error("no GitHub Actions workflow publishes this site", shown,
                     hint="add .github/workflows/pages.yml (a new site from `folio new` has "
                          "one), then set Settings > Pages > Source to GitHub Actions")
        return None
    deploying = []
    for path in files:
        label = _rel(path, root)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            report.error(f"workflow is not valid YAML: {exc}".splitlines()[0], label,
                         line + 1 if line is not None else None)
            continue
        steps = _steps(data)
        uses = [str(s.get("uses", "")) for s in steps]
        if any(u.startswith("actions/deploy-pages") for u in uses):
            deploying.append((path, label, data, steps, uses))
    if not deploying:
        report.error("no workflow publishes with actions/deploy-pages", shown,
                     hint="deploy with actions/upload-pages-artifact + actions/deploy-pages "
                          "(see the workflow `folio new` writes)")
        return None
    path, label, data, steps, uses = deploying[0]
    text = path.read_text(encoding="utf-8")
    if not _has_permissions(data):
        report.error("actions/deploy-pages needs `permissions: pages: write` and "
                     "`id-token: write`", label, _line_of(text, "deploy-pages"),
                     hint="add them under `permissions:` at the top of the workflow")
    if not any(u.startswith("actions/upload-pages-artifact") for u in uses):
        report.error("the workflow never uploads the site with actions/upload-pages-artifact",
                     label, _line_of(text, "deploy-pages"))
    builds = [s for s in steps if "folio build" in str(s.get("run", ""))]
    if not builds:
        report.error("the workflow never runs `folio build`", label,
                     hint="add a step: run: folio build --base-url "
                          "\"${{ steps.pages.outputs.base_url }}/\"")
    configure = next((s for s in steps if str(s.get("uses", "")).startswith(
        "actions/configure-pages")), None)
    passes = bool(configure and configure.get("id") and any(
        f"steps.{configure['id']}.outputs.base_url" in str(s.get("run", "")) for s in builds))
    if configure is None:
        report.warn("the workflow does not use actions/configure-pages", label,
                    hint="add it with `id: pages` and build with --base-url "
                         "\"${{ steps.pages.outputs.base_url }}/\" so links follow the Pages URL")
    elif builds and not passes:
        report.warn("`folio build` does not get the Pages base URL from "
                    "actions/configure-pages", label, _line_of(text, "folio build"),
                    hint="build with --base-url \"${{ steps.%s.outputs.base_url }}/\""
                         % (configure.get("id") or "pages"))
    _check_artifact_path(root, top, site, steps, builds, label, text, report)
    return _Workflow(label, passes)


def _steps(data: Any) -> list[dict]:
    jobs = data.get("jobs") if isinstance(data, dict) else None
    out: list[dict] = []
    for job in (jobs or {}).values() if isinstance(jobs, dict) else ():
        if isinstance(job, dict) and isinstance(job.get("steps"), list):
            out.extend(s for s in job["steps"] if isinstance(s, dict))
    return out


def _has_permissions(data: Any) -> bool:
    def ok(perms: Any) -> bool:
        if perms == "write-all":
            return True
        return isinstance(perms, dict) and perms.get("pages") == "write" and \
            perms.get("id-token") == "write"

    if not isinstance(data, dict):
        return False
    jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
    deploy_jobs = [j for j in jobs.values() if isinstance(j, dict) and any(
        str(s.get("uses", "")).startswith("actions/deploy-pages") for s in j.get("steps") or []
        if isinstance(s, dict))]
    return ok(data.get("permissions")) or any(ok(j.get("permissions")) for j in deploy_jobs)


def _check_artifact_path(root: Path, top: Path, site: Site, steps: list[dict],
                         builds: list[dict], label: str, text: str, report: Report) -> None:
    upload = next((s for s in steps if str(s.get("uses", "")).startswith(
        "actions/upload-pages-artifact")), None)
    if upload is None or not builds:
        return
    uploaded = str((upload.get("with") or {}).get("path", "_site"))
    expected = _built_output(builds[0], root, top, site.config.output)
    if expected is None:
        return
    if os.path.normpath(uploaded) != os.path.normpath(expected):
        report.error(f"the workflow uploads {uploaded!r} but folio builds into {expected!r}",
                     label, _line_of(text, "upload-pages-artifact"),
                     hint=f"set `path: {expected}` under actions/upload-pages-artifact")


def _built_output(step: dict, root: Path, top: Path, output: str) -> str | None:
    """The output folder of `folio build` in a run step, relative to the repository."""
    command = str(step.get("run", ""))
    line = next((ln for ln in command.splitlines() if "folio build" in ln), "")
    try:
        words = shlex.split(line.split("folio build", 1)[1])
    except ValueError:
        return None
    site_arg, out_arg, i = None, None, 0
    while i < len(words):
        word = words[i]
        if word in ("-o", "--output") and i + 1 < len(words):
            out_arg, i = words[i + 1], i + 2
            continue
        if word.startswith("--output="):
            out_arg = word.split("=", 1)[1]
        elif word in ("--base-url",):
            i += 1
        elif not word.startswith("-") and site_arg is None:
            site_arg = word
        i += 1
    if any("$" in (w or "") for w in (site_arg, out_arg)):
        return None  # computed in the shell: cannot tell
    workdir = str(step.get("working-directory", "."))
    if out_arg is not None:
        return os.path.normpath(os.path.join(workdir, out_arg))
    site_rel = site_arg or os.path.relpath(root, top)
    return os.path.normpath(os.path.join(workdir, site_rel, output))


def _check_base_url(site: Site, repo: GitHubRepo | None, why: str, cname: str | None,
                    workflow: _Workflow | None, report: Report) -> None:
    config = site.config
    parts = urlsplit(config.base_url)
    host = (parts.hostname or "").lower()
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith((".test", ".example",
                                                                     ".invalid", ".local")) \
            or host in ("example.com", "example.org", "example.net"):
        report.error(f"base_url points at {host}, not where the site will be published",
                     config.path, hint="set base_url to the public address, e.g. "
                     + (pages_url(repo) if repo else "https://USER.github.io/REPO/"))
        return
    if parts.scheme != "https":
        report.warn("base_url does not use https", config.path,
                    hint="GitHub Pages serves over https; http links cause redirects and "
                         "mixed-content warnings")
    if repo is None:
        if why == "no-git":
            report.warn("the site is not in a git repository, so base_url cannot be checked "
                        "against GitHub", config.path,
                        hint="git init, then git remote add origin "
                             "https://github.com/USER/REPO.git")
        elif why == "no-origin":
            report.warn("the git repository has no remote named origin", config.path,
                        hint="git remote add origin https://github.com/USER/REPO.git")
        else:
            report.warn(f"origin is on {why.split(':', 1)[1]}, not GitHub: the GitHub Pages "
                        "checks were skipped", config.path)
        return
    expected = f"https://{cname.lower()}/" if cname else pages_url(repo)
    if cname is None and not host.endswith(".github.io"):
        report.warn(f"base_url is on {host} but static/CNAME is missing", config.path,
                    hint=f"set the custom domain under Settings > Pages of {repo.slug}, "
                         f"and add static/CNAME containing {host} to record it")
        return
    if _same_url(config.base_url, expected):
        return
    message = f"base_url is {config.base_url} but GitHub Pages serves {repo.slug} at {expected}"
    hint = f"set base_url: {expected} in folio.yaml"
    if workflow is not None and workflow.passes_pages_url:
        report.warn(message, config.path,
                    hint=f"{workflow.path} passes the Pages URL, so the deployed site is "
                         f"right; {hint} so local builds, the feed and the CV agree")
    else:
        report.error(message, config.path, hint=hint)


def _same_url(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, (pa.hostname or "").lower(), pa.path.rstrip("/") + "/") == \
        (pb.scheme, (pb.hostname or "").lower(), pb.path.rstrip("/") + "/")


def _check_content(root: Path, site: Site, report: Report) -> None:
    from .images import check_refs, image_refs

    refs = image_refs(site)
    known = {ref.image.src for ref in refs if (root / ref.image.src).is_file()} | set(site.assets)
    report.extend(check_refs(refs, {}, known))
    if not site.config.description:
        report.warn("folio.yaml has no description", site.config.path,
                    hint="one or two sentences; used for the home page's meta description "
                         "and the feed")
    if not site.profile.headline:
        report.warn("profile.md has no headline", site.profile.source.path,
                    site.profile.source.line, hint="e.g. headline: Data consultant for charities")
    described = [*site.case_studies, *site.services, *site.posts, *site.pages, *site.modules]
    for item in described:
        if not item.summary.strip():
            report.warn(f"{item.kind} '{item.title}' has no summary", item.source.path,
                        item.source.line,
                        hint="add `summary:` (one sentence): it becomes the page's meta "
                             "description and the text of shared links")
    bodies = [site.profile, *site.case_studies, *site.services, *site.posts, *site.pages,
              *site.lessons()]
    for item in bodies:
        _check_markdown_alt(item.source.path, item.body.text, item.body.line, report)


def _check_markdown_alt(path: str, text: str, first_line: int, report: Report) -> None:
    fence = None
    for offset, line in enumerate(text.split("\n")):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if _MD_IMAGE_NO_ALT.search(line) or any(
                not _HTML_ALT.search(tag) for tag in _HTML_IMG.findall(line)):
            report.warn("image without alt text", path, first_line + offset,
                        hint="describe the image: ![what it shows](...); use alt=\"\" only "
                             "for decoration in raw HTML")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None

