"""`RunError`: a user mistake in a run's arguments or files."""


class RunError(ValueError):
    """A user mistake in a run's arguments or files, reported in one line without a traceback.

    Messages name Python arguments: the leading one in `argument` (with its `value`),
    others in backticks (`` `batch_size` ``, `` `overwrite=True` ``), so that the
    command line can say them in its own flags.

    Args:
        message: what is wrong and what was expected.
        argument: the argument at fault, if one is.
        value: its value.
    """

    def __init__(self, message, argument=None, value=None):
        self.message, self.argument, self.value = message, argument, value
        super().__init__(f"{argument}={value!r}: {message}" if argument else message)
