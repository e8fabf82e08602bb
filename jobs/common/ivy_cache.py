"""The local jar files of Maven packages Spark's Ivy resolution already downloaded.

`spark.jars.packages` makes every session start run an Ivy resolution that prints a 20-line
report even when nothing is downloaded. When a previous resolution left every jar (and the Ivy
descriptor naming its dependencies) in the Ivy home, the same files can be given as
`spark.jars`, which resolves nothing; any file missing means a cold start: resolve as usual.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

# Spark's resolution leaves these out (SparkSubmitUtils' exclusion rules): Spark and Scala ship them.
PROVIDED_ORGANISATIONS = ("org.apache.spark",)
PROVIDED_MODULES = (("org.scala-lang", "scala-library"),)
# The Ivy configurations whose dependencies a resolution of the default configuration downloads.
RUNTIME_CONFS = ("compile", "runtime", "master")


def default_ivy_home() -> Path:
    """Spark 4's default `spark.jars.ivy`."""
    return Path.home() / ".ivy2.5.2"


def _runtime_dependencies(descriptor: Path) -> list[tuple[str, str, str]]:
    found = []
    for dependency in ET.parse(descriptor).getroot().iter("dependency"):
        mapped = [part.split("->")[0].strip() for part in dependency.get("conf", "").split(";")]
        if any(conf in RUNTIME_CONFS for conf in mapped):
            found.append((dependency.get("org", ""), dependency.get("name", ""), dependency.get("rev", "")))
    return found


def cached_jars(packages: list[str], ivy_home: Path) -> list[str] | None:
    """Paths of the jars of `packages` (group:artifact:version) and their runtime dependencies
    under `ivy_home`, or None when any jar or descriptor is not there."""
    jars: dict[tuple[str, str], str] = {}
    pending = [tuple(package.strip().split(":")) for package in packages]
    while pending:
        coordinate = pending.pop()
        if len(coordinate) != 3:
            return None
        organisation, module, revision = coordinate
        if (organisation, module) in jars or organisation in PROVIDED_ORGANISATIONS \
                or (organisation, module) in PROVIDED_MODULES:
            continue
        descriptor = ivy_home / "cache" / organisation / module / f"ivy-{revision}.xml"
        jar = ivy_home / "jars" / f"{organisation}_{module}-{revision}.jar"
        if not (descriptor.is_file() and jar.is_file()):
            return None
        jars[(organisation, module)] = str(jar)
        pending.extend(_runtime_dependencies(descriptor))
    return sorted(jars.values())
