"""Relations between a task's arguments that its text states: ``0 <= k <= len(arr)``.

Inputs generated from a signature draw each argument on its own, so most of them
break a promise that ties two arguments together: "0 <= k <= len(arr)" (HumanEval/120),
"1 <= k <= len(arr)" (/122), "two arrays of scores and guesses of equal length"
(/152), "The length of operator list is equal to the length of operand list minus
one" (/160). On such an input a right answer that indexes ``arr[i]`` for ``i <
k``, or ``operand[i + 1]``, raises where the reference (slicing, ``zip``) answers,
and was disputed on it; two right answers that differ only there split an agreement
group. So generated inputs that break a stated relation are dropped
(``verifiers.properties``, ``verifiers.outputs``).

Three forms are read, each only between the function's own parameters:

- a bound by a length, as a formula: ``[A <=|<] x <=|< len(y)``;
- equal lengths, in words ("of equal length", "the same length"; not "all of the same
  length", which speaks of a list's items): every sized parameter (each example's value
  for it a list, tuple or string) has the length of the first;
- "the length of X is equal to the length of Y [plus|minus N]".

A relation counts only if every example call keeps it, and the equal lengths in words
only if there is one. A line that states a condition or an answer ("if", "when",
"return") states no formula, and equal lengths count only in a sentence that promises
("given", "assume", "always") with neither: "return True if the two strings have the
same length" and "two strings are anagrams when they have the same length" promise
nothing (the second's examples all had equal lengths, and a wrong answer passed while it
was read as a promise: red team), and "given two lists, return a list of the same
length" speaks of the answer. A relation read where none is promised narrows the inputs
and lets wrong answers pass; one missed leaves right answers disputed, as before, so
the reading errs toward missing. Patterns run in linear time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.types import Task
from verifiers.shapes import Shape
from verifiers.strategies import observed_calls, signature_def

_NAME = r"([A-Za-z_]\w{0,63})"
# The bound's number stands alone (not the 1 of ``x1``), and nothing follows ``len(y)``
# (``len(b) + 1`` is another bound).
_BOUND = re.compile(rf"(?:(?<![\w.])(-?\d{{1,9}})\s{{0,3}}(<=|<)\s{{0,3}})?\b{_NAME}\s{{0,3}}(<=|<)\s{{0,3}}"
                    rf"len\(\s{{0,3}}{_NAME}\s{{0,3}}\)(?!\s{{0,3}}[-+*/%])")
_EQUAL = re.compile(r"\b(?:equal|the same)\s+lengths?\b", re.IGNORECASE)
# A promise, in the words' sentence: "You are given two arrays ... of equal length"; not
# "Two strings are anagrams when they have the same length" (a condition, red team).
_PROMISE = re.compile(r"\b(given|assume[sd]?|guarantee[sd]?|always|will (always )?(be|have)|promised?)\b",
                      re.IGNORECASE)
# The lengths of a list's items, not of the arguments: "a list of words, all of the same
# length, and a pattern" (read as len(pattern) == len(words), a wrong answer passed: red team).
# Erring toward missing: "two lists, each of the same length" is not read either.
_ITEMS_ALIKE = re.compile(
    r"\b(?:all|each|every)\b[^.,;:]{0,40}?\b(?:equal|the same)\s+lengths?\b"
    # "a list of words of the same length and a target word" (a third red team)
    r"|\ban? (?:list|array|sequence|tuple|set|collection) of \w+(?: \w+)? (?:of|with|having) "
    r"(?:equal|the same)\s+lengths?\b", re.IGNORECASE)
# What the answer is made of: "the list you build will have the same length as the longer one".
_ANSWER = re.compile(r"\b(?:build|builds|built|result|results|output|outputs|produce[sd]?|create[sd]?|"
                     r"construct(?:s|ed)?)\b", re.IGNORECASE)
_CONDITION_OR_ANSWER = re.compile(r"\b(if|when|whether|unless|otherwise|returns?)\b", re.IGNORECASE)
# "not always the same length", "do not assume ...", "may or may not be": no promise.
_HEDGE = re.compile(r"\b(not|never|no|need|may|might|can|could|only|except|chance|possibly)\b|n't\b",
                    re.IGNORECASE)
# A formula states a constraint only as the line itself, after a list mark or a label:
# "3. 0 <= k <= len(arr)", "* 1 <= k <= len(arr), and ...", "Constraints: k <= len(a)";
# not "For 0 <= k <= len(arr) this is arr[k:] + arr[:k]" (red team).
_LEAD = re.compile(r"\s*(?:[-*\u2022]\s*|\(?\w{1,2}[.)]\s+)?(?:(?:constraints?|notes?|where|with)\s*:?\s*)?",
                   re.IGNORECASE)
_TAIL = re.compile(r"\s*(?:[.,;]|and\b|\Z)")
_NUMBERS = {"one": 1, "two": 2, "three": 3}
_OFFSET = re.compile(
    rf"\blength of (?:the )?{_NAME}(?: list| array| string)? is (?:equal to|the same as) the length of "
    rf"(?:the )?{_NAME}(?: list| array| string)?(?: (minus|plus) (one|two|three|\d{{1,3}}))?\b"
    r"(?! (?:minus|plus)\b)", re.IGNORECASE)
_LINE_CHARS = 2000
"""Longer lines are not read (a task's file is its author's, not a candidate's, but
the reading stays bounded all the same)."""


@dataclass(frozen=True)
class LengthBound:
    """``low <(=) args[value] <(=) len(args[sized])``."""

    value: int
    sized: int
    low: int | None = None
    low_strict: bool = False
    high_strict: bool = False

    def holds(self, args: tuple[Any, ...]) -> bool | None:
        value, sized = args[self.value], args[self.sized]
        if type(value) is not int or not isinstance(sized, (list, tuple, str)):
            return None
        if self.low is not None and (value <= self.low if self.low_strict else value < self.low):
            return False
        return value < len(sized) if self.high_strict else value <= len(sized)


@dataclass(frozen=True)
class LengthOffset:
    """``len(args[first]) == len(args[second]) + offset``."""

    first: int
    second: int
    offset: int = 0

    def holds(self, args: tuple[Any, ...]) -> bool | None:
        first, second = args[self.first], args[self.second]
        if not isinstance(first, (list, tuple, str)) or not isinstance(second, (list, tuple, str)):
            return None
        return len(first) == len(second) + self.offset


Relation = LengthBound | LengthOffset


def stated_relations(prompt: str, params: Sequence[str],
                     examples: Sequence[tuple[Any, ...]]) -> tuple[Relation, ...]:
    """The relations ``prompt`` states between ``params`` that every one of ``examples``
    (calls with one value per parameter) keeps."""
    index = {name: i for i, name in enumerate(params)}
    calls = [call for call in examples if len(call) == len(params)]
    found: list[Relation] = []
    worded = False
    for line in prompt.splitlines():
        if len(line) > _LINE_CHARS or _CONDITION_OR_ANSWER.search(line):  # "return -1 if k <= len(arr)"
            continue
        lead = _LEAD.match(line)
        for match in _BOUND.finditer(line):
            stated = match.start() == (lead.end() if lead else 0) or line[:match.start()].rstrip().endswith((",", ";"))
            if not stated or not _TAIL.match(line, match.end()):
                continue
            low, low_op, value, high_op, sized = match.groups()
            if value in index and sized in index and value != sized:
                found.append(LengthBound(index[value], index[sized], None if low is None else int(low),
                                         low_op == "<", high_op == "<"))
        for match in _OFFSET.finditer(line):
            first, second, sign, amount = match.groups()
            if first in index and second in index and first != second:
                size = 0 if amount is None else _NUMBERS.get(amount.lower()) or int(amount)
                minus = sign is not None and sign.lower() == "minus"
                found.append(LengthOffset(index[first], index[second], -size if minus else size))
    for sentence in re.split(r"(?<=[.!?])\s|\n\s*\n", prompt):
        worded = worded or (len(sentence) <= _LINE_CHARS and _EQUAL.search(sentence) is not None
                            and _PROMISE.search(sentence) is not None
                            and not _ITEMS_ALIKE.search(sentence) and not _ANSWER.search(sentence)
                            and not _CONDITION_OR_ANSWER.search(sentence) and not _HEDGE.search(sentence))
    if worded and calls:
        sized = [i for i in range(len(params))
                 if all(isinstance(call[i], (list, tuple, str)) for call in calls)]
        found += [LengthOffset(i, sized[0]) for i in sized[1:]]
    unique = list(dict.fromkeys(found))
    return tuple(r for r in unique if all(r.holds(call) is not False for call in calls))


def keeps(relations: Sequence[Relation], args: tuple[Any, ...]) -> bool:
    """Whether ``args`` keeps every relation (one that cannot be judged on them, a
    value of another kind, is not held against them)."""
    return all(r.holds(args) is not False for r in relations if max(_indexes(r)) < len(args))


def fitted(relations: Sequence[Relation], shapes: Sequence[Shape], args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """``args`` made to keep ``relations``, or None where it cannot be. Drawn one by one,
    most inputs break a relation; kept only as drawn, the inputs that held one were the
    smallest (equal lengths are likeliest short): HumanEval/120's ``arr`` had 2 to 4
    items, and wrong answers for ``k >= 5`` passed (red team). So a sized argument is cut
    to the length the other demands (never lengthened: no value is made up), and a
    bounded int is wrapped into its range, keeping the drawn sizes. A string is cut only
    where nothing about its text is promised (no template, brackets, spacing or words)."""
    fitted_args = list(args)
    for relation in relations:
        if isinstance(relation, LengthOffset) and max(_indexes(relation)) < len(args):
            first, second = fitted_args[relation.first], fitted_args[relation.second]
            if not isinstance(first, (list, tuple, str)) or not isinstance(second, (list, tuple, str)):
                continue
            want_first = len(second) + relation.offset
            if len(first) > want_first >= 0:
                index, length = relation.first, want_first
            elif len(first) < want_first:
                index, length = relation.second, len(first) - relation.offset
            else:
                continue
            if length < 0 or not _cuttable(shapes, index, length):
                return None
            fitted_args[index] = fitted_args[index][:length]
    for relation in relations:
        if isinstance(relation, LengthBound) and max(_indexes(relation)) < len(args):
            value, sized = fitted_args[relation.value], fitted_args[relation.sized]
            if type(value) is not int or not isinstance(sized, (list, tuple, str)):
                continue
            high = len(sized) - relation.high_strict
            if relation.low is None:  # only a ceiling: a value over it is wrapped down, no lower than drawn
                if value <= high:
                    continue
                # The value's own floor ("a positive integer k" draws from 1; wrapped to 0, right
                # answers were disputed: a second red team), else 0.
                shape = shapes[relation.value] if relation.value < len(shapes) else None
                low = int(shape.lo) if shape is not None and shape.kind == "int" and shape.lo is not None else 0
            else:
                low = relation.low + relation.low_strict
            if high < low:
                return None
            if not low <= value <= high:
                fitted_args[relation.value] = low + (value - low) % (high - low + 1)
    result = tuple(fitted_args)
    return result if keeps(relations, result) else None


def _cuttable(shapes: Sequence[Shape], index: int, length: int) -> bool:
    if index >= len(shapes):
        return False
    shape = shapes[index]
    if length < shape.min_size:
        return False
    if shape.kind in ("list", "vtuple"):
        return True
    return shape.kind == "str" and not (shape.template or shape.balanced or shape.spaced or shape.words)


def _indexes(relation: Relation) -> tuple[int, int]:
    if isinstance(relation, LengthBound):
        return relation.value, relation.sized
    return relation.first, relation.second


def task_relations(task: Task, arity: int) -> tuple[Relation, ...]:
    """The relations ``task`` states between its first ``arity`` parameters (none when
    its signature cannot be read)."""
    node, _ = signature_def(task)
    if node is None:
        return ()
    arity = min(arity, len(node.args.posonlyargs) + len(node.args.args))
    return signature_relations(task, node, arity, observed_calls(task, arity)) if arity >= 2 else ()


def signature_relations(task: Task, node: ast.FunctionDef, arity: int,
                        calls: Sequence[tuple[Any, ...]]) -> tuple[Relation, ...]:
    """``task_relations`` for a caller that holds the entry point's ``def`` and its
    example ``calls`` (``observed_calls``) already."""
    params = [arg.arg for arg in (*node.args.posonlyargs, *node.args.args)][:arity]
    if len(params) < 2:
        return ()
    return stated_relations(task.prompt, params, calls)
