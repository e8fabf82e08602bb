"""Distributed profiling of a table: column statistics, distributions and target relations."""

from transforms.profiling.profiler import profile_frame
from transforms.profiling.result import STATS_TABLE_SCHEMA, ColumnProfile, TableProfile
from transforms.profiling.settings import ProfileSettings

__all__ = ["STATS_TABLE_SCHEMA", "ColumnProfile", "ProfileSettings", "TableProfile", "profile_frame"]
