"""A Sphinx extension the book loads (``_config.yml``: ``sphinx.extra_extensions``).

Sphinx 7.4 registers inline scripts that extensions add after the builder starts once with
filename ``None`` and once with ``""`` (see ``StandaloneHTMLBuilder.init_js_files``), so its own
de-duplication misses them. Under Jupyter Book 1.0.4 this writes sphinx-thebe's configuration
script twice per page, and every page raises ``Identifier 'THEBE_JS_URL' has already been
declared`` in the browser. This extension drops such repeats from each page as it is written.
"""

from __future__ import annotations

from typing import Any


def _identity(script: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    attributes = getattr(script, "attributes", {}) or {}
    return getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attributes.items()))


def _drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if scripts is not None:
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        kept = []
        for script in scripts:
            identity = _identity(script)
            if identity not in seen:
                seen.add(identity)
                kept.append(script)
        scripts[:] = kept


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
