"""Development: debug on, console email, SQLite under var/ unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .env import development_jwt_key, env_bool

DEBUG = env_bool("DEBUG", True)

# A generated key under var/ signs API access tokens unless JWT_PRIVATE_KEY is set.
HEADLESS_JWT_PRIVATE_KEY = HEADLESS_JWT_PRIVATE_KEY or development_jwt_key(VAR_DIR / "dev-jwt-private-key.pem")  # noqa: F405
