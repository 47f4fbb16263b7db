-- Telephone games: every book's pages (a sentence or a drawing each), with the
-- drawing ops of each page in batches as they were drawn (like turn_ops), and
-- each game's mode. A page row exists from its step's start; `text` holds the
-- latest text (a draft, then what was submitted), `ended_at` is set when its
-- step ends.

ALTER TABLE games ADD COLUMN mode TEXT NOT NULL DEFAULT 'classic';

CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    book INTEGER NOT NULL,
    page INTEGER NOT NULL,
    owner_public_id TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    author_public_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    likes INTEGER NOT NULL DEFAULT 0,
    dislikes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (game_id, book, page)
);

CREATE TABLE page_ops (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    ops TEXT NOT NULL,
    UNIQUE (page_id, seq)
);
