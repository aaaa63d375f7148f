"""Rendered clips and their manifests (the manifests ship in the package: ``skill.audio_files``)."""
