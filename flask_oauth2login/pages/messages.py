"""What a failed login tells the person, in their language.

An error's message is written in English where the error is raised. A
message meant for people is marked there with
:func:`~flask_oauth2login.pages.locale.N_`, and shown translated. Other
messages (most of them say what went wrong in the protocol, for whoever runs
the site) are shown in other languages as the sentence of :data:`SUMMARIES`
for the error's code, with the English message beside it as the detail.
"""

from __future__ import annotations

from ..errors import OAuth2LoginError
from .locale import N_, gettext, is_translated

#: For each error code: what a person reads when the error's own message has
#: no translation.
SUMMARIES: dict[str, str] = {
    "unknown_provider": N_(
        "There is no way to log in by that name here; pick one of the ways offered."
    ),
    "invalid_request": N_("This login link asks for something this site does not allow."),
    "cross_origin_request": N_(
        "This request came from another site, so it was refused and nothing changed. "
        "If you meant it, use the button on this site."
    ),
    "access_denied": N_("The login was declined, by you or by the provider."),
    "invalid_state": N_(
        "This login could not be matched to one started in this browser. Please log in again."
    ),
    "invalid_callback": N_(
        "The provider's answer was incomplete or did not match this login. Please log in again."
    ),
    "provider_error": N_(
        "The provider answered in a way this site cannot accept, so nobody was logged in. "
        "Please try again later."
    ),
    "provider_unavailable": N_(
        "The provider could not be reached, so nobody was logged in. "
        "Please try again in a few minutes."
    ),
    "invalid_provider_response": N_(
        "The provider answered in a way this site cannot accept, so nobody was logged in. "
        "Please try again later."
    ),
    "invalid_token": N_(
        "The provider's proof of who you are did not pass this site's checks, "
        "so nobody was logged in."
    ),
    "session_store_unavailable": N_(
        "Sign-in is temporarily unavailable. Nothing was lost; please try again in a few seconds."
    ),
    "token_store_unavailable": N_(
        "Sign-in is temporarily unavailable. Nothing was lost; please try again in a few seconds."
    ),
}
#: The page after logging out here, when logging out at the provider could
#: not follow: it offers no way to, or could not be reached.
NO_LOGOUT_THERE = N_(
    "%(provider)s offers no way to log out from here, so you may still be logged in there. "
    "On a shared computer, log out on its own site too."
)
PROVIDER_UNREACHED_AT_LOGOUT = N_(
    "%(provider)s could not be reached, so you may still be logged in there. "
    "On a shared computer, log out on its own site too."
)
#: For an error whose code has no sentence of its own.
FALLBACK = N_("The login could not be completed. Please try again.")


def person_message(error: OAuth2LoginError) -> tuple[str, str | None]:
    """What to tell a person about *error*, in this request's language: the
    text, and the English detail to show beside it (``None`` when the text
    says it all)."""
    message = error.message
    if is_translated(message):
        return gettext(message), None
    summary = SUMMARIES.get(getattr(error, "error_code", ""), FALLBACK)
    return gettext(summary), message
