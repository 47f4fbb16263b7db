"""The app's PNG icons, drawn by Chromium from their SVG sources in static/img/.

The installed app needs PNG icons (the sizes Chromium asks for: 192 and 512,
plain and maskable); they are made from ``logo.svg`` and ``icon-maskable.svg``
(the maskable one fills its square and keeps the drawing inside the middle
80%). After changing either SVG, run ``.venv/bin/python tests/icons.py`` and
commit the PNGs; tests/test_web_app.py checks that they match their sources.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

IMG = Path(__file__).resolve().parent.parent / "drawgame" / "web" / "static" / "img"
ICONS = {
    "icon-192.png": ("logo.svg", 192),
    "icon-512.png": ("logo.svg", 512),
    "icon-maskable-192.png": ("icon-maskable.svg", 192),
    "icon-maskable-512.png": ("icon-maskable.svg", 512),
}


def render_all(page: object) -> dict[str, bytes]:
    """Every icon as PNG bytes, drawn by the Playwright ``page`` given."""
    out = {}
    for name, (source, size) in ICONS.items():
        svg = base64.b64encode((IMG / source).read_bytes()).decode()
        page.set_viewport_size({"width": size, "height": size})  # type: ignore[attr-defined]
        page.set_content(  # type: ignore[attr-defined]
            "<html><body style='margin:0;background:transparent'>"
            f"<img src='data:image/svg+xml;base64,{svg}' width='{size}' height='{size}'"
            " style='display:block'></body></html>")
        out[name] = page.screenshot(omit_background=True)  # type: ignore[attr-defined]
    return out


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, LAUNCH_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            for name, png in render_all(chromium.new_page()).items():
                (IMG / name).write_bytes(png)
                print(f"wrote {IMG / name}")
        finally:
            chromium.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
