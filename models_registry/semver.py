"""Semantic version strings: accepts "v1.2.0" and "1.2.0"."""

import re

_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

Semver = tuple[int, int, int]


def parse(text: str) -> Semver:
    match = _SEMVER.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a version like v1.2.0")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def bump(current: Semver | None, *, part: str) -> Semver:
    if current is None:
        return 1, 0, 0
    major, minor, patch = current
    if part == "major":
        return major + 1, 0, 0
    if part == "minor":
        return major, minor + 1, 0
    if part == "patch":
        return major, minor, patch + 1
    raise ValueError(f"Unknown version part {part!r}")


def render(version: Semver) -> str:
    return "v{}.{}.{}".format(*version)
