"""Development: debug on, console email, SQLite under var/ unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
