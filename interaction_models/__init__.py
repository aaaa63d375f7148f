"""The Alexa interaction models, one per locale; shipped inside the package as ``skill.models``."""
