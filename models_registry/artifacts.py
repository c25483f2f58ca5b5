"""Model artifacts: skops bytes on (shared) storage, addressed and verified by sha256.

skops refuses to load any type that is not trusted, so a tampered or foreign artifact cannot
run code on load. Apps above the registry register the types their estimators need."""

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

import skops.io as sio
from django.conf import settings

_trusted_types: set[str] = set()


class ArtifactIntegrityError(Exception):
    pass


def register_trusted_types(type_names) -> None:
    _trusted_types.update(type_names)


def artifact_store(*, obj, organization_id: int, task: str) -> tuple[str, str]:
    """Serialize and write atomically; return (relative path, sha256)."""
    data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(str(organization_id)) / task / f"{digest}.skops"
    target = Path(settings.ARTIFACT_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    return str(relative), digest


def artifact_load(*, path: str, sha256: str):
    data = (Path(settings.ARTIFACT_ROOT) / path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ArtifactIntegrityError(f"Artifact {path} has sha256 {actual}, expected {sha256}.")
    untrusted = set(sio.get_untrusted_types(data=data)) - _trusted_types
    if untrusted:
        raise ArtifactIntegrityError(f"Artifact {path} holds untrusted types: {sorted(untrusted)}")
    return sio.loads(data, trusted=sorted(_trusted_types) or None)
