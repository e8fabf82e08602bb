"""Entry points, one module per lifecycle step: read config, read tables, call transforms,
write tables.

Each job runs as ``python -m jobs.<name>``, as ``spark-submit jobs/<name>.py`` and as the
wheel's ``lakehouse-<name>`` command. ``spark-submit`` puts this folder first on ``sys.path``,
so no module here may share a name with a standard-library module (``select``, ``profile``).
"""
