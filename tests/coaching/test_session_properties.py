"""Random commands and ticks never break the session (hypothesis stateful testing)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from session_driver import Driver

from voicecoach.coaching.handlers import handle
from voicecoach.coaching.machine import STATES
from voicecoach.commands import names as commands

SLOTS = {
    "start": st.fixed_dictionaries({}, optional={"routine": st.sampled_from(["back", "yoga"])}),
    "how_long": st.fixed_dictionaries(
        {}, optional={"scope": st.sampled_from(["hold", "move", "routine"])}
    ),
}


class SessionMachine(RuleBasedStateMachine):
    """Thousands of command/tick sequences: one state, sane positions, always finishes."""

    def __init__(self) -> None:
        super().__init__()
        self.d = Driver()

    @rule(name=st.sampled_from(commands.ALL), data=st.data())
    def command(self, name: str, data: st.DataObject) -> None:
        slots = data.draw(SLOTS.get(name, st.just({})))
        handle(self.d.session, name, slots)

    @rule(seconds=st.floats(min_value=0.0, max_value=40.0))
    def tick(self, seconds: float) -> None:
        self.d.clock.advance(seconds)
        self.d.session.tick()

    @rule()
    def start(self) -> None:
        handle(self.d.session, "start", {})

    @invariant()
    def one_state(self) -> None:
        assert self.d.session.state in STATES
        assert self.d.session.machine.get_model_state(self.d.session).name == self.d.session.state

    @invariant()
    def time_is_never_negative(self) -> None:
        assert self.d.session.remaining() >= 0

    @invariant()
    def position_is_inside_the_routine(self) -> None:
        s = self.d.session
        if not s.plan:
            return
        assert 0 <= s.seg < len(s.plan)
        seg = s.plan[s.seg]
        assert 0 <= seg.round < seg.rounds
        assert 0 <= seg.side < seg.move.side_count
        if seg.move.reps:
            assert 0 <= s.rep <= seg.move.reps.count
        p = s.position()
        assert 0 <= p.move < len(s.routine.moves) if s.routine else True

    def teardown(self) -> None:
        """From wherever it got to, going on (or starting) and then only ticks finishes."""
        s = self.d.session
        if s.state == "paused":
            handle(s, "resume", {})
        if s.state in ("idle", "stopped", "finished"):
            handle(s, "start", {})
        for _ in range(20_000):
            if s.state == "finished":
                break
            self.d.clock.advance(1.0)
            s.tick()
        assert s.state == "finished"


# Examples and steps come from the Hypothesis profile (tests/conftest.py): full in CI.
test_session_machine = SessionMachine.TestCase
