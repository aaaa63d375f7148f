"""Run inside a fresh process: a Swedish-mode visit on an en-GB Echo, through the Lambda
handler, with nothing allowed to be written under the audio folder and no program started.

argv: <audio folder> <output file>. An audit hook (PEP 578) records every file opened for
writing under the audio folder and every attempt to start a program (ffmpeg ...); the
visit's responses and those records are written as JSON to the output file.
"""

import json
import os
import sys

audio, out = os.path.realpath(sys.argv[1]), sys.argv[2]
violations: list[str] = []
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes):
        path, mode, flags = os.fsdecode(args[0]), args[1], args[2]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) \
            or (isinstance(flags, int) and flags & _WRITE)
        if writing and os.path.realpath(path).startswith(audio):
            violations.append(f"write {path}")
    elif event in ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system"):
        violations.append(f"{event} {args[:2]!r}")


sys.addaudithook(_audit)

from skill.alexa.envelopes import LocalDevice, slot_json  # noqa: E402
from skill.frontends.lambda_function import handler  # noqa: E402

device = LocalDevice(locale="en-GB")
turns: list[dict] = []


def turn(says: str, envelope: dict) -> dict:
    response = handler(envelope, None)
    device.absorb(response)
    turns.append({"says": says, "response": response})
    return response


def language(value: str, slot_id: str) -> dict:
    return {"language": slot_json("language", value, slot_id, value, "LanguageType")}


turn("open heel spur coach", device.launch())
turn("speak swedish", device.intent("SetLanguageIntent", language("swedish", "sv")))
turn("help", device.intent("AMAZON.HelpIntent"))
turn("what are the symptoms", device.intent("SymptomsIntent"))
turn("what's the clinic's number", device.intent("ClinicIntent"))
response = turn("start my stretches", device.intent("StartStretchIntent"))
for _ in range(12):  # yes, until the session is over (the reminders offer)
    if "reprompt" not in response["response"] or \
            '"pending": "reminders"' in json.dumps(response.get("sessionAttributes")):
        break
    response = turn("yes", device.intent("AMAZON.YesIntent"))
turn("no", device.intent("AMAZON.NoIntent"))
turn("stop", device.intent("AMAZON.StopIntent"))
turn("open heel spur coach", device.launch())
turn("speak english", device.intent("SetLanguageIntent", language("english", "en")))

with open(out, "w", encoding="utf-8") as f:
    json.dump({"turns": turns, "violations": violations}, f)
