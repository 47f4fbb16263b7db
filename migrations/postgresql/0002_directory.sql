-- PostgreSQL's form of migrations/0002_directory.sql: the room directory (which
-- worker process serves each room, under a lease the worker renews) and the
-- workers with their heartbeats. Lease and heartbeat times are Unix seconds
-- (DOUBLE PRECISION): they are compared across processes and boxes.

ALTER TABLE rooms ADD COLUMN worker_id TEXT COLLATE "C";
ALTER TABLE rooms ADD COLUMN owner TEXT COLLATE "C";
ALTER TABLE rooms ADD COLUMN lease_until DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN summary TEXT COLLATE "C";
CREATE INDEX idx_rooms_owner ON rooms(owner);
CREATE INDEX idx_rooms_worker ON rooms(worker_id);

CREATE TABLE workers (
    id TEXT COLLATE "C" PRIMARY KEY,
    incarnation TEXT COLLATE "C" NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT COLLATE "C" NOT NULL,
    url TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    heartbeat_at DOUBLE PRECISION NOT NULL,
    active_rooms INTEGER NOT NULL DEFAULT 0,
    ws_connections INTEGER NOT NULL DEFAULT 0
);
