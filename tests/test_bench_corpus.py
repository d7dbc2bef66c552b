"""bench/run.py's corpus variants: a setting priced by the benchmark never touches the plain corpus.

`--set social_cards=sections` measures what a folio.yaml choice costs; the corpus it
builds must differ from the plain one by that line only, live in its own folder, and
refuse a key the generator writes (two values for one key would be a YAML error, and
a changed title would not be the same corpus).
"""

from __future__ import annotations

import argparse
import sys

import pytest
import yaml
from folio_testing import REPO, run_folio

sys.path.insert(0, str(REPO / "bench"))
from run import corpus, setting  # noqa: E402


def test_a_setting_gets_a_corpus_of_its_own(tmp_path):
    plain = corpus(tmp_path, 30, 1)
    plain_config = (plain / "folio.yaml").read_bytes()
    varied = corpus(tmp_path, 30, 1, (setting("social_cards=sections"),))

    assert varied != plain
    assert (plain / "folio.yaml").read_bytes() == plain_config
    assert yaml.safe_load((varied / "folio.yaml").read_text()) == {
        **yaml.safe_load(plain_config), "social_cards": "sections"}
    (varied / "kept.txt").write_text("a file a regenerated corpus would not have")
    assert corpus(tmp_path, 30, 1, (setting("social_cards=sections"),)) == varied
    assert (varied / "kept.txt").is_file()  # reused, not generated again

    def cards(site):
        out = tmp_path / f"{site.name}-out"
        built = run_folio("build", str(site), "-o", str(out), "--no-search")
        assert built.returncode == 0, built.stderr
        return {p.relative_to(out) for p in (out / "og").rglob("*.jpg")}

    per_section = cards(varied)
    assert per_section and per_section < cards(plain)  # the setting took effect


def test_a_setting_the_generator_writes_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="title"):
        corpus(tmp_path, 30, 1, (setting("title=Other"),))
    with pytest.raises(argparse.ArgumentTypeError):
        setting("social_cards")
