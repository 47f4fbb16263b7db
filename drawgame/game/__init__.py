"""The game's rules, free of I/O: phases, turns, scoring, hints, guess matching, words.

Everything here takes plain data and the current time and returns new state
plus effects (messages to send, connections to close, facts to persist); the
room layer (drawgame.rooms) does the I/O. Modules:

- errors: GameError and its stable protocol codes
- settings: Settings, their ranges (SETTINGS_LIMITS) and validation
- protocol: parse_client_frame and the Command types
- ops: drawing op validation and the turn's OpLog
- matching, scoring, hints, words: the pieces of a turn
- state, effects, views, rules: the room state machine
- persist: a room's state as JSON-ready data and back (restarts)
"""
