"""`python -m blender_movie_director …`: the terminal client (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
