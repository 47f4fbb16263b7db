-- Rooms, their players, games with their turns and drawing ops, and a small
-- key-value table for server-wide state (maintenance mode, admin token hash).
-- Times are ISO 8601 UTC text. JSON columns hold what the server round-trips.

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    private INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    last_active_at TEXT NOT NULL,
    closed_at TEXT,
    snapshot TEXT,
    snapshot_at TEXT
);
CREATE INDEX idx_rooms_active ON rooms(is_active);
CREATE INDEX idx_rooms_closed ON rooms(closed_at);

CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    public_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0,
    spectator INTEGER NOT NULL DEFAULT 0,
    joined_at TEXT NOT NULL,
    left_at TEXT,
    UNIQUE (room_id, public_id)
);
CREATE INDEX idx_players_room ON players(room_id);

CREATE TABLE games (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    ranking TEXT
);
CREATE INDEX idx_games_room ON games(room_id);
CREATE INDEX idx_games_finished ON games(finished_at);

CREATE TABLE turns (
    id INTEGER PRIMARY KEY,
    game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    round INTEGER NOT NULL,
    drawer_public_id TEXT NOT NULL,
    drawer_name TEXT NOT NULL,
    word TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    end_reason TEXT,
    points TEXT,
    UNIQUE (game_id, number)
);

CREATE TABLE turn_ops (
    id INTEGER PRIMARY KEY,
    turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    ops TEXT NOT NULL,
    UNIQUE (turn_id, seq)
);

CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
