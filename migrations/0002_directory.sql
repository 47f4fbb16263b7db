-- The room directory: which worker process serves each room, under a lease the
-- worker renews, and the workers themselves with their heartbeats. Lease and
-- heartbeat times are Unix seconds (REAL): they are compared across processes
-- and boxes.

ALTER TABLE rooms ADD COLUMN worker_id TEXT;
ALTER TABLE rooms ADD COLUMN owner TEXT;
ALTER TABLE rooms ADD COLUMN lease_until REAL NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN summary TEXT;
CREATE INDEX idx_rooms_owner ON rooms(owner);
CREATE INDEX idx_rooms_worker ON rooms(worker_id);

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    incarnation TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    active_rooms INTEGER NOT NULL DEFAULT 0,
    ws_connections INTEGER NOT NULL DEFAULT 0
);
