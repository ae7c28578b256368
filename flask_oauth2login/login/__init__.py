"""A person's login through the browser: start, callback, outcome, and logging out.

``code_flow`` runs the authorization code flow, ``pending`` keeps a login
between the consent redirect and the callback, ``outcome`` stores a checked
login in the session, ``logout`` ends it everywhere, and ``hints`` explains a
login lost on its way back. Nothing here is public API: the routes are.
"""

__all__: list[str] = []
