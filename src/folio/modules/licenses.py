"""SPDX license ids a module may carry, with the page that explains each one."""

from __future__ import annotations

# Licenses that let other people reuse a learning module. Import accepts only these.
LICENSE_URLS: dict[str, str] = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC-BY-NC-ND-4.0": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "MIT": "https://opensource.org/license/mit/",
    "Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "GFDL-1.3-or-later": "https://www.gnu.org/licenses/fdl-1.3.html",
}

ALLOWED_LICENSES = frozenset(LICENSE_URLS)


def license_url(spdx_id: str) -> str:
    """The license's page, or the SPDX entry for ids we do not know by heart."""
    return LICENSE_URLS.get(spdx_id) or f"https://spdx.org/licenses/{spdx_id}.html"


def license_name(spdx_id: str) -> str:
    return spdx_id.replace("-", " ") if spdx_id.startswith("CC") else spdx_id
