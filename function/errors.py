"""The one distinction the handler makes about failures."""


class PermanentError(Exception):
    """An upload no retry can fix (not an image, too big, gone...); ``str()`` is the reason.

    Everything else that escapes (S3 throttling, 5xx, network, a missing or forbidden
    destination) is transient: the handler lets it raise so Lambda retries the event.
    """
