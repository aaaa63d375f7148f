"""Pre-rendered speech and cue sounds (Alexa has no Swedish voice).

- :mod:`skill.tools.audio.engines` - gTTS (network) and espeak-ng (offline) behind one interface
- :mod:`skill.tools.audio.convert` - ffmpeg to Alexa's format (MP3 24 kHz mono 48 kbps), concat
- :mod:`skill.tools.audio.tones` - start/end tones from ffmpeg's sine source
- :mod:`skill.tools.audio.build` - ``halsporre audio build``: content -> clips + manifest
- :mod:`skill.core.clips` - runtime lookup: sentence text -> :class:`Clip` URL
- :mod:`skill.frontends.audio_route` - Flask Blueprint serving ``/audio/<path>``
- :mod:`skill.frontends.player` - play a clip locally

Only :mod:`skill.core.clips` is needed while answering requests; it imports nothing
heavy, and nothing in this package.
"""
