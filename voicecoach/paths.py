"""Where voicecoach keeps and finds its files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "voicecoach"
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent  # the repository, in a source checkout; site-packages otherwise
DATA_DIR_ENV = "VOICECOACH_DATA_DIR"


def config_dir() -> Path:
    """User config dir (routines, settings); ``VOICECOACH_CONFIG_DIR`` overrides it."""
    override = os.environ.get("VOICECOACH_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    """User data dir (history database, downloaded models); ``VOICECOACH_DATA_DIR``
    overrides it."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP))


def user_routines_dir() -> Path:
    """Folder holding the user's own routine files."""
    return config_dir() / "routines"


def builtin_routines_dir() -> Path:
    """Folder holding the routines that ship with voicecoach."""
    return PACKAGE_DIR / "routines"


def intents_dir() -> Path:
    """Folder holding the default command intents (hassil YAML).

    They live in the repository's top-level ``intents/`` folder, which pyproject.toml maps
    into the package: an installed wheel has them in ``voicecoach/intents``. A source
    checkout (the editable install, or ``PYTHONPATH``) has no such folder and reads the
    repository's own.
    """
    shipped = PACKAGE_DIR / "intents"
    return shipped if shipped.is_dir() else PROJECT_DIR / "intents"


def project_models_dir() -> Path:
    """The repository's ``models/`` folder, searched for Vosk models.

    Installed from a wheel there is no repository: the path then names a folder that does
    not exist, which the model search skips.
    """
    return PROJECT_DIR / "models"
