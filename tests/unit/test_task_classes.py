"""Which classes of a task's prompt cross the channel, and how their objects and enum
members are encoded and refused (verifiers/runtime/task_classes.py, codec)."""

from __future__ import annotations

import abc
import collections
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import pytest

from verifiers.runtime import task_classes
from verifiers.runtime.codec import CodecError, Shared, decode, decode_states, encode, encode_states

T = TypeVar("T")


class Node:
    def __init__(self, val: int, next: Node | None = None) -> None:
        self.val = val
        self.next = next


class Stack(Generic[T]):
    pass


@dataclass(frozen=True)
class Frozen:
    x: int


@dataclass(slots=True)
class Slotted:
    x: int


class Shape(abc.ABC):
    @abc.abstractmethod
    def area(self) -> float: ...


class Square(Shape):
    def area(self) -> float:
        return 1.0


class Listy(list[int]):
    pass


class Failure(Exception):
    pass


class Pair(NamedTuple):
    a: int
    b: int


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Perm(enum.IntFlag):
    R = 1
    W = 2


class Loose(NamedTuple):
    a: int

    def __eq__(self, other: object) -> bool:
        return True


@pytest.mark.parametrize("cls,record", [
    (Pair, True), (collections.namedtuple("P", "a"), True), (Loose, False), (tuple, False), (Node, False),
])
def test_record_classes(cls: type, record: bool) -> None:
    assert task_classes.is_record_class(cls) is record


@pytest.mark.parametrize("cls,crosses", [
    (Node, True), (Stack, True), (Frozen, True), (Square, True), (Shape, True),
    (Slotted, False), (Listy, False), (Failure, False), (Pair, False), (collections.namedtuple("P", "a"), False),
    (Color, False), (int, False),
])
def test_crossable(cls: type, crosses: bool) -> None:
    assert task_classes.crossable(cls) is crosses


@pytest.fixture()
def accepted() -> Iterator[None]:
    namespace: dict[str, Any] = {name: value for name, value in globals().items() if isinstance(value, type)}
    task_classes.accept(namespace, __name__)
    yield
    task_classes.clear()


def test_only_the_modules_own_classes_are_accepted(accepted: None) -> None:
    assert task_classes.name_of(Node(1)) == "Node"
    assert task_classes.name_of(collections.OrderedDict()) is None  # a class of another module
    assert task_classes.name_of(Slotted(1)) is None
    task_classes.clear()
    assert task_classes.name_of(Node(1)) is None and not task_classes.accepting()


def _round_trip(value: Any) -> Any:
    """``value`` sent as a message sends it: the value, then its objects' states."""
    sent = Shared()
    tree = encode(value, shared=sent)
    states = encode_states(sent)
    got = Shared()
    back = decode(tree, shared=got)
    decode_states(states, got)
    return back


def test_a_cycle_of_objects_round_trips_as_one_object_each(accepted: None) -> None:
    a = Node(1, Node(2))
    assert a.next is not None
    a.next.next = a
    back = _round_trip([a, a.next])
    assert [type(n) for n in back] == [Node, Node] and back[0].next is back[1] and back[1].next is back[0]
    assert back[0].val == 1 and back[1].val == 2


def test_states_are_let_go_once_sent(accepted: None) -> None:
    """The list of objects awaiting their states held references the candidate's side
    counted as its own, so every node of a call was carried to the next (a fourteenth red team)."""
    shared = Shared()
    encode([Node(1), Node(2)], shared=shared)
    encode_states(shared)
    assert shared.deferred == []


def test_an_objects_state_travels_after_the_values_numbered_after_them(accepted: None) -> None:
    shared = Shared()
    node = Node(3)
    tree = encode([node], shared=shared)
    assert tree == {"l": [{"o": ["Node"]}]}
    assert encode_states(shared) == [{"d": [["val", 3], ["next", None]]}]
    assert shared.objects == [[node], node, vars(node)]


def test_a_long_chain_is_no_deeper_than_one_node(accepted: None) -> None:
    head = None
    for i in range(5000):
        head = Node(i, head)
    back = _round_trip(head)
    n = 0
    while back is not None:
        n, back = n + 1, back.next
    assert n == 5000


@pytest.mark.parametrize("states", [[], [{"d": []}, {"d": []}], {"d": []}])
def test_one_state_per_object_in_order(accepted: None, states: Any) -> None:
    got = Shared()
    decode({"o": ["Node"]}, shared=got)
    with pytest.raises(CodecError):
        decode_states(states, got)


def test_an_abstract_class_is_not_made(accepted: None) -> None:
    with pytest.raises(CodecError):
        decode({"o": ["Shape", {"d": []}]}, shared=Shared())


@pytest.mark.parametrize("tree", [
    {"o": ["Unknown", {"d": []}]},  # no class of that name
    {"o": ["Listy", {"d": []}]},  # not crossable, so not accepted
    {"o": ["Node", {"l": []}]},  # its state is not a dict
    {"o": ["Node", {"d": [[1, 2]]}]},  # an attribute not named by a string
    {"o": ["Node", {"d": []}, 1]},
    {"e": ["Color", "BLUE"]},
    {"e": ["Node", "RED"]},
    {"n": ["Pair", [1]]},  # not one item per field
    {"n": ["Node", [1, 2]]},
    {"n": ["Pair"]},
])
def test_malformed_or_unknown_is_refused(accepted: None, tree: Any) -> None:
    with pytest.raises(CodecError):
        decode(tree, shared=Shared())


def test_without_a_table_no_object_crosses(accepted: None) -> None:
    with pytest.raises(CodecError):
        encode(Node(1))
    with pytest.raises(CodecError):
        decode({"o": ["Node", {"d": []}]})


def test_objects_hashed_by_identity_are_keys_as_themselves(accepted: None) -> None:
    a, b = Node(1), Node(2)
    back = _round_trip([a, {a: b, (1, b): a}, {b}])
    a2, d, members = back
    assert set(d) == {a2, (1, next(iter(members)))} and d[a2] is next(iter(members)) and d[a2].val == 2


def test_objects_hashed_by_their_classs_code_are_keys_hashed_on_what_they_hold(accepted: None) -> None:
    """A set or dict keyed by a frozen dataclass is filled once the states are in: made as
    the values are read, its members were hashed as empty objects (and were refused)."""
    back = _round_trip([{Frozen(1): "x", Frozen(2): "y"}, {Frozen(1), Frozen(3)}, {(1, Frozen(2))},
                        collections.Counter([Frozen(4), Frozen(4)]), {Pair(1, 2): {Frozen(5)}}])
    points, members, tuples, counted, nested = back
    assert points == {Frozen(1): "x", Frozen(2): "y"} and points[Frozen(2)] == "y"
    assert members == {Frozen(1), Frozen(3)} and Frozen(3) in members and Frozen(2) not in members
    assert (1, Frozen(2)) in tuples and type(counted) is collections.Counter and counted[Frozen(4)] == 2
    assert Frozen(5) in nested[Pair(1, 2)]
    one = Frozen(7)
    first, second = _round_trip([{one}, [one]])
    assert next(iter(first)) is second[0]  # one object, as it was


def test_a_frozenset_holding_one_does_not_cross(accepted: None) -> None:
    """A frozenset is made as it is read, before any object's state."""
    with pytest.raises(CodecError):
        encode(frozenset({Pair(1, Frozen(3))}), shared=Shared())  # type: ignore[arg-type]
    with pytest.raises(CodecError):
        decode({"f": [{"o": ["Frozen"]}]}, shared=Shared())


def test_a_set_whose_member_changed_since_it_was_added_is_refused(accepted: None) -> None:
    """Plain Python's set holds the member where its hash was when it was added: made
    again on the other side, it would be found where plain Python's is not (a
    fourteenth red team's forged pass). Stale on either side: refused."""
    point = Frozen(1)
    stale = {point}
    object.__setattr__(point, "x", 2)
    with pytest.raises(CodecError, match="changed since it was added"):
        encode(stale, shared=Shared())
    with pytest.raises(CodecError, match="changed since it was added"):
        encode(_stale_dict(), shared=Shared())
    # Received: a state that changes after the set was filled cannot happen (the set is
    # filled last); a set whose member's hash raises is refused, not a crash.
    got = Shared()
    members = decode({"s": [{"o": ["Frozen"]}]}, shared=got)
    with pytest.raises(CodecError, match="raised AttributeError"):
        decode_states([{"d": []}], got)
    assert members == set()


def _stale_dict() -> dict[Frozen, int]:
    key = Frozen(1)
    keyed = {key: 1}
    object.__setattr__(key, "x", 5)
    return keyed


def test_an_object_without_a_dict_does_not_cross() -> None:
    class Bare:
        __slots__ = ()

    assert not task_classes.crossable(Bare)


def test_enum_members_are_themselves_and_keys(accepted: None) -> None:
    value = {Color.RED: [Color.GREEN], "p": Perm.R}
    back = decode(encode(value, shared=Shared()), shared=Shared())
    assert back == value and back["p"] is Perm.R and next(iter(back)) is Color.RED
    # A combination of flags has no member of its own: it crosses as the int it is.
    assert decode(encode(Perm.R | Perm.W)) == 3 and type(decode(encode(Perm.R | Perm.W))) is int


def test_named_tuples_are_themselves_and_keys(accepted: None) -> None:
    value = {Pair(1, 2): [Pair(3, 4)]}
    back = decode(encode(value, shared=Shared()), shared=Shared())
    assert back == value and all(type(k) is Pair for k in back) and type(back[Pair(1, 2)][0]) is Pair


def test_a_named_tuple_holding_an_object_is_a_key(accepted: None) -> None:
    back = _round_trip({Pair(1, Node(1)): 1})  # type: ignore[arg-type]
    (key,) = back
    node: Any = key.b
    assert type(key) is Pair and type(node) is Node and node.val == 1
