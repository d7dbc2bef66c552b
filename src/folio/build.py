"""The whole pipeline, top to bottom: load -> link -> render -> write.

CONTRACT (filled in by the core; other modules code against these names):

    options = BuildOptions(output=None, base_url=None, drafts=None, clean=False,
                           search=None, jobs=None, cache=True)
    builder = Builder(site_dir, options)     # keeps caches between builds (serve)
    result = builder.build()                 # in memory: BuildResult, no disk writes
    result.files      -> dict[str, bytes]   output-relative POSIX path -> bytes
    result.site       -> folio.model.Site
    result.warnings   -> tuple[Diagnostic, ...]
    result.timings    -> dict[str, float]   seconds per stage
    build(site_dir, options) -> BuildResult  # build + write to the output folder
Errors: raises folio.errors.BuildFailed (a FolioError) with every diagnostic.
"""
