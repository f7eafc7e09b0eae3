"""Settings for `benchmarks/load.py`: the project's, with the URLs of the benchmarks (the floor views)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
