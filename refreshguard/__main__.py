"""``python -m refreshguard``."""

import sys

from refreshguard.cli import main

sys.exit(main())
