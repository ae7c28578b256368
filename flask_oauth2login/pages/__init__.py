"""What the extension answers a person with: the format, the headers and the language of every page.

Nothing here is public API; the templates' names (``oauth2login_gettext``,
``oauth2login_datetime``, ...) are documented in ``docs/howto/templates.rst``.
"""

__all__: list[str] = []
