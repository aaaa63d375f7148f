"""What the skill answers outside a stretch session: one small function per intent.

Each function takes ``(state, event, facts)`` and returns a :class:`Decision`;
:mod:`skill.core.dialogue` maps intent names to them. Leaflet sections, the clinic, help,
small talk, the yes/no questions and starting a stretch session all live here.
"""

from __future__ import annotations

from skill.core import stretch
from skill.core.conversation import (
    INTENT_SECTIONS,
    SECTIONS,
    Decision,
    DialogueState,
    Event,
    Facts,
    ask,
    menu,
)
from skill.core.effects import (
    ClearPlace,
    CreateReminders,
    DeleteData,
    DeleteReminders,
    Effect,
    MarkCheckin,
    SaveSpeech,
)
from skill.core.parts import Part, Say, ref
from skill.core.playback import Card
from skill.core.progress import SPOKEN_COUNT_MAX, Preferences
from skill.core.stretch_turns import (
    keep_place_on_end,
    keep_preferences,
    resume_place,
    setup_value,
    start_stretch,
)

# --- the leaflet ------------------------------------------------------------------------


def section(state: DialogueState, index: int) -> Decision:
    """Read section ``index`` and offer the next one (or, after the last, a stretch)."""
    state.mode, state.section = "info", index
    name = SECTIONS[index]
    speech: list[Part] = [Say(f"info.sections.{name}.body")]
    if index + 1 < len(SECTIONS):
        offer = Say("info.next_offer", {"title": ref(f"info.sections.{SECTIONS[index + 1]}.title")})
        state.pending = "next_section"
    else:
        offer = Say("info.booking_offer")
        state.pending = "next_section"
    speech.append(offer)
    card = Card(title=Say(f"info.sections.{name}.title"),
                lines=(Say(f"info.sections.{name}.body"),))
    return ask(state, speech, [offer], card)


def read_named_section(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """InfoIntent: "tell me about {section}" (no or an unknown section: from the start)."""
    wanted = event.slot("section")
    if wanted == "clinic":
        return give_clinic_number(state, event, facts)
    return section(state, SECTIONS.index(wanted) if wanted in SECTIONS else 0)


def read_section_of_intent(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SymptomsIntent, CausesIntent, ...: the section the intent is named after."""
    return section(state, SECTIONS.index(INTENT_SECTIONS[event.name]))


def leaflet_end(state: DialogueState, facts: Facts) -> Decision:
    """Reading on past the last section: the leaflet ends with how to book and the number."""
    state.mode, state.section, state.pending = "info", len(SECTIONS) - 1, "offer_stretch"
    speech: list[Part] = [Say("clinic.speech"), Say("clinic.booking"), Say("info.last_offer")]
    return ask(state, speech, [Say("info.last_offer")], clinic_card(facts))


def next_section(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Next / More: the following section; after the last one, how to book and the number."""
    if state.mode != "info":
        return section(state, 0)
    if state.section + 1 < len(SECTIONS):
        return section(state, state.section + 1)
    return leaflet_end(state, facts)


def previous_section(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Previous: the section before (at the first one, say so and read it again; after the
    leaflet's end, its last section)."""
    if state.mode != "info":
        return menu(state)
    if state.pending == "offer_stretch":
        return section(state, state.section)
    if state.section > 0:
        return section(state, state.section - 1)
    decision = section(state, 0)
    decision.speech.insert(0, Say("info.at_first"))
    return decision


def start_over(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Start over: the leaflet from its first section when reading it, else the menu."""
    return section(state, 0) if state.mode == "info" else menu(state)


# --- the clinic -------------------------------------------------------------------------


def clinic_card(facts: Facts) -> Card:
    """The number and booking ways; the deployment's booking page as a link when set."""
    web = Say("clinic.card_web_link", {"url": facts.booking_url}) if facts.booking_url \
        else Say("clinic.card_web")
    return Card(title=Say("clinic.card_title"), lines=(Say("clinic.card_text"), web))


def give_clinic_number(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ClinicIntent: the number first, then the booking ways, and offer to repeat it."""
    state.mode, state.pending = "clinic", "repeat_number"
    speech: list[Part] = [Say("clinic.speech"), Say("clinic.booking"), Say("clinic.repeat_offer")]
    return ask(state, speech, [Say("clinic.repeat_offer")], clinic_card(facts))


# --- help, navigation, small talk -------------------------------------------------------


def show_menu(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """No / Navigate home: the three offers."""
    return menu(state)


def help_for_mode(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Help: the disclaimer and what can be said where the user is."""
    topic = {"info": "help.info", "clinic": "help.clinic"}.get(state.mode, "help.menu")
    return ask(state, [Say("disclaimer"), Say(topic)], [Say("help.reprompt")])


def goodbye(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Stop / Cancel outside a stretch session: goodbye, the session ends."""
    state.pending = None
    return Decision(state=state, speech=[Say("goodbye")], reprompt=None)


def repeat_last(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Repeat: the last answer again, word for word."""
    if not state.last:
        return ask(state, [Say("repeat.nothing")], [Say("menu.reprompt")])
    return Decision(state=state, speech=list(state.last),
                    reprompt=list(state.last_reprompt) or [Say("menu.reprompt")])


def not_understood(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Fallback outside a stretch: what the skill can help with, and a question."""
    return Decision(state=state, speech=[Say("fallback.scope"), Say("welcome.reprompt")],
                    reprompt=[Say("fallback.reprompt")])


def greet(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """GreetingIntent ("hello"): a short welcome and the offers; never goodbye."""
    return menu(state, [Say("small_talk.hello")])


def thank(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ThanksIntent: acknowledged, then a question."""
    return menu(state, [Say("small_talk.thanks")])


def medical_question(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """MedicalQuestionIntent: the leaflet does not cover it; no advice, where to turn."""
    return menu(state, [Say("small_talk.not_covered")])


# --- yes / no ---------------------------------------------------------------------------


def yes_to_offer(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Yes to the next section or to hearing the number again; otherwise the menu."""
    if state.pending == "next_section":
        return next_section(state, event, facts)
    if state.pending == "repeat_number":
        return ask(state, [Say("clinic.number_again"), Say("clinic.repeat_offer")],
                   [Say("clinic.repeat_offer")])
    return menu(state)


def _confirmed(state: DialogueState, effect: Effect) -> Decision:
    decision = menu(state)
    decision.effects.append(effect)
    return decision


def continue_place(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Yes to "continue where you left off?": resume the stored stretch session."""
    if state.stretch:
        return resume_place(state, facts)
    return start_afresh(state, event, facts)


def start_afresh(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """No to "continue where you left off?": forget the place, back to the menu."""
    decision = menu(state)
    state.stretch = None
    decision.effects.append(ClearPlace())
    return decision


def restart_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Start over (or yes to the offer after the last section): a fresh stretch session."""
    return start_stretch(state, facts)


def heel_better(state: DialogueState, event: Event, facts: Facts) -> Decision:
    return menu(state, [Say("progress.checkin_better")])


def heel_not_better(state: DialogueState, event: Event, facts: Facts) -> Decision:
    return menu(state, [Say("progress.checkin_not_better")])


def create_reminders(state: DialogueState, event: Event, facts: Facts) -> Decision:
    return _confirmed(state, CreateReminders())


def decline_reminders(state: DialogueState, event: Event, facts: Facts) -> Decision:
    return menu(state, [Say("reminders.declined")])


def delete_data(state: DialogueState, event: Event, facts: Facts) -> Decision:
    return _confirmed(state, DeleteData())


def keep_data(state: DialogueState, event: Event, facts: Facts) -> Decision:
    return menu(state, [Say("privacy.kept")])


# --- language ---------------------------------------------------------------------------

LANGUAGES = frozenset({"sv", "en"})


def set_language(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SetLanguageIntent ("speak Swedish", "svenska", "speak English"): on an English Echo
    the answers switch to that language (this one already speaks it) and the choice is
    kept; elsewhere the page's own language menu chooses."""
    language = event.slot("language")
    if language not in LANGUAGES:
        return not_understood(state, event, facts)
    state.mode, state.pending = "menu", None
    if not facts.language_choice:
        return ask(state, [Say("language.fixed")], [Say("menu.reprompt")])
    decision = ask(state, [Say("language.set")], [Say("menu.reprompt")])
    decision.effects.append(SaveSpeech(language))
    return decision


# --- progress, reminders, privacy, stretch ----------------------------------------------


def tell_progress(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ProgressIntent outside a session: how many sessions today."""
    count = facts.sessions_today
    if count > SPOKEN_COUNT_MAX:
        lead = Say("progress.sessions_lots")
    else:
        lead = Say("progress.sessions_today", {"count": count}) if count \
            else Say("progress.none_today")
    return menu(state, [lead])


def offer_reminders(state: DialogueState, event: Event, facts: Facts) -> Decision:
    state.pending = "reminders"
    return ask(state, [Say("reminders.times")], [Say("reminders.times_reprompt")])


def stop_reminders(state: DialogueState, event: Event, facts: Facts) -> Decision:
    decision = menu(state)
    decision.effects.append(DeleteReminders())
    return decision


def confirm_delete_data(state: DialogueState, event: Event, facts: Facts) -> Decision:
    state.pending = "delete_data"
    return ask(state, [Say("privacy.delete_confirm")], [Say("privacy.delete_reprompt")])


def begin_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """StartStretchIntent: a session, with the asked hold time if any."""
    return start_stretch(state, facts, hold=event.slot("seconds"))


def begin_stretch_with_hold(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SetHoldTimeIntent outside a session: start one with that hold time, and keep it
    for later sessions ("håll i 25 sekunder från och med nu")."""
    decision = start_stretch(state, facts, hold=event.slot("seconds") or "")
    hold = state.stretch["hold_seconds"] if state.stretch and event.slot("seconds") else None
    return keep_preferences(decision, facts, hold=hold)


def set_setup_time(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SetSetupTimeIntent outside a session ("longer pause before each exercise"): the new
    time to get into position, kept for later sessions; back to the menu."""
    current = facts.preferences.setup_seconds
    seconds = stretch.setup_change(current, setup_value(event)) \
        or stretch.setup_change(current, "longer")
    decision = menu(state, [Say("stretch.setup_set", {"seconds": seconds})])
    return keep_preferences(decision, facts, setup=seconds)


def preference_words(prefs: Preferences) -> list[Part]:
    """The user's own hold and setup times, said at launch when they are not the default."""
    default = Preferences()
    words: list[Part] = []
    if prefs.hold_seconds != default.hold_seconds:
        words.append(Say("progress.prefs_hold", {"seconds": prefs.hold_seconds}))
    if prefs.setup_seconds != default.setup_seconds:
        words.append(Say("progress.prefs_setup", {"seconds": prefs.setup_seconds}))
    return words


def begin_one_exercise(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """ExerciseIntent outside a session: start a session of that one exercise."""
    return start_stretch(state, facts, only=event.slot("exercise") or "0")


# --- opening and closing ----------------------------------------------------------------


def _offer_place(state: DialogueState, facts: Facts) -> Decision | None:
    try:
        place = stretch.StretchState.from_dict(facts.place_today)
    except ValueError:
        return None
    if place.finished:
        return None
    state.pending, state.stretch = "continue_place", place.to_dict()
    number = place.exercise + 1 if place.rep >= stretch.REPS else place.exercise
    return ask(state, [*preference_words(facts.preferences),
                       Say("progress.continue_offer", {"exercise": number})],
               [Say("progress.continue_reprompt")])


def launch(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """LaunchRequest: offer to continue today's session, ask the weekly check-in, or
    welcome (first time or back)."""
    state = DialogueState()
    offer = _offer_place(state, facts) if facts.place_today else None
    if offer is not None:
        return offer
    if facts.checkin_due:
        state.pending = "checkin"
        decision = ask(state, [Say("progress.checkin_question")],
                       [Say("progress.checkin_reprompt")])
        decision.effects.append(MarkCheckin())
        return decision
    welcome = "welcome.back" if facts.returning else "welcome.first"
    return ask(state, [*preference_words(facts.preferences), Say(welcome)],
               [Say("welcome.reprompt")])


def session_ended(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """SessionEndedRequest: nothing to say; a running stretch session keeps its place."""
    return keep_place_on_end(state)
