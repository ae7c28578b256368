"""Optional integrations with other Flask extensions.

Each module here imports the extension it integrates with, so import it only
when that extension is installed, e.g.
``from flask_oauth2login.contrib.flask_login import FlaskLoginBridge``.
"""

#: Nothing is imported from here: each module is public on its own.
__all__: list[str] = []
