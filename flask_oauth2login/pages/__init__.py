"""What the extension answers a person with: the format and the headers of every page.

Nothing here is public API.
"""

__all__: list[str] = []
