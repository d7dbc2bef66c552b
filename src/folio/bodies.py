"""The Markdown stage: every body in the site rendered once, then reused.

A body is reused by identity when the loader handed back the same entity and the
link targets and images are those of the last build (`folio serve`), else by
content from memory or `.folio-cache/markdown/`, checked against the link
targets and images it used. What is left is rendered on all cores; each worker
stores its results in the persistent cache itself, so the writes overlap the
rendering instead of following it. Whatever is reused equals a fresh render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import Report
from .markdown import MarkdownContext, MarkdownJob, Rendered, Result, render
from .model import Site
from .parallel import map_ordered

__all__ = ["MarkdownStage", "markdown_jobs"]


def markdown_jobs(site: Site, memo: dict[int, tuple] | None = None) -> list[MarkdownJob]:
    """Every Markdown body in the site, keyed by the entity it belongs to.

    `memo` (id(entity) -> (entity, job), from the last call) keeps the job object
    of every entity the loader handed back unchanged, so the Markdown stage can
    tell unchanged bodies by identity instead of comparing every text.
    """
    seen = {} if memo is None else memo
    fresh: dict[int, tuple] = {}

    def job(entity: Any, key: str, path: str, trusted: bool = True) -> MarkdownJob:
        hit = seen.get(id(entity))
        if hit is None or hit[0] is not entity or hit[1].trusted != trusted:
            hit = (entity, MarkdownJob(key, path, entity.body.text, entity.body.line, trusted))
        fresh[id(entity)] = hit
        return hit[1]

    jobs = [job(site.profile, "profile.md", "profile.md")]
    for item in (*site.case_studies, *site.services, *site.posts, *site.pages):
        jobs.append(job(item, item.key, item.source.path))
    for skill in site.skills:
        if skill.body:
            jobs.append(job(skill, skill.key, skill.source.path))
    for module in site.modules:
        for lesson in module.lessons:
            jobs.append(job(lesson, lesson.key, lesson.source.path, trusted=not module.imported))
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    return jobs


class MarkdownStage:
    """Rendered bodies of one site folder, kept between builds of one `Builder`."""

    def __init__(self, root: Path, persistent: bool, jobs: int | None) -> None:
        self.root = root
        self.persistent = persistent  # False: no `.folio-cache/markdown/`
        self.jobs = jobs  # worker processes; None: all cores
        self.memory: dict[tuple, Result] = {}  # (job, base path, raw html) -> result
        self.disk: Any = None  # the persistent cache of the last build's salt
        self._job_memo: dict[int, tuple] = {}  # markdown_jobs: id(entity) -> (entity, job)
        self._state: tuple | None = None  # the Markdown context of the last build
        self._last: dict[str, tuple[MarkdownJob, Result]] = {}

    def render(self, site: Site, ctx: MarkdownContext, report: Report) -> dict[str, Rendered]:
        """Every body by entity key; diagnostics go to `report`.

        When the context (link targets, images) equals the last build's, a job that is
        the very object of last time reuses its result at once; anything else is looked
        up by content in memory, then on disk, and checked against the context.
        """
        from .cache import MISS

        jobs = markdown_jobs(site, self._job_memo)
        state = (ctx.base_path, ctx.raw_html, ctx.urls, ctx.images)
        last = self._last if self._state == state else {}
        disk = self._disk_cache(ctx)
        results: dict[str, Result] = {}
        todo: list[tuple[tuple, MarkdownJob]] = []
        for job in jobs:
            same = last.get(job.key)
            if same is not None and same[0] is job:
                results[job.key] = same[1]
                continue
            key = (job, ctx.base_path, ctx.raw_html)
            hit = self.memory.get(key)
            if hit is None:
                hit = disk.get(_disk_key(disk, job))
                hit = None if hit is MISS else hit
            if isinstance(hit, Result) and _still_valid(hit, ctx):
                results[job.key] = hit
                self.memory[key] = hit
            else:
                todo.append((key, job))
        fresh = map_ordered(_render_in_worker, [j for _, j in todo], self.jobs,
                            initializer=_init_worker, initargs=(ctx, disk))
        for (key, job), result in zip(todo, fresh, strict=True):
            results[job.key] = result
            self.memory[key] = result
        if len(self.memory) > 2 * len(jobs):
            live = {(job, ctx.base_path, ctx.raw_html) for job in jobs}
            self.memory = {k: v for k, v in self.memory.items() if k in live}
        self._state = state
        self._last = {job.key: (job, results[job.key]) for job in jobs}
        for result in results.values():
            for d in result.diagnostics:
                (report.errors if d.severity == "error" else report.warnings).append(d)
        return {k: r.rendered for k, r in results.items()}

    def _disk_cache(self, ctx: MarkdownContext) -> Any:
        """The persistent cache, salted with what changes every result."""
        from .cache import Cache, NullCache

        salt = f"{ctx.base_path}|{ctx.raw_html}"
        if not self.persistent:
            return NullCache()
        if self.disk is None or self.disk.salt != salt:
            self.disk = Cache(self.root, "markdown", salt)
        return self.disk


def _disk_key(disk: Any, job: MarkdownJob) -> str:
    return disk.key(job.path, job.text, str(job.line), str(job.trusted))


def _still_valid(result: Result, ctx: MarkdownContext) -> bool:
    """A cached body is reusable while every link target and image resolves the same."""
    return (all(ctx.urls.get(p) == u for p, u in result.deps)
            and all(ctx.images.get(p) == info for p, info in result.image_infos))


_WORKER_CTX: tuple[MarkdownContext, Any] | None = None


def _init_worker(ctx: MarkdownContext, disk: Any) -> None:
    global _WORKER_CTX
    _WORKER_CTX = (ctx, disk)


def _render_in_worker(job: MarkdownJob) -> Result:
    """One body, rendered and stored in the persistent cache by this process."""
    assert _WORKER_CTX is not None
    ctx, disk = _WORKER_CTX
    result = render(job, ctx)
    disk.put(_disk_key(disk, job), result)
    return result
