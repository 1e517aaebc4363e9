"""``python -m migrate`` runs the egg-migrate command line."""
import sys

from migrate.cli import main

sys.exit(main())
