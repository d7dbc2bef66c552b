"""Theme resolution, the Jinja environment, and template errors (RELIABILITY 30-37)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from folio.errors import FolioError
from folio.templates import format_date, make_environment, render_template, safe_url
from folio.themes import load_theme

from .conftest import build_files

BASE = "{% block content %}{% endblock %}"


def theme_site(make_site, templates: dict[str, str | bytes], extra: dict | None = None,
               parent: str | None = "default"):
    """A site whose theme lives in ./mytheme, optionally inheriting the default theme."""
    files = {f"mytheme/templates/{k}": v for k, v in templates.items()}
    files["mytheme/theme.yaml"] = f"name: mine\nparent: {parent}\n" if parent else "name: mine\n"
    files["folio.yaml"] = "title: T\nbase_url: https://example.test/\ntheme: ./mytheme\n"
    return make_site({**files, **(extra or {})})


def error_of(site_dir) -> FolioError:
    with pytest.raises(FolioError) as info:
        build_files(site_dir)
    return info.value


def all_text(err: FolioError) -> str:
    return "\n".join(d.headline() for d in err.diagnostics)


# -- resolution -------------------------------------------------------------------

def test_builtin_default_theme_is_found_next_to_the_package(tmp_path):
    chain = load_theme("default", tmp_path)
    assert chain.name == "default"
    assert (chain.template_dirs[0] / "base.html").is_file()
    statics = chain.static_files()
    assert "css/site.css" in statics and "js/theme.js" in statics


def test_missing_theme_names_it(tmp_path):
    with pytest.raises(FolioError) as info:
        load_theme("no-such-theme", tmp_path)
    assert "no-such-theme" in str(info.value)
    assert "default" in info.value.diagnostic.hint


@pytest.mark.parametrize("value", ["../../x", "../outside", "/etc"])
def test_theme_outside_the_site_is_refused(make_site, tmp_path, value):
    outside = tmp_path / "x" / "templates"
    outside.mkdir(parents=True)
    site = make_site({"folio.yaml": f"title: T\nbase_url: https://e.test/\ntheme: {value}\n"})
    with pytest.raises(FolioError) as info:
        load_theme(value, site)
    assert "outside the site" in str(info.value)


def test_theme_folder_without_templates_is_an_error(make_site):
    site = make_site({"mytheme/static/x.css": "a{}"})
    with pytest.raises(FolioError) as info:
        load_theme("./mytheme", site)
    assert "mytheme" in str(info.value) and "templates/" in str(info.value)


def test_missing_theme_folder_is_an_error(make_site):
    site = make_site({})
    with pytest.raises(FolioError, match="theme folder nothere does not exist"):
        load_theme("./nothere", site)


def test_static_symlink_leaving_the_theme_is_an_error(make_site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("key")
    site = make_site({"mytheme/templates/base.html": BASE})
    (site / "mytheme" / "static").mkdir()
    os.symlink(secret, site / "mytheme" / "static" / "leak.txt")
    with pytest.raises(FolioError) as info:
        load_theme("./mytheme", site)
    assert "mytheme/static/leak.txt" in str(info.value)
    assert "leaves the theme" in str(info.value)


def test_child_theme_overrides_parent_static_and_templates(make_site):
    site = theme_site(make_site, {"404.html": "{% extends 'base.html' %}{% block content %}"
                                              "<p id=mine>custom</p>{% endblock %}"},
                      {"mytheme/static/css/site.css": "body{color:red}"})
    chain = load_theme("./mytheme", site)
    assert [t.name for t in chain.themes] == ["mine", "default"]
    statics = chain.static_files()
    assert statics["css/site.css"].read_text() == "body{color:red}"
    assert "js/theme.js" in statics  # inherited from the parent
    files = build_files(site)
    assert b'<p id=mine>custom</p>' in files["404.html"]
    assert files["theme/css/site.css"] == b"body{color:red}"


def test_site_templates_override_the_theme(make_site):
    site = make_site({"templates/404.html": "{% extends 'base.html' %}{% block content %}"
                                            "site-override{% endblock %}"})
    assert b"site-override" in build_files(site)["404.html"]


def test_parent_cycle_is_an_error(make_site):
    site = make_site({"a/templates/x.html": "", "a/theme.yaml": "parent: ../b\n",
                      "b/templates/x.html": "", "b/theme.yaml": "parent: ../a\n"})
    with pytest.raises(FolioError, match="cycle"):
        load_theme("./a", site)


# -- template errors ----------------------------------------------------------------

def test_include_cycle_is_reported_as_a_cycle(make_site):
    site = theme_site(make_site, {
        "404.html": "{% extends 'base.html' %}{% block content %}"
                    "{% include 'a.html' %}{% endblock %}",
        "a.html": "A{% include 'b.html' %}",
        "b.html": "B{% include 'a.html' %}",
    })
    err = error_of(site)
    assert "cycle: a.html -> b.html -> a.html" in all_text(err)
    assert "/404.html" in all_text(err)
    assert not isinstance(err.__cause__, RecursionError)


def test_extends_cycle_is_reported_as_a_cycle(make_site):
    site = theme_site(make_site, {"404.html": "{% extends 'x.html' %}",
                                  "x.html": "{% extends 'y.html' %}",
                                  "y.html": "{% extends 'x.html' %}"})
    assert "cycle: x.html -> y.html -> x.html" in all_text(error_of(site))


def test_syntax_error_names_template_line_and_page(make_site):
    site = theme_site(make_site, {"404.html": "{% extends 'base.html' %}\n"
                                              "{% block content %}\n\n{% if %}\n{% endblock %}"})
    d = error_of(site).diagnostic
    assert d.path == "mytheme/templates/404.html"
    assert d.line == 4
    assert "syntax" in d.message and "/404.html" in d.message


def test_undefined_variable_names_template_line_and_page(make_site):
    site = theme_site(make_site, {"404.html": "{% extends 'base.html' %}\n{% block content %}\n"
                                              "<p>\n{{ no_such_thing }}\n</p>{% endblock %}"})
    d = error_of(site).diagnostic
    assert (d.path, d.line) == ("mytheme/templates/404.html", 4)
    assert "no_such_thing" in d.message and "rendering /404.html" in d.message


def test_undefined_attribute_in_an_included_partial_points_at_the_partial(make_site):
    site = theme_site(make_site, {
        "404.html": "{% extends 'base.html' %}{% block content %}"
                    "{% include 'partials/bad.html' %}{% endblock %}",
        "partials/bad.html": "ok\nok\n{{ profile.nmae }}\n",
    })
    d = error_of(site).diagnostic
    assert (d.path, d.line) == ("mytheme/templates/partials/bad.html", 3)


def test_bad_filter_argument_is_a_located_error(make_site):
    site = theme_site(make_site, {"404.html": "{% extends 'base.html' %}{% block content %}\n"
                                              "{{ 'x'|truncate('many') }}{% endblock %}"})
    d = error_of(site).diagnostic
    assert d.path == "mytheme/templates/404.html" and d.line == 2


def test_non_utf8_template_names_the_file(make_site):
    site = theme_site(make_site, {"404.html": b"{% extends 'base.html' %}\x92\xff"})
    err = error_of(site)
    assert "mytheme/templates/404.html" in all_text(err) and "UTF-8" in all_text(err)


def test_missing_template_is_named(make_site):
    site = theme_site(make_site, {"404.html": "{% include 'partials/nope.html' %}"})
    assert "partials/nope.html" in all_text(error_of(site))


# -- trust model ---------------------------------------------------------------------

SSTI = "{{ cycler.__init__.__globals__.os.getcwd() }}"


def test_themes_are_trusted_code(make_site):
    """Decision (RELIABILITY 35): a theme is installed on purpose, like a package, so it
    runs unsandboxed. If this ever changes to a SandboxedEnvironment, the docs change too."""
    site = theme_site(make_site, {"404.html": "{% extends 'base.html' %}{% block content %}"
                                              f"<p id=cwd>{SSTI}</p>{{% endblock %}}"})
    files = build_files(site)
    assert f"<p id=cwd>{os.getcwd()}</p>".encode() in files["404.html"]


def test_content_never_runs_as_template_code(make_site):
    site = make_site({"pages/about.md": f"---\ntitle: About {SSTI}\n---\n"
                                        "{{ 7*7 }} and {% include '/etc/passwd' %} "
                                        f"and {SSTI}\n"})
    page = build_files(site)["about/index.html"].decode()
    assert "{{ 7*7 }}" in page and "49" not in page
    assert "{% include &#39;/etc/passwd&#39; %}" in page or "{% include '/etc/passwd' %}" in page
    assert "root:" not in page
    assert os.getcwd() not in page


# -- environment helpers ---------------------------------------------------------------

def test_autoescape_is_forced_for_every_extension(make_site):
    site = make_site({})
    chain = load_theme("default", site)
    from folio.model import Profile, Site, SiteConfig

    fake = Site(SiteConfig("T", "https://e.test/", "/"), Profile("P"))
    env = make_environment(chain, site, fake)
    for ext in ("txt", "xml", "json", "weird", "j2"):
        tpl = env.from_string("{{ v }}")
        tpl.name = f"x.{ext}"
        assert env.autoescape is True
        assert tpl.render(v="<b>") == "&lt;b&gt;"


@pytest.mark.parametrize("value,ok", [
    ("https://example.test/a?b#c", True), ("http://x.test", True),
    ("mailto:a@b.test", True), ("tel:+351123", True), ("/work/x/", True),
    ("../x.html", True), ("#section", True), ("x/y.html", True), ("?q=1", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False),
    ("javascript&#58;alert(1)", False), ("&#x6A;avascript:alert(1)", False),
    ("java\tscript:alert(1)", False), (" javascript:alert(1)", False),
    ("vbscript:msgbox", False), ("data:text/html,<script>", False),
    ("data:image/svg+xml;base64,xx", False), ("file:///etc/passwd", False),
    ("//evil.example/x", False), ("\\\\evil.example", False), ("/\\evil.example", False),
    ("", False), (None, False),
])
def test_safe_url_allowlist(value, ok):
    result = safe_url(value)
    assert (result != "") is ok
    if ok:
        assert result == value


@pytest.mark.parametrize("value,style,expected", [
    ((2024, 3, 14), "long", "14 March 2024"), ((2024, 3, None), "long", "March 2024"),
    ((2024, None, None), "long", "2024"), ((2024, 3, 14), "short", "Mar 2024"),
    ((2024, 3, 14), "iso", "2024-03-14"), ((2024, 3, 14), "year", "2024"),
])
def test_dates_do_not_depend_on_the_locale(value, style, expected, monkeypatch):
    from folio.model import PartialDate

    monkeypatch.setenv("LC_ALL", "pt_PT.UTF-8")
    assert format_date(PartialDate(*value), style) == expected


def test_asset_url_has_base_path_and_content_hash(make_site):
    from folio.model import Profile, Site, SiteConfig

    site_dir = make_site({})
    env = make_environment(load_theme("default", site_dir), site_dir,
                           Site(SiteConfig("T", "https://e.test/repo/", "/repo/"), Profile("P")))
    url = env.globals["asset_url"]("css/site.css")
    assert url.startswith("/repo/theme/css/site.css?v=") and len(url.split("=")[1]) == 10
    with pytest.raises(FolioError, match="static/css/nope.css"):
        env.globals["asset_url"]("css/nope.css")
    assert env.globals["url"]("/work/x/") == "/repo/work/x/"
    assert env.globals["url"]("https://other.test/") == "https://other.test/"
    assert env.globals["absolute_url"]("/work/x/") == "https://e.test/repo/work/x/"


def test_render_template_wraps_errors_with_the_page(make_site):
    from folio.model import Profile, Site, SiteConfig

    site_dir = make_site({"templates/t.html": "a\n{{ missing }}"})
    env = make_environment(load_theme("default", site_dir), site_dir,
                           Site(SiteConfig("T", "https://e.test/", "/"), Profile("P")))
    with pytest.raises(FolioError) as info:
        render_template(env, "t.html", {}, page="/x/")
    assert info.value.diagnostic.path == "templates/t.html"
    assert info.value.diagnostic.line == 2
    assert "(rendering /x/)" in info.value.diagnostic.message
    assert Path(site_dir / "templates/t.html").exists()


def test_bytecode_cache_gives_the_same_pages(make_site, tmp_path):
    from folio.model import Profile, Site, SiteConfig

    site_dir = make_site({"templates/t.html": "{{ url('/a/') }} {{ 'x'|upper }}"})
    site = Site(SiteConfig("T", "https://e.test/r/", "/r/"), Profile("P"))
    chain = load_theme("default", site_dir)
    outputs = []
    for _ in range(2):  # the second run loads compiled code from the cache
        env = make_environment(chain, site_dir, site, cache_dir=tmp_path / "jinja")
        outputs.append(render_template(env, "t.html", {}))
    assert outputs == ["/r/a/ X", "/r/a/ X"]
    assert any((tmp_path / "jinja").iterdir())


def test_builtin_themes_are_found_inside_an_installed_package(tmp_path, monkeypatch):
    """After a wheel install, themes sit in folio/themes/ next to the package."""
    import folio

    package = tmp_path / "site-packages" / "folio"
    (package / "themes" / "wheelonly" / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(folio, "__file__", str(package / "__init__.py"))
    chain = load_theme("wheelonly", tmp_path)
    assert chain.themes[0].root == (package / "themes" / "wheelonly").resolve()
    assert chain.themes[0].label == "themes/wheelonly"


def test_imported_macros_see_globals_of_the_environment_and_of_the_template(make_site):
    """Template globals carry a plain key set (for Jinja's per-import difference); an
    imported macro still sees environment globals, and template globals added later."""
    from folio.model import Profile, Site, SiteConfig

    site_dir = make_site({
        "templates/m.html": "{% macro link(p) %}{{ url(p) }}|{{ extra }}{% endmacro %}",
        "templates/t.html": '{% from "m.html" import link with context %}{{ link("/a/") }}',
    })
    env = make_environment(load_theme("default", site_dir), site_dir,
                           Site(SiteConfig("T", "https://e.test/r/", "/r/"), Profile("P")))
    template = env.get_template("t.html", globals={"extra": "one"})
    assert set(template.globals.keys()) == set(template.globals.maps[0]) | set(env.globals)
    assert template.render() == "/r/a/|one"
    env.globals["late"] = 1
    assert "late" in template.globals.keys()
