"""The SQL server's password file: `user:pbkdf2-sha256:iterations:salt:hash` lines.

PasswordFileAuthenticator.java checks logins against it (Hive CUSTOM authentication); this
module writes it. Only salted PBKDF2 hashes are stored, never a password.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

SCHEME = "pbkdf2-sha256"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256 is 600 000; one login costs about 0.3 s here.
ITERATIONS = 600_000


class PasswordFileError(ValueError):
    """A user name, password or password file that cannot be used."""


def password_line(user: str, password: str, iterations: int = ITERATIONS) -> str:
    if not user or any(char in user for char in ":\n\r") or user != user.strip():
        raise PasswordFileError(f"user name {user!r} is empty, has spaces around it, or holds ':' or a newline")
    if not password:
        raise PasswordFileError("the password is empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{user}:{SCHEME}:{iterations}:{salt.hex()}:{digest.hex()}"


def set_password(path: Path, user: str, password: str) -> None:
    """Add `user` to the file at `path`, or replace their line; the file is private (0600)."""
    line = password_line(user, password)
    kept = []
    if path.exists():
        kept = [old for old in path.read_text(encoding="utf-8").splitlines() if old.split(":", 1)[0] != user]
    # Written beside and renamed, so the server never reads half a file.
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\n".join([*kept, line]) + "\n")
    os.replace(partial, path)


def check_password_file(path: Path) -> None:
    """Fail with one line naming the file unless it holds at least one well-formed entry."""
    if not path.is_file():
        raise PasswordFileError(f"password file {path} does not exist (create it with --add-user USER)")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        fields = line.split(":")
        if len(fields) != 5 or fields[1] != SCHEME or not fields[2].isdigit():
            raise PasswordFileError(f"{path}:{number}: not a user:{SCHEME}:iterations:salt:hash line")
    if not lines:
        raise PasswordFileError(f"password file {path} has no users (add one with --add-user USER)")
