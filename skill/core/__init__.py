"""The pure core: dialogue, stretch session, timing plan, progress, words and playback."""
