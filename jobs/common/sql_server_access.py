"""Who may reach the SQL server: its listening address, authentication and Hive settings."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from jobs.common.config import ConfigError

# Hive's authentication modes that check a user's password or ticket (NONE and NOSASL do not).
AUTHENTICATING_MODES = {"CUSTOM", "LDAP", "KERBEROS", "PAM"}
OWN_HIVE_SETTINGS = {"hive.server2.thrift.bind.host": "--host", "hive.server2.thrift.port": "--port"}


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is a loopback one (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


def authentication_refusal(host: str, password_file: Path | None, hiveconf: dict[str, str]) -> str | None:
    """Why the server must not listen on `host` as configured, or None."""
    mode = "CUSTOM" if password_file else hiveconf.get("hive.server2.authentication", "NONE").upper()
    if is_loopback(host) or mode in AUTHENTICATING_MODES:
        return None
    return (f"--host {host} is not a loopback address and no authentication is configured; "
            "pass --password-file FILE (or --hiveconf hive.server2.authentication=LDAP with its settings)")


def parse_hiveconf(pairs: list[str]) -> dict[str, str]:
    """`--hiveconf KEY=VALUE` pairs as a dict; the address and port come from --host and --port only."""
    settings = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise ConfigError(f"--hiveconf {pair!r} is not KEY=VALUE")
        if key.strip() in OWN_HIVE_SETTINGS:
            # The address is checked against the authentication: it comes from --host only.
            raise ConfigError(f"--hiveconf {key.strip()}: use {OWN_HIVE_SETTINGS[key.strip()]} instead")
        settings[key.strip()] = value
    return settings
