"""Capture what the JVM logs through log4j (Spark's own warnings), which Python's caplog never sees."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def jvm_log(spark, logger: str) -> Iterator[list[str]]:
    """The messages `logger` (a log4j logger name, e.g. a Spark class) logs inside the block, at
    WARN and above, as text.

    The list fills when the block ends. Local mode only: executors share the driver's JVM.
    """
    jvm = spark.sparkContext._jvm
    log4j = jvm.org.apache.logging.log4j
    writer = jvm.java.io.StringWriter()
    layout = log4j.core.layout.PatternLayout.newBuilder().withPattern("%p %c{1}: %m%n").build()
    appender = log4j.core.appender.WriterAppender.createAppender(layout, None, writer, f"capture-{id(writer)}",
                                                                 False, True)
    appender.start()
    target = log4j.LogManager.getLogger(logger)
    # The console shows ERROR only (conf/log4j2.properties): the logger logs its warnings for the
    # block, whatever the console's level, and gets its own level back after.
    level = target.getLevel()
    log4j.core.config.Configurator.setLevel(logger, log4j.Level.WARN)
    target.addAppender(appender)
    messages: list[str] = []
    try:
        yield messages
    finally:
        target.removeAppender(appender)
        log4j.core.config.Configurator.setLevel(logger, level)
        appender.stop()
        messages.extend(line for line in writer.toString().splitlines() if line)
