"""``python -m kenali`` runs the command line (same as the ``kenali`` command)."""

from .cli import main

raise SystemExit(main())
