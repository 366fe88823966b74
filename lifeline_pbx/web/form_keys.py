"""A create form's key: made as the form is shown (a hidden `form_key`), posted back, and
used as the new record's id (or kept beside it), so that the same form posted again (a
double click, the back button, a retry) creates nothing more. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from lifeline_pbx.errors import Invalid

FIELD = "form_key"
DAMAGED = "This form is damaged: open it again from its page."


def new() -> str:
    """The key of a form being shown."""
    return str(uuid.uuid4())


def posted(form: Mapping[str, object]) -> uuid.UUID:
    """The key the form was shown with; a new one for a form posted without (a script), so
    that it still creates its record. A malformed key is Invalid, naming the field."""
    typed = str(form.get(FIELD, "")).strip()
    if not typed:
        return uuid.uuid4()
    try:
        return uuid.UUID(typed)
    except ValueError:
        raise Invalid(DAMAGED, FIELD) from None
