"""The session's states and transitions, as data, and the machine built from them.

The model (:class:`voicecoach.coaching.session.Session`) holds the behaviour; this module holds
only the shape. Timers are not states' business: the session's ``tick()`` fires
``work``/``lead_in``/``finish`` when the clock passes a deadline (no threads, no sleeps).
"""

from __future__ import annotations

from typing import Any

from transitions import Machine

from voicecoach.commands import names

IDLE = "idle"
INTRO = "intro"
POSITIONING = "positioning"  # announce the next move's position and wait
SWITCHING = "switching"  # change sides within a round
RESTING = "resting"  # rest between rounds
HOLDING = "holding"
REPPING = "repping"
PAUSED = "paused"
FINISHED = "finished"
STOPPED = "stopped"

STATES = [IDLE, INTRO, POSITIONING, SWITCHING, RESTING, HOLDING, REPPING, PAUSED, FINISHED, STOPPED]
LEAD_INS = [POSITIONING, SWITCHING, RESTING]
WORK = [HOLDING, REPPING]
RUNNING = [INTRO, *LEAD_INS, *WORK]  # states a session can be paused in
ENDED = [IDLE, FINISHED, STOPPED]

# The commands the session waits for in each state: a hearing that names one of them is
# likelier to be right, so the listener accepts it on a lower bar. States not listed
# wait for nothing in particular.
EXPECTED: dict[str, frozenset[str]] = {
    IDLE: frozenset({names.START}),
    FINISHED: frozenset({names.START}),
    STOPPED: frozenset({names.START}),
    PAUSED: frozenset({names.RESUME, names.STOP, names.RESTART}),
    **dict.fromkeys(LEAD_INS, frozenset({names.NEXT, names.RESUME})),
}


def expected_commands(state: str) -> frozenset[str]:
    """The commands the session waits for in ``state`` (see :data:`EXPECTED`)."""
    return EXPECTED.get(state, frozenset())


TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "begin", "source": ENDED, "dest": INTRO},
    *(
        {
            "trigger": "lead_in",
            "source": [*RUNNING, PAUSED],
            "dest": dest,
            "conditions": "lead_in_is",
        }
        for dest in LEAD_INS
    ),
    {"trigger": "work", "source": LEAD_INS, "dest": HOLDING, "conditions": "segment_is_hold"},
    {"trigger": "work", "source": LEAD_INS, "dest": REPPING, "unless": "segment_is_hold"},
    {"trigger": "finish", "source": WORK, "dest": FINISHED},
    {"trigger": "pause", "source": RUNNING, "dest": PAUSED, "before": "remember_paused_state"},
    *(
        {"trigger": "resume", "source": PAUSED, "dest": dest, "conditions": "resumes_to"}
        for dest in RUNNING
    ),
    {"trigger": "stop", "source": [*RUNNING, PAUSED], "dest": STOPPED},
    {"trigger": "restore", "source": ENDED, "dest": PAUSED},
]


def build_machine(model: Any, *, graph: bool = False) -> Machine:
    """Attach the session machine to ``model``; ``graph`` adds diagram support (mermaid)."""
    options: dict[str, Any] = {
        "model": model,
        "states": STATES,
        "transitions": TRANSITIONS,
        "initial": IDLE,
        "queued": True,
        "auto_transitions": False,
        "send_event": True,
    }
    if graph:
        # Lazy: only `voicecoach diagram` draws the machine; the graph extension is not
        # needed to coach.
        from transitions.extensions import GraphMachine

        return GraphMachine(graph_engine="mermaid", title="voicecoach session", **options)
    return Machine(**options)


def mermaid_diagram() -> str:
    """The session machine as a mermaid state diagram (for the README)."""

    class _Model:
        def lead_in_is(self, event: Any) -> bool:
            return True

        def segment_is_hold(self, event: Any) -> bool:
            return True

        def resumes_to(self, event: Any) -> bool:
            return True

        def remember_paused_state(self, event: Any) -> None:
            pass

    model = _Model()
    build_machine(model, graph=True)
    source: str = model.get_graph().draw(None)  # type: ignore[attr-defined]
    return source
