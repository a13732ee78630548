"""The voicecoach command line, one module per group of subcommands."""
