"""At-rest encryption of personal data in the kiosk database (application payloads, certificates).

AES-256-GCM under one data key. Each sealed value gets a fresh random 96-bit nonce, and is bound
to its place by associated data: the table, the row id and the row's kind. So a byte changed in
the database, a sealed value copied into another row (or another table), or a row whose kind was
edited, all fail to open, as does a value sealed under another key.

The data key lives in a file in the kiosk's data directory (0600, created on first use). This
protects against the database file travelling alone (a backup, a support bundle, a copied disk
image without the data dir); it does not protect against someone who can read the data dir as
the kiosk user. Production should wrap the key with the terminal's TPM/PKCS#11 token; this module
is the seam for that (`DataKey`).

Format of a sealed value: version (1 byte) | key id (8) | nonce (12) | ciphertext | GCM tag (16).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE_NAME: Final = "data-key.bin"
KEY_SIZE: Final = 32  # AES-256
NONCE_SIZE: Final = 12
KEY_ID_SIZE: Final = 8
TAG_SIZE: Final = 16
_VERSION: Final = 1
_HEADER: Final = 1 + KEY_ID_SIZE + NONCE_SIZE
_AAD_LABEL: Final = b"jpki-kiosk sealed v1"


class SealedDataError(Exception):
    """A sealed value does not open: tampered, moved to another row, or sealed with another key.

    The message never contains data."""


class KeyFileError(Exception):
    """The data key file is missing, malformed, or readable by others."""


class DataKey:
    """The 32-byte data key. Never shown in repr; not picklable."""

    __slots__ = ("_key", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise KeyFileError(f"a data key is {KEY_SIZE} bytes")
        self._key = bytes(key)
        # Identifies the key inside sealed values (rotation, and a clear "wrong key" error).
        self.key_id = hashlib.sha256(b"jpki-kiosk data key id\x00" + self._key).digest()[:KEY_ID_SIZE]

    def __repr__(self) -> str:
        return f"<DataKey id={self.key_id.hex()}>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a DataKey cannot be pickled")

    def aesgcm(self) -> AESGCM:
        return AESGCM(self._key)


def load_or_create_data_key(data_dir: Path, *, randbytes: Callable[[int], bytes] = os.urandom) -> DataKey:
    """The key in `data_dir/data-key.bin`, created (0600) if there is none.

    Creation is race-free: the key is written and fsynced under a temporary name, then hard-linked
    into place, which fails if another process got there first (then that key is used), so no
    process ever reads a half-written key file.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path, randbytes(KEY_SIZE))
    return _read_key_file(path)


def _create_key_file(path: Path, key: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".data-key-")  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the new directory entry survives a crash too
    finally:
        os.close(dir_fd)


def _read_key_file(path: Path) -> DataKey:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise KeyFileError(f"cannot open the data key file {path} ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"{path} is not a regular file")
        if info.st_mode & 0o077:
            raise KeyFileError(f"{path} is accessible to group or others (mode {info.st_mode & 0o777:o})")
        if info.st_uid != os.geteuid():
            raise KeyFileError(f"{path} belongs to another user")
        data = f.read(KEY_SIZE + 1)
    if len(data) != KEY_SIZE:
        raise KeyFileError(f"{path} does not hold a {KEY_SIZE}-byte key")
    return DataKey(data)


def associated_data(table: str, row_id: UUID, kind: str) -> bytes:
    """Binds a sealed value to its row: length-prefixed, so no two (table, id, kind) encode alike."""
    parts = (_AAD_LABEL, table.encode(), row_id.bytes, kind.encode())
    return b"".join(len(p).to_bytes(2, "big") + p for p in parts)


class Sealer:
    """Seals and opens values bound to (table, row id, kind). Holds the key, never shows it."""

    __slots__ = ("_aead", "_key_id", "_randbytes")

    def __init__(self, key: DataKey, *, randbytes: Callable[[int], bytes] = os.urandom) -> None:
        self._aead = key.aesgcm()
        self._key_id = key.key_id
        self._randbytes = randbytes

    def __repr__(self) -> str:
        return f"<Sealer key id={self._key_id.hex()}>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Sealer cannot be pickled")

    def seal(self, plaintext: bytes | bytearray, *, table: str, row_id: UUID, kind: str) -> bytes:
        nonce = self._randbytes(NONCE_SIZE)  # random per value: one key seals far fewer than 2^32
        body = self._aead.encrypt(nonce, bytes(plaintext), associated_data(table, row_id, kind))
        return bytes([_VERSION]) + self._key_id + nonce + body

    def open(self, sealed: bytes, *, table: str, row_id: UUID, kind: str) -> bytes:
        if len(sealed) < _HEADER + TAG_SIZE or sealed[0] != _VERSION:
            raise SealedDataError("not a sealed value")
        if sealed[1 : 1 + KEY_ID_SIZE] != self._key_id:
            raise SealedDataError("sealed under another data key")
        nonce = sealed[1 + KEY_ID_SIZE : _HEADER]
        try:
            return self._aead.decrypt(nonce, sealed[_HEADER:], associated_data(table, row_id, kind))
        except InvalidTag:
            raise SealedDataError("sealed value does not open: altered, or not for this row") from None
