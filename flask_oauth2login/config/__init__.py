"""Configuration: the app-wide ``OAUTH2LOGIN_*`` keys and the provider entries, read once.

Each setting is declared once, with its parser, its default and its line of
documentation: ``table`` holds a provider entry's keys and how
``provider`` reads an entry; ``settings`` holds the app-wide keys and reads
them; ``parsers`` checks single values; ``markdown`` writes the
configuration reference from the tables. Apps configure the extension
through ``app.config``; :func:`reference` is the one name here for others.
"""

from .markdown import reference as reference

__all__ = ["reference"]
