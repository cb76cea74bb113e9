"""Central CA tests: one CA hierarchy per session; every database-level test runs twice, on
SQLite (the embedded default) and on a private PostgreSQL 15 server started for the session.

Schemas come from the Alembic migration, never `create_all`: each backend gets one migrated
template per session, copied per test (a file copy on SQLite, CREATE DATABASE … TEMPLATE on
PostgreSQL), so every test starts from the migrated schema and nothing leaks between tests.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from central_https import serve_https
from central_testkit import CA_EPOCH, World, build_world
from pg_server import PostgresServer, unavailable_reason
from sqlalchemy import create_engine, text

from central import migrate
from central.authority import Authority
from central.db import make_engine
from central.service import Central

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    # RSA-2048 CAs keep the session fast; `central init` with the real sizes is tested separately.
    return Authority.create(tmp_path_factory.mktemp("ca") / "ca", now=CA_EPOCH, root_bits=2048, ca_bits=2048)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _admin(server: PostgresServer, sql: str) -> None:
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    _admin(postgres, "CREATE DATABASE central_template")
    migrate.upgrade(postgres.url("central_template"))
    return "central_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "central.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """`fresh_url(backend)` → URL of an empty, unmigrated database (for migration tests)."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex}.db'}"
        server = request.getfixturevalue("postgres")
        name = f"t_{uuid.uuid4().hex}"
        _admin(server, f"CREATE DATABASE {name}")
        created.append(name)
        return server.url(name)

    yield make
    if created:
        server = request.getfixturevalue("postgres")
        for name in created:
            _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the parametrised backend."""
    if request.param == "sqlite":
        path = tmp_path / "central.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield server.url(name)
    finally:
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def central(authority: Authority, db_url: str) -> Iterator[Central]:
    service = Central(authority, make_engine(db_url))
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def world(central: Central) -> World:
    return build_world(central)


@pytest.fixture
def https(world: World, tmp_path: Path) -> Iterator[tuple[str, dict[str, Path]]]:
    with serve_https(world, tmp_path) as served:
        yield served
