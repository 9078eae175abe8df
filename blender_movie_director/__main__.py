"""`python -m blender_movie_director …`: the terminal client (see cli.py)."""

import sys

from .client.cli import main

sys.exit(main())
