"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class HarnessError(Exception):
    """A user-facing error: bad input, a missing file, an invalid task.

    The message must name the file, field or flag at fault; the CLI prints it on one line.
    """
