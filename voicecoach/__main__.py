"""Allow ``python -m voicecoach``."""

from voicecoach.cli.main import main

raise SystemExit(main())
