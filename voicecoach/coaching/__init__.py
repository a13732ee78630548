"""The coached session: state machine, timers, what the coach says, the coordinator."""
