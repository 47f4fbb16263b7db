"""``python -m smoke URL``: run the smoke tests against a running server."""

import sys

from smoke.run import main

sys.exit(main())
