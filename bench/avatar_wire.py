"""What drawn avatars cost on the wire: sent once, or inside every `players` message.

Seats ROOM players, each with an avatar at its largest (MAX_AVATAR_BYTES of
JSON), plays a whole classic game by time alone through the pure rules (every
turn times out; nobody guesses), and counts the bytes of every message sent,
times its recipients. Prints the bytes of one `players` message and of one
welcome snapshot, and the game's total, as drawgame sends them (avatars in the
snapshot and in `avatar` messages, `Player.avatar` a flag) and as they would
be with every Player carrying its strokes, for comparison.

Run: ``.venv/bin/python bench/avatar_wire.py [--players 16] [--rounds 3]``.
No server, no sockets: the rules only, so the figures are exact counts.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from typing import Any

import orjson

from drawgame.game import rules
from drawgame.game.avatar import MAX_AVATAR_BYTES, avatar_strokes, validate_avatar
from drawgame.game.effects import Effect, Send
from drawgame.game.protocol import Start
from drawgame.game.settings import Settings
from drawgame.game.views import snapshot
from drawgame.game.words import WordList
from drawgame.rooms.room import IN_SNAPSHOT


def largest_avatar(seed: int) -> str:
    """An avatar of exactly MAX_AVATAR_BYTES bytes, different for every seed."""
    rng = random.Random(seed)
    stroke = [1, 2]
    while len(orjson.dumps([stroke])) + 6 <= MAX_AVATAR_BYTES - 12:
        stroke += [rng.randint(10, 63), rng.randint(10, 63)]
    while len(orjson.dumps([stroke])) < MAX_AVATAR_BYTES - 3:
        stroke += [rng.randint(1, 9), rng.randint(1, 9)]
    strokes = [stroke]
    if len(orjson.dumps(strokes)) < MAX_AVATAR_BYTES - 1:
        stroke += [rng.randint(1, 9)] * 2
    text = validate_avatar(strokes)
    assert text is not None
    return text


def inline(msg: dict[str, Any], room: Any) -> dict[str, Any]:
    """The `players` message as it would be with every Player carrying its strokes."""
    players = [{**p, "avatar": avatar_strokes(room.players[p["id"]].shown_avatar)}
               for p in msg["players"]]
    return {**msg, "players": players}


def play(players: int, rounds: int) -> dict[str, Any]:
    room = rules.new_room("BENCH", "Bench", False,
                          Settings(rounds=rounds, draw_time_s=30, max_players=players),
                          random.Random(1), lambda code: WordList.of(
                              ("apple", "house", "tree", "river", "cloud", "train")))
    now = 0.0
    sent: Counter[str] = Counter()
    inline_bytes = 0
    sends = 0

    def count(effects: list[Effect], welcomed: str | None = None) -> None:
        """Bytes x recipients; a joiner is spared what its snapshot shows (rooms/room.py)."""
        nonlocal inline_bytes, sends
        members = len(room.connected_ids())
        for e in effects:
            if not isinstance(e, Send):
                continue
            reach = members if e.to is None else len(e.to)
            if welcomed is not None and e.msg["type"] in IN_SNAPSHOT:
                reach -= 1
            size = len(orjson.dumps(e.msg))
            sent[e.msg["type"]] += size * reach
            sends += reach
            if e.msg["type"] == "players":
                inline_bytes += len(orjson.dumps(inline(e.msg, room))) * reach
            elif e.msg["type"] != "avatar":
                inline_bytes += size * reach

    welcome = 0
    welcome_inline = 0
    for i in range(players):
        pid = f"p_{i:010x}"
        count(rules.join(room, now, pid, f"Player {i}", f"h{i}", False,
                         avatar=largest_avatar(i)), welcomed=pid)
        snap = snapshot(room, now, pid)
        welcome += len(orjson.dumps(snap))
        snap_inline = {**snap, "avatars": {}, "players": inline(snap, room)["players"]}
        welcome_inline += len(orjson.dumps(snap_inline))
    host = next(iter(room.players))
    count(rules.handle(room, now, host, Start()))
    steps = 0
    while room.phase != "lobby" and steps < 10_000:
        deadline = rules.next_deadline(room)
        if deadline is None:
            break
        now = deadline
        count(rules.tick(room, now))
        steps += 1
    players_msg = rules.players_msg(room)
    return {
        "players_msg": len(orjson.dumps(players_msg)),
        "players_msg_inline": len(orjson.dumps(inline(players_msg, room))),
        "welcome_last": len(orjson.dumps(snapshot(room, now, host))),
        "welcomes": welcome, "welcomes_inline": welcome_inline,
        "game_bytes": sum(sent.values()), "game_bytes_inline": inline_bytes,
        "players_bytes": sent["players"], "avatar_bytes": sent["avatar"], "sends": sends,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    r = play(args.players, args.rounds)
    kb = 1024
    print(f"{args.players} players, each avatar {MAX_AVATAR_BYTES} bytes; a {args.rounds}-round "
          "classic game played by time alone (every message x its recipients)")
    print(f"  one `players` message:         {r['players_msg']:>9} B   "
          f"inline avatars: {r['players_msg_inline']:>9} B")
    print(f"  joins (welcome snapshots):     {r['welcomes'] / kb:>9.1f} KB  "
          f"inline avatars: {r['welcomes_inline'] / kb:>9.1f} KB")
    print(f"  `players` in the whole game:   {r['players_bytes'] / kb:>9.1f} KB")
    print(f"  `avatar` messages (joins):     {r['avatar_bytes'] / kb:>9.1f} KB")
    print(f"  everything sent in the game:   {r['game_bytes'] / kb:>9.1f} KB  "
          f"inline avatars: {r['game_bytes_inline'] / kb:>9.1f} KB "
          f"({r['game_bytes_inline'] / max(1, r['game_bytes']):.1f}x)")


if __name__ == "__main__":
    main()
