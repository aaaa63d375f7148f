"""Our own ask-sdk ``Serializer``: the request envelope in one pass, the response in one.

ask-sdk lets a skill bring its own serializer (``skill.serializer``, used by the webservice
handler, :func:`skill.alexa.invoke.invoke` and our Lambda handler). ``DefaultSerializer``
is correct but slow for what a skill does on every request:

* it resolves each class by name with ``__import__`` and re-parses type strings such as
  ``dict(str, ask_sdk_model.slot.Slot)`` with a regular expression for every value;
* it parses timestamps with ``dateutil`` (13% of a request on its own);
* it knows nothing of depth, so callers walked the whole envelope once more to bound it;
* the session attributes it hands over are deep-copied again by ``AttributesManager``.

:class:`SkillSerializer` builds exactly the same model objects (a test compares both on
real envelopes), from a plan made once per class: each JSON key maps to an attribute and a
converter; objects are made from a template of the class's defaults instead of calling
``__init__`` with keywords. Timestamps use ``datetime.fromisoformat`` (``dateutil`` only
for a form it does not read). Depth is counted while building; only free-form values
(``object``: the session attributes, unknown keys) are walked, iteratively, and only as
deep as :data:`MAX_NESTING`. Session attributes come as :class:`SessionAttributes`, whose
``deepcopy`` copies the top level only: the skill replaces values, it never changes one
in place (``skill.alexa.handlers.respond``), so the SDK's defensive deep copy bought
nothing. Responses are serialized with a per-class plan of the non-``None`` attributes,
giving the same dict ``DefaultSerializer.serialize`` gives.

Anything else (the Alexa service clients' types) goes to ``DefaultSerializer`` unchanged.
Every failure raises :class:`EnvelopeError` (an ``AskSdkException`` and a ``ValueError``):
the webservice answers it with HTTP 400, the console and Lambda with a refusal.
"""

from __future__ import annotations

import decimal
import importlib
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

MAX_NESTING = 64
"""Deepest nesting of objects and arrays an envelope may have (Alexa's are under 10)."""

ENVELOPE_TYPE = "ask_sdk_model.request_envelope.RequestEnvelope"

Converter = Callable[[Any, int], Any]


class EnvelopeError(SerializationException, ValueError):
    """The payload is not a request envelope this skill can read; the message says why."""


class SessionAttributes(dict[str, Any]):
    """Session attributes whose deep copy is a copy of the top level.

    ``AttributesManager`` deep-copies the session attributes of every request so that a
    handler changing them cannot change the request envelope. This skill only ever
    assigns top-level keys (``state``, ``tz``), so a new top-level dict is all the
    protection needed, at a fraction of the cost.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return dict(self)


def check_shape(envelope: Any) -> None:
    """Raise :class:`EnvelopeError` unless ``envelope`` has the shape every Alexa request
    has: the SDK assumes ``context.System`` and a ``request`` with a ``type`` and fails deep
    inside with an AttributeError without them."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise EnvelopeError("expected a JSON object with a 'request' object")
    if not isinstance(envelope["request"].get("type"), str):
        raise EnvelopeError("the request has no 'type'")
    context = envelope.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("System"), dict):
        raise EnvelopeError("expected a 'context' object with a 'System' object")


def _too_deep() -> EnvelopeError:
    return EnvelopeError(f"nested more than {MAX_NESTING} levels deep")


def _check_free(value: Any, depth: int) -> Any:
    """``value`` (free-form JSON at ``depth``) unchanged, if it nests at most to the bound.

    Recursive, but never deeper than :data:`MAX_NESTING` (it stops there); parsed JSON
    holds only exact ``dict`` and ``list`` containers."""
    kind = type(value)
    if kind is dict or kind is list or kind is SessionAttributes:
        _walk(value, depth)
    return value


def _walk(item: Any, depth: int) -> None:
    if depth > MAX_NESTING:
        raise _too_deep()
    for child in (item.values() if type(item) is not list else item):
        kind = type(child)
        if kind is dict or kind is list:
            _walk(child, depth + 1)


def check_depth(value: Any) -> None:
    """Raise :class:`EnvelopeError` if ``value`` nests deeper than :data:`MAX_NESTING`
    (for payloads that do not go through :class:`SkillSerializer`)."""
    _check_free(value, 1)


def _free(value: Any, depth: int) -> Any:
    return _check_free(value, depth)


def _session_attributes(value: Any, depth: int) -> Any:
    if not isinstance(value, dict):  # DefaultSerializer fails on it too
        raise EnvelopeError("expected an object of attributes")
    return SessionAttributes(_check_free(value, depth))


def _primitive(kind: type) -> Converter:
    def convert(value: Any, depth: int) -> Any:
        if value is None or type(value) is kind:
            return value
        try:
            return kind(value)
        except TypeError:  # DefaultSerializer keeps what it cannot convert
            return _check_free(value, depth)
        except ValueError:
            raise EnvelopeError(f"cannot read {value!r:.40} as {kind.__name__}") from None
    return convert


def _timestamp(as_date: bool) -> Converter:
    def convert(value: Any, depth: int) -> Any:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            parsed = _dateutil_parse(value)
        return parsed.date() if as_date else parsed
    return convert


def _dateutil_parse(value: Any) -> datetime:
    """What ``DefaultSerializer`` reads that ``fromisoformat`` does not (rare: dateutil is
    imported only then)."""
    try:
        from dateutil.parser import parse  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - ask-sdk-core depends on it
        raise EnvelopeError(f"cannot read the timestamp {value!r:.40}") from None
    try:
        return parse(value)
    except (TypeError, ValueError, OverflowError):
        raise EnvelopeError(f"cannot read the timestamp {value!r:.40}") from None


_NATIVE: dict[str, Converter] = {
    "str": _primitive(str), "int": _primitive(int), "long": _primitive(int),
    "float": _primitive(float), "bool": _primitive(bool),
    "datetime": _timestamp(False), "date": _timestamp(True), "object": _free,
}
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")


class _Plans:
    """One converter per type string and one plan per model class, made on first use."""

    def __init__(self) -> None:
        self._converters: dict[str, Converter] = dict(_NATIVE)
        self._models: dict[type, tuple[dict[str, Any], dict[str, list[Any]]]] = {}
        self._classes: dict[str, type] = {}

    def converter(self, type_name: str) -> Converter:
        conv = self._converters.get(type_name)
        if conv is None:
            conv = self._make(type_name)
            self._converters[type_name] = conv
        return conv

    def _make(self, type_name: str) -> Converter:
        if type_name.startswith("list["):
            return self._list(type_name)
        if type_name.startswith("dict("):
            match = _DICT.match(type_name)
            if match is None:
                return lambda value, depth: {}
            if type_name == "dict(str, object)":
                return _session_attributes
            inner = self.converter(match.group(2))
            return lambda value, depth: (None if value is None else {
                k: inner(v, depth + 1) for k, v in _items(value, depth)})
        return self._model(self.class_named(type_name))

    def _list(self, type_name: str) -> Converter:
        match = _LIST.match(type_name)
        if match is None:
            return lambda value, depth: []
        names = [n.strip() for n in match.group(1).split(",")]
        if len(names) > 1:
            convs = [self.converter(n) for n in names]
            return lambda value, depth: (None if value is None else [
                conv(v, depth + 1) for v, conv in zip(_seq(value, depth), convs, strict=False)])
        inner = self.converter(names[0])
        return lambda value, depth: (None if value is None else [
            inner(v, depth + 1) for v in _seq(value, depth)])

    def class_named(self, path: str) -> type:
        cls = self._classes.get(path)
        if cls is None:
            module, _, name = path.rpartition(".")
            try:
                cls = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError) as exc:
                raise EnvelopeError(f"unknown model class {path}: {exc}") from None
            self._classes[path] = cls
        return cls

    def _model(self, cls: type) -> Converter:
        if issubclass(cls, Enum):
            enum_cls = cls

            def enum(value: Any, depth: int) -> Any:
                if value is None:
                    return None
                try:
                    return enum_cls(value)
                except ValueError:
                    raise EnvelopeError(f"{value!r:.40} is not a {enum_cls.__name__}") from None
            return enum
        if not hasattr(cls, "deserialized_types"):
            return _free
        discriminated = hasattr(cls, "get_real_child_model")
        base = cls

        def model(value: Any, depth: int) -> Any:
            if value is None:
                return None
            if not isinstance(value, dict):
                raise EnvelopeError(f"expected an object for {base.__name__}")
            if depth > MAX_NESTING:
                raise _too_deep()
            target = self._child(base, value) if discriminated else base
            return self.build(target, value, depth)
        return model

    def _child(self, cls: Any, value: dict[str, Any]) -> type:
        try:
            name = cls.get_real_child_model(value)
        except (KeyError, TypeError):
            name = None
        if not name:
            raise EnvelopeError(f"unknown {cls.__name__} type {value.get('type')!r:.60}")
        return self.class_named(name)

    def plan(self, cls: type) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """(defaults, JSON key -> [attribute, type name, converter or None until first
        used]): a class is imported only when a payload holds a value of it, as
        ``DefaultSerializer`` does."""
        plan = self._models.get(cls)
        if plan is None:
            types: dict[str, str] = cls.deserialized_types  # type: ignore[attr-defined]
            names: dict[str, str] = {**{k: k for k in types},
                                     **getattr(cls, "attribute_map", {})}
            template = dict(vars(cls()))
            keys = {names[attr]: [attr, kind, None] for attr, kind in types.items()}
            plan = (template, keys)
            self._models[cls] = plan
        return plan

    def build(self, cls: type, value: dict[str, Any], depth: int) -> Any:
        template, keys = self.plan(cls)
        attrs = dict(template)
        extra = None
        for key, item in value.items():
            entry = keys.get(key)
            if entry is None:
                extra = extra or []
                extra.append((key, item))
            elif item is None:
                attrs[entry[0]] = None
            else:
                conv = entry[2]
                if conv is None:
                    conv = entry[2] = self.converter(entry[1])
                attrs[entry[0]] = conv(item, depth + 1)
        obj: Any = object.__new__(cls)
        obj.__dict__.update(attrs)
        if extra:  # DefaultSerializer keeps unknown keys as attributes, after the known ones
            for key, item in extra:
                setattr(obj, key, _check_free(item, depth + 1))
        return obj


def _items(value: Any, depth: int) -> Any:
    if not isinstance(value, dict):
        raise EnvelopeError("expected an object")
    if depth > MAX_NESTING:
        raise _too_deep()
    return value.items()


def _seq(value: Any, depth: int) -> Any:
    if not isinstance(value, list):
        raise EnvelopeError("expected an array")
    if depth > MAX_NESTING:
        raise _too_deep()
    return value


_PRIMITIVES = (str, bool, int, float, bytes)
FREE_DICT = "dict(str, object)"
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
_DICTS: frozenset[type] = frozenset((dict, SessionAttributes))


def _plain(value: Any) -> bool:
    """Whether ``value`` (session attributes) holds only JSON types: then it serialises to
    an equal value of itself, and is handed on without a copy (a ``dict(str, object)`` is
    free-form: ``DefaultSerializer`` would rebuild it node by node to the same result)."""
    return type(value) in _DICTS and _plain_tree(value, 1)


def _plain_tree(value: Any, depth: int) -> bool:
    if depth > MAX_NESTING:  # deeper than any request may be: take the careful way
        return False
    scalars = _JSON_SCALARS
    kind = type(value)
    if kind is list:
        for item in value:
            if type(item) not in scalars and not _plain_tree(item, depth + 1):
                return False
        return True
    if kind is dict or kind is SessionAttributes:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if type(item) not in scalars and not _plain_tree(item, depth + 1):
                return False
        return True
    return False


class SkillSerializer(DefaultSerializer):
    """``DefaultSerializer`` with a fast path for the request envelope and for model objects."""

    def __init__(self) -> None:
        self._plans = _Plans()
        self._out: dict[type, tuple[tuple[str, str, bool], ...]] = {}
        self._envelope = self._plans.converter(ENVELOPE_TYPE)

    # -- in ------------------------------------------------------------------------------

    def deserialize(self, payload: Any, obj_type: Any) -> Any:
        if obj_type is RequestEnvelope or obj_type == ENVELOPE_TYPE:
            if payload is None:
                return None
            return self.envelope_from_text(payload)
        return super().deserialize(payload, obj_type)

    def envelope_from_text(self, payload: str | bytes) -> RequestEnvelope:
        """JSON text (as Alexa sends it) -> ``RequestEnvelope``; :class:`EnvelopeError`."""
        try:
            data = json.loads(payload)
        except RecursionError:
            raise _too_deep() from None
        except (TypeError, ValueError) as exc:
            raise EnvelopeError(f"not JSON: {str(exc)[:80]}") from None
        return self.envelope_from_object(data)

    def envelope_from_object(self, data: Any) -> RequestEnvelope:
        """A parsed envelope (a dict, as Lambda hands it over) -> ``RequestEnvelope``."""
        check_shape(data)
        try:
            envelope: RequestEnvelope = self._envelope(data, 1)
        except EnvelopeError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            raise EnvelopeError(f"not an Alexa request envelope ({type(exc).__name__}: "
                                f"{str(exc)[:80]})") from None
        return envelope

    # -- out -----------------------------------------------------------------------------

    def serialize(self, obj: Any) -> Any:
        """The same JSON-able value ``DefaultSerializer.serialize`` makes."""
        if obj is None or isinstance(obj, _PRIMITIVES):
            return obj
        if isinstance(obj, list):
            return [self.serialize(item) for item in obj]
        if isinstance(obj, dict):
            return {key: self.serialize(val) for key, val in obj.items()}
        out = self._out.get(type(obj))
        if out is not None:
            result = {}
            for attr, key, free in out:
                val = getattr(obj, attr)
                if val is None:
                    continue
                result[key] = val if free and _plain(val) else self.serialize(val)
            return result
        return self._serialize_other(obj)

    def _serialize_other(self, obj: Any) -> Any:
        if isinstance(obj, tuple):
            return tuple(self.serialize(item) for item in obj)
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, decimal.Decimal):
            return int(obj) if obj % 1 == 0 else float(obj)
        cls = type(obj)
        types = getattr(obj, "deserialized_types", None)
        if not isinstance(types, dict):
            return super().serialize(obj)
        names = {**{k: k for k in types}, **getattr(obj, "attribute_map", {})}
        out = tuple((attr, names[attr], types[attr] == FREE_DICT) for attr in types)
        self._out[cls] = out
        return self.serialize(obj)


def install(skill: Any) -> Any:
    """Give ``skill`` (an ask-sdk ``CustomSkill``) a :class:`SkillSerializer`; returns it."""
    skill.serializer = SkillSerializer()
    return skill
