"""The one exception type for user-facing errors: it names the file and the fix."""


class BlurlibError(Exception):
    """An error caused by input the user can fix (a file, a folder, a parameter).

    The command line prints its message and exits with status 2, without a traceback.
    """
