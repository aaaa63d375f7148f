"""What the skill answers inside a stretch session: one small function per intent.

``pause_stretch`` is what "pause" does in a session, ``stop_stretch`` what "stop" does, and
so on; :mod:`skill.core.dialogue` maps intent names to them. Each passes one event to the
stretch state machine (:mod:`skill.core.stretch`) and turns its step into a decision:
keep going (the place is saved), stop (the place is kept for later today) or finish
(the session is recorded, and reminders are offered once).
"""

from __future__ import annotations

from skill.core import stretch
from skill.core.conversation import (
    SESSION_ENDED,
    Decision,
    DialogueState,
    Event,
    Facts,
    ask,
    menu,
)
from skill.core.effects import Effect, RecordSession, SavePlace, SavePreferences
from skill.core.parts import Say, ref
from skill.core.progress import Preferences, count_today_say, ordinal_key


def _finished(state: DialogueState, step: stretch.Step, facts: Facts) -> Decision:
    """The end of a session: only one with all three exercises counts toward the day."""
    parts = list(step.parts)
    whole = step.state.whole
    if whole:
        key = ordinal_key(facts.sessions_today + 1)
        parts.append(count_today_say(ref(key) if key else None, facts.sessions_today + 1))
    else:
        parts.append(Say("stretch.not_counted"))
    state.mode, state.stretch = "menu", None
    if facts.has_reminders:
        decision = menu(state, parts)
    else:
        state.pending = "reminders"
        offer = Say("reminders.offer")
        decision = ask(state, [*parts, offer], [offer])
    if whole:
        decision.effects.append(RecordSession())
    return decision


def step_decision(state: DialogueState, step: stretch.Step, facts: Facts) -> Decision:
    """Turn a stretch step into a decision: keep going, stop (keep place) or finish."""
    place = state.stretch = step.state.to_dict()
    if step.stopped:
        state.mode, state.pending = "menu", None
        effects: list[Effect] = [] if step.state.finished else [SavePlace(place)]
        return Decision(state=state, speech=list(step.parts), reprompt=None, effects=effects)
    if step.finished:
        return _finished(state, step, facts)
    state.mode, state.pending = "stretch", None
    decision = ask(state, list(step.parts), step.reprompt, remember=False)
    decision.effects.append(SavePlace(place))
    return decision


def start_stretch(state: DialogueState, facts: Facts, hold: object = None,
                  only: object = None) -> Decision:
    """A new session (``hold`` seconds, or ``only`` one exercise, when asked); the user's
    own hold and setup times otherwise."""
    prefs = facts.preferences
    step = stretch.start(hold_seconds=prefs.hold_seconds if hold in (None, "") else hold,
                         only=only if only not in (None, "") else None,
                         mode=facts.audio_mode, setup_seconds=prefs.setup_seconds)
    return step_decision(state, step, facts)


def keep_preferences(decision: Decision, facts: Facts, hold: int | None = None,
                     setup: int | None = None) -> Decision:
    """Remember a hold or setup time the user set "from now on" for later sessions."""
    prefs = facts.preferences
    new = Preferences(hold if hold is not None else prefs.hold_seconds,
                      setup if setup is not None else prefs.setup_seconds)
    if new != prefs:
        decision.effects.append(SavePreferences(new.hold_seconds, new.setup_seconds))
    return decision


def setup_value(event: Event) -> object:
    """SetSetupTimeIntent's change: a number of seconds, else ``longer`` or ``shorter``.

    A number said with a direction ("cut the setup time down to five seconds", "give me
    fifteen seconds to get ready") is the time the user wants, so it wins over the step."""
    return event.slot("seconds") or event.slot("length")


#: Requests that interrupt a stretch answer and keep the place where it was: stop, pause,
#: "how many are left" and the session ending. "Yes", "next" and the like move on.
INTERRUPTIONS = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.PauseIntent",
                           "AMAZON.NoIntent", "ProgressIntent", SESSION_ENDED})


def settle_place(state: DialogueState, elapsed_ms: int | None,
                 event: str = "AMAZON.PauseIntent") -> DialogueState:
    """Where the stretch session really is when ``event`` (an interruption) comes
    ``elapsed_ms`` after the last stretch answer began.

    Inside that answer (the user spoke over it) only the holds heard to their release
    count, and the hold in progress (or, before the first hold, the new exercise) stays
    the place; after the answer's planned end everything in it was heard and the session
    moves on.
    """
    if state.mode != "stretch" or not state.stretch or not state.played \
            or event not in INTERRUPTIONS \
            or elapsed_ms is None or elapsed_ms >= state.played["ms"]:
        return state
    try:
        now = stretch.StretchState.from_dict(state.stretch)
    except ValueError:
        return state
    heard = sum(1 for end in state.played["holds"] if end <= elapsed_ms)
    state.stretch = stretch.settle(now, heard).to_dict()
    state.played = None
    return state


def resume_place(state: DialogueState, facts: Facts) -> Decision:
    """Continue the session stored in ``state.stretch`` where it stopped."""
    place = stretch.StretchState.from_dict(state.stretch)
    return step_decision(state, stretch.advance(place, "resume", mode=facts.audio_mode), facts)


def keep_place_on_end(state: DialogueState) -> Decision:
    """The session ended (silence, or the user left): a running stretch keeps its place."""
    effects: list[Effect] = [SavePlace(state.stretch)] \
        if state.mode == "stretch" and state.stretch else []
    return Decision(state=state, speech=[], reprompt=None, effects=effects)


def current(state: DialogueState) -> stretch.StretchState | None:
    """The running session's state, or ``None`` (and back to the menu) when it is invalid."""
    try:
        return stretch.StretchState.from_dict(state.stretch)
    except ValueError:
        state.mode, state.stretch = "menu", None
        return None


def _advance(state: DialogueState, facts: Facts, event: stretch.Event | str) -> Decision:
    now = stretch.StretchState.from_dict(state.stretch)
    return step_decision(state, stretch.advance(now, event, mode=facts.audio_mode), facts)


# --- one function per intent in a session -------------------------------------------------


def next_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Next: skip to the next exercise (after the last one, the session is done)."""
    return _advance(state, facts, "next")


def previous_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Previous: the exercise before, from its first repetition."""
    return _advance(state, facts, "previous")


def repeat_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Repeat: this exercise again from its first repetition."""
    return _advance(state, facts, "repeat")


def pause_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Pause: the place (settled from the timestamps) is kept; resume goes on from it."""
    return _advance(state, facts, "pause")


def resume_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Resume: go on from the pause."""
    return _advance(state, facts, "resume")


def go_on_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Yes / More / "start my stretches" in a session: the next repetition or exercise."""
    return _advance(state, facts, "yes")


def no_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """No to "ready for the next one?": stop, keeping the place."""
    return _advance(state, facts, "no")


def stop_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Stop / Cancel in a session: stop and keep the place for later today."""
    return _advance(state, facts, "stop")


def help_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Help (and anything not understood) in a session: what can be said here."""
    return _advance(state, facts, "help")


def holds_left(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ProgressIntent in a session: which exercise, and how many holds are left."""
    return _advance(state, facts, "how_many_left")


def set_hold_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SetHoldTimeIntent in a session: the new hold time (within the leaflet's 20-30 s),
    kept for later sessions too."""
    decision = _advance(state, facts, stretch.Event.set_hold(event.slot("seconds")))
    hold = state.stretch["hold_seconds"] if state.stretch else None
    return keep_preferences(decision, facts, hold=hold)


def set_setup_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SetSetupTimeIntent in a session: more (less) time to get into position before each
    exercise, from now on and in later sessions."""
    decision = _advance(state, facts, stretch.Event.set_setup(setup_value(event)))
    setup = state.stretch["setup_seconds"] if state.stretch else None
    return keep_preferences(decision, facts, setup=setup)


def only_exercise_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ExerciseIntent in a session: only that exercise from now on."""
    return _advance(state, facts, stretch.Event.only_exercise(event.slot("exercise")))


def restart_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Start over in a session: a fresh session with the same hold time."""
    now = stretch.StretchState.from_dict(state.stretch)
    return start_stretch(state, facts, hold=now.hold_seconds)


def _with_question(state: DialogueState, lead: Say, facts: Facts) -> Decision:
    """Answer ``lead`` and ask the session's pending question again (the place is kept)."""
    question, reprompt = stretch.pending_question(stretch.StretchState.from_dict(state.stretch))
    return ask(state, [lead, *question], reprompt, remember=False)


def greet_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """GreetingIntent in a session: hello, then the session's question again."""
    return _with_question(state, Say("small_talk.hello"), facts)


def thank_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ThanksIntent in a session: acknowledged, then the session's question again."""
    return _with_question(state, Say("small_talk.thanks"), facts)


def medical_question_in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """MedicalQuestionIntent in a session: not covered, where to turn, then the question."""
    return _with_question(state, Say("small_talk.not_covered"), facts)
