"""The one exception type for mistakes a user can make.

Anything raised as `UserError` reaches the terminal as a single line `error: ...` with a
non-zero exit status; everything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A mistake in the user's input: a bad option, file, config or dataset location."""
