"""The Sphinx extension that puts the generated pages in the documentation:
``.. oauth2login-config-reference::``, ``.. oauth2login-presets::`` and
``.. oauth2login-errors::``, each writing what :mod:`oauth2login_pages` makes
from the package when the documentation is built.
"""

from __future__ import annotations

import typing as t

import oauth2login_pages as pages
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


class _Generated(SphinxDirective):
    has_content = False

    def make(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        source = self.get_source_info()[0]
        nested_parse_with_titles(
            self.state, StringList(self.make(), source=source), node, self.content_offset
        )
        return node.children


class ConfigReference(_Generated):
    def make(self) -> list[str]:
        return pages.config_reference_rst()


class Presets(_Generated):
    def make(self) -> list[str]:
        return pages.presets_rst()


class Errors(_Generated):
    def make(self) -> list[str]:
        return pages.errors_rst()


def setup(app: Sphinx) -> dict[str, t.Any]:
    app.add_directive("oauth2login-config-reference", ConfigReference)
    app.add_directive("oauth2login-presets", Presets)
    app.add_directive("oauth2login-errors", Errors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
