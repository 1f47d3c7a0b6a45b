"""Strings the browser scripts show, translated on the server and handed over in a data- attribute."""

from __future__ import annotations

from flask_babel import gettext as _


def js_strings() -> dict[str, str]:
    return {
        "queued": _("Queued — place %(n)s in the queue", n="{n}"),
        "starting": _("Starting…"),
        "running": _("Running — %(p)s%%", p="{p}"),
        "done": _("Done"),
        "failed": _("Failed: %(e)s", e="{e}"),
        "cancelled": _("Cancelled."),
        "cancelling": _("Cancelling…"),
        "submitting": _("Sending…"),
        "open": _("Open"),
        "download": _("Download"),
        "again": _("Make again"),
        "variations": _("Variations"),
        "identical": _("Identical to the original, byte for byte ✓"),
        "different": _("Different from the original (was the model retrained?)"),
        "copied": _("Copied"),
        "network": _("Lost contact with the server; retrying…"),
        "confirm": _("Are you sure?"),
        "retry_after": _("The queue is full; try again in %(s)s seconds.", s="{s}"),
        "not_saved": _("Not saved: sign up to keep your images."),
    }
