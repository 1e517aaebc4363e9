"""egg-migrate: move a project off setuptools eggs and onto wheels."""

__version__ = "0.1.0"
