import sqlite3
from pathlib import Path

import pytest
import trio

from drawgame.store import Store, StoreClosed


async def open_store(tmp_path: Path) -> Store:
    store = await Store.open(tmp_path / "sub" / "db.sqlite3")
    await store.run(
        lambda c: c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, task INTEGER, n INTEGER)")
    )
    return store


async def test_pragmas_are_set(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        def pragmas(c: sqlite3.Connection) -> tuple[str, int, int, int]:
            return (
                c.execute("PRAGMA journal_mode").fetchone()[0],
                c.execute("PRAGMA synchronous").fetchone()[0],
                c.execute("PRAGMA foreign_keys").fetchone()[0],
                c.execute("PRAGMA busy_timeout").fetchone()[0],
            )

        assert await store.run(pragmas) == ("wal", 1, 1, 5000)
    finally:
        await store.close()


async def test_many_tasks_batch_writes_one_hop_each(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    hops_before = store.hops
    tasks, rows_per_batch = 40, 250

    async def writer(task: int) -> None:
        def batch(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO t (task, n) VALUES (?, ?)",
                [(task, n) for n in range(rows_per_batch)],
            )

        await store.transaction(batch)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for task in range(tasks):
                nursery.start_soon(writer, task)
    count = await store.run(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0])
    per_task = await store.run(
        lambda c: c.execute("SELECT count(DISTINCT task), min(n), max(n) FROM t").fetchone()
    )
    assert count == tasks * rows_per_batch
    assert tuple(per_task) == (tasks, 0, rows_per_batch - 1)
    assert store.hops - hops_before == tasks + 2
    await store.close()


async def test_failed_unit_of_work_rolls_back_whole(tmp_path: Path) -> None:
    store = await open_store(tmp_path)

    def half_then_fail(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t (task, n) VALUES (1, 1)")
        c.execute("INSERT INTO missing_table VALUES (1)")

    with pytest.raises(sqlite3.OperationalError):
        await store.transaction(half_then_fail)
    assert await store.run(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 0
    # the connection is still usable after a failure
    await store.transaction(lambda c: c.execute("INSERT INTO t (task, n) VALUES (2, 2)"))
    assert await store.run(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 1
    await store.close()


async def test_close_is_clean_and_refuses_more_work(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    await store.transaction(lambda c: c.execute("INSERT INTO t (task, n) VALUES (1, 1)"))
    await store.close()
    assert store.closed
    with pytest.raises(StoreClosed):
        await store.ping()
    await store.close()  # closing twice is harmless
    # the data reached the file: a fresh connection sees it, and the WAL was checkpointed
    db = tmp_path / "sub" / "db.sqlite3"
    assert sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone()[0] == 1
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_ping_measures_a_real_round_trip(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    latency = await store.ping()
    assert 0 < latency < 5000
    await store.close()


async def test_reads_go_on_while_the_writer_is_busy_and_cannot_write(tmp_path: Path) -> None:
    import threading

    import trio.testing

    store = await open_store(tmp_path)
    await store.transaction(lambda c: c.execute("INSERT INTO t (task, n) VALUES (1, 1)"))
    release = threading.Event()
    try:
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(store.run, lambda c: release.wait(15))
                await trio.testing.wait_all_tasks_blocked()
                try:  # the writer is held: a read still answers, from its own connection
                    rows = await store.read(lambda c: c.execute("SELECT n FROM t").fetchall())
                    assert [r[0] for r in rows] == [1]
                    assert await store.ping() >= 0
                finally:
                    release.set()
        with pytest.raises(sqlite3.OperationalError):  # readers are read-only
            await store.read(lambda c: c.execute("INSERT INTO t (task, n) VALUES (2, 2)"))
    finally:
        await store.close()
    with pytest.raises(StoreClosed):
        await store.read(lambda c: c.execute("SELECT 1").fetchone())
