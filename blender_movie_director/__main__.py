"""`python -m blender_movie_director …`: the terminal client (see cli.py)."""

from .client.cli import main
from .client.terminal import exit_process

exit_process(main())  # not sys.exit: a thread stuck on a hung server would keep the process alive
