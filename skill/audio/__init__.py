"""Pre-rendered speech and cue sounds (Alexa has no Swedish voice).

- :mod:`skill.audio.engines` - gTTS (network) and espeak-ng (offline) behind one interface
- :mod:`skill.audio.convert` - ffmpeg to Alexa's format (MP3 24 kHz mono 48 kbps), concat
- :mod:`skill.audio.tones` - start/end tones from ffmpeg's sine source
- :mod:`skill.audio.build` - ``halsporre audio build``: content -> clips + manifest
- :mod:`skill.audio.clips` - runtime lookup: sentence text -> :class:`Clip` URL
- :mod:`skill.audio.blueprint` - Flask Blueprint serving ``/audio/<path>``
- :mod:`skill.audio.player` - play a clip locally

Only :mod:`skill.audio.clips` is needed while answering requests; it imports nothing
heavy.
"""

from skill.audio.clips import AUDIO_DIR, MAX_AUDIO_TAGS, Clip, ClipLibrary

__all__ = ["AUDIO_DIR", "MAX_AUDIO_TAGS", "Clip", "ClipLibrary"]
