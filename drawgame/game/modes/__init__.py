"""The game modes: one pure module each, and the one list that names them.

A room plays the mode its `mode` setting names; modes/base.py describes the
`ModeRules` interface every mode offers the room (docs/ARCHITECTURE.md: how
to add a mode).
"""

from __future__ import annotations

from drawgame.game.modes.base import ModeRules
from drawgame.game.modes.classic import MODE as CLASSIC
from drawgame.game.modes.telephone import MODE as TELEPHONE

MODES: dict[str, ModeRules] = {mode.name: mode for mode in (CLASSIC, TELEPHONE)}
"""Every mode by its `mode` setting's value."""
