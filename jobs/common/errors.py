"""Failures a user can act on: a wrong name, a missing input, data that breaks a configured limit.

Jobs raise `UserError` (or a subclass) for them; `jobs.common.cli.run_job` prints its message as
one line and exits with `DATA_ERROR`, with the traceback only under --debug / -v. Anything else
is a bug and keeps its full traceback.
"""

from __future__ import annotations

# Exit codes of every job: 2 a configuration or usage error (argparse uses 2 as well), 3 a
# foreseeable runtime problem with the data, the landing files, the registry or a table name.
CONFIG_ERROR = 2
DATA_ERROR = 3


class UserError(Exception):
    """A foreseeable problem the user fixes in the data, the configuration or the order of runs."""
