"""The candidate as the tests see it: a callable that ships every call over the channel
to the candidate's process, raises what the candidate raised (``exceptions``), and
writes what the call did to the tests' own arguments back (``write_back``)."""

from __future__ import annotations

import os
import socket
import time
import weakref
from collections.abc import Callable, Generator, Iterator
from typing import Any, NoReturn, TypeVar

from . import iterators
from .codec import (
    MAX_DEPTH,
    MAX_MESSAGE,
    REPLY_DEPTH,
    REPLY_MAX_MESSAGE,
    TEXT_LIMIT,
    TOO_DEEP,
    UNSENDABLE_TYPE,
    CodecError,
    Shared,
    decode,
    decode_states,
    describe,
    encode,
    encode_states,
)
from .exceptions import rebuilt, valid_reply
from .floor import Floor
from .framing import FrameReader, frame
from .functions import FunctionTable, ours, users_limit, with_room
from .interpreter_settings import Outgoing
from .shared_state import Kept, refuse_costly_to_visit
from .tests_crossings import Crossings
from .tests_exceptions import carried_onto
from .write_back import WriteBack

CANDIDATE_SHARE_OF_ARGUMENTS = MAX_MESSAGE // 8
"""Replies totalling this much (as sent) make an argument too large for the channel the
candidate's fault: its values grow up to 4.5x when encoded again (floats written short),
so from 2 MiB on they can fill a frame passed back together."""


class IteratorCut(RuntimeError):
    """How a candidate's returned iterator cut where it was run to ends, as a generated
    check's output: an ending of its own, never a ``RuntimeError`` the candidate raised
    (a twentieth red team: an endless generator agreed with one that raised one)."""


_T = TypeVar("_T")

class CandidateFault(BaseException):
    """Raised into the tests for faults they must not swallow with ``except Exception``."""


class _PlainIterator:
    """The tests' stand-in for a returned iterator that is not a generator (a ``map``, a
    ``zip``): it iterates, and has none of a generator's other methods. Such an iterator
    may go on after it raised (a ``map`` whose function raised on one item); the
    candidate's side ends its reading there, so reading on fails the candidate rather
    than end where plain Python's would go on (a twenty-fifth red team: a wrong answer
    passed a test that its iterator stops)."""

    __slots__ = ("_reading", "_fail", "_raised")

    def __init__(self, reading: Iterator[Any], fail: Callable[[str], NoReturn]) -> None:
        self._reading = reading
        self._fail = fail
        self._raised = False

    def __iter__(self) -> _PlainIterator:
        return self

    def __next__(self) -> Any:
        if self._raised:
            self._fail("the tests read on the candidate's iterator after it raised (reading on does not cross)")
        try:
            return next(self._reading)
        except StopIteration:
            raise
        except Exception:
            self._raised = True
            raise


_REPLY_FIELDS = frozenset({"r", "e", "w", "O", "h", "y", "tk", "tc"})
"""What a reply to a call may hold beside its nonce (``_answer``)."""


class CandidateProxy:
    """Stands in for the candidate's function inside the tests; every call crosses the channel."""

    def __init__(self, sock: socket.socket, call_seconds: float | None = None,
                 set_up_seconds: float | None = None) -> None:
        self._sock = sock
        self._reader = FrameReader(sock, REPLY_MAX_MESSAGE)
        self._call_seconds = call_seconds
        self._set_up_seconds = set_up_seconds
        """One call of the job may take this long, when longer than ``call_seconds``: the
        one that pays for one-off set-up (imports, a table built on first use), whichever
        call that is, as one of the task's own tests does. Spent once a call took longer
        than ``call_seconds``."""
        self.calls = 0
        self.fault = ""
        self.memory = False
        self.harness = ""
        self.timeout = False
        self.broken = False
        """The channel ended under a call (the candidate's process died, or was killed at
        its wall): the failure says nothing about what the candidate answered."""
        self._unread = 0
        """Replies of the last batch (``map_calls``) not read yet."""
        self.returned_bytes = 0
        """The size of every reply so far, as sent: what the candidate has handed the tests."""
        self.changed_arguments = False
        """Whether the last call of a batch (``map_calls``) changed one of its arguments."""
        self.write_back = WriteBack()
        """What the calls did to the tests' objects (undone when the job ends)."""
        self.floor = Floor(self._harness)
        """Which of the tests' threads talks to the candidate now (``floor``): a call made
        while another thread's is in flight is the harness's ``error`` (calls at once do
        not cross, and taking turns instead passed a wrong answer unsafe across threads:
        a fifty-third red team)."""
        self._functions = FunctionTable(self._call_function, self._function_attribute, weak=True)
        """The tests' functions the candidate was given, and the candidate's the tests hold (``functions``)."""
        self._functions.turn = self.floor.take
        self._functions.ordered = self._compare  # a comparison of the candidate's objects, made there
        self._kept = Kept(self._functions)
        """The tests' objects the candidate still holds from earlier calls."""
        self.returned_references = False
        """Whether a result named the tests' own objects: it may then be deeper than it was
        sent (an argument too deep is then the candidate's doing, any other fault not)."""
        self._dropped: list[int] = []
        """The handles of the candidate's returned iterators the tests let go of since the
        last call (``_iterator``)."""
        self.last_call: tuple[tuple[Any, ...], dict[str, Any], Any] | None = None
        """The arguments and result of the last single call: a failed assertion's detail
        says what it returned, which is what a model repairing the answer needs to know."""
        self._in_flight = 0
        """Calls sent and not yet answered: one made meanwhile comes from a function of the
        tests' that the candidate called (``tests_crossings.Crossings.nested_call``)."""
        self._crossings = Crossings(self)
        """The calls that cross inside one of the tests' calls (``tests_crossings``)."""
        self._settings: Outgoing | None = None
        """The tests' recursion limit and ``decimal`` context as last sent (``interpreter_settings``),
        from when the prompt has loaded: not read before, where it would make the tests'
        ``decimal`` context before the prompt set its template."""

    def prompt_loaded(self) -> None:
        """The tests' settings as the prompt left them are the candidate's already (its
        program holds the prompt): only the tests' changes from here on are sent."""
        self._settings = Outgoing()

    def _fail(self, why: str) -> NoReturn:
        if not self.fault:
            self.fault = why[:TEXT_LIMIT]
        raise CandidateFault(self.fault)

    def _receive(self, deadline: float | None = None) -> dict[str, Any]:
        try:
            reply = self._reader.recv(deadline)
        except TimeoutError:
            self._too_slow()
        except (EOFError, OSError) as exc:
            self.broken = True
            if isinstance(exc, EOFError):
                self._fail("the candidate process ended before answering")
            self._fail(f"bad reply from the candidate: {exc}")
        except CodecError as exc:
            self._fail(f"bad reply from the candidate: {exc}")
        if type(reply) is not dict:
            self._fail("bad reply from the candidate")
        return reply

    def wait_ready(self) -> None:
        reply = self._receive()
        if len(reply) != 1:
            self._fail("bad reply from the candidate")
        if "ok" in reply:
            return
        self._raise_reply(reply)

    def _answer(self, nonce: str) -> dict[str, Any]:
        """The reply to the call sent with ``nonce``: a frame the candidate wrote before
        it was called (while its module loaded, say) cannot know the nonce, so it cannot
        pass for an answer. With a limit per call, it is awaited that long at most."""
        limit = self._limit()
        start = time.monotonic()
        reply = self._receive(None if limit is None else start + limit)
        while "cb" in reply:  # the candidate calls a function of the tests' first
            self._crossings.serve_callback(reply, nonce)
            reply = self._receive(None if limit is None else start + limit)
        if self._call_seconds is not None and time.monotonic() - start > self._call_seconds:
            self._set_up_seconds = None  # the one slow call is spent
        if reply.pop("n", None) != nonce:
            self._fail("the candidate sent a reply to no call (a forged answer)")
        answered = ("r" in reply) + ("e" in reply)
        # One of: a value or an exception (with the changes to the table and what is
        # held of it, ``shared_state``; a value may be what an iterator yielded, "y"), or
        # the candidate's fault alone.
        if answered != 1 and len(reply) != 1 or answered == 1 and not set(reply) <= _REPLY_FIELDS \
                or "y" in reply and "r" not in reply:
            self._fail("bad reply from the candidate")
        return reply

    def _limit(self) -> float | None:
        if self._call_seconds is None or self._set_up_seconds is None:
            return self._call_seconds
        return max(self._call_seconds, self._set_up_seconds)

    def _too_slow(self) -> NoReturn:
        self.timeout = True
        self._fail(f"one call took longer than {self._limit():g} s")

    def _raise_reply(self, reply: dict[str, Any]) -> NoReturn:
        if "m" in reply:
            self.memory = True
            self._fail("the candidate ran out of memory")
        if "e" in reply:
            body = reply["e"]
            if valid_reply(body):
                original = self._crossings.raised(reply.get("tk"))
                if original is not None:
                    try:
                        carried_onto(original, reply.get("tc"))
                    except CodecError:
                        self._fail("bad reply from the candidate")
                    try:
                        raise original
                    finally:
                        del original  # see below
                exc = rebuilt(body)
                if exc is not None:
                    # Raised, and held by no frame its traceback holds: from a name of this
                    # frame, the exception and the frame held each other, and with them the
                    # tests' frames and all their locals until the collector ran, which a
                    # test server held to its memory limit met at a later job (a forty-third
                    # red team's, made plain by tests that keep 1.2 GB).
                    try:
                        raise exc
                    finally:
                        del exc
                self._fail(f"the candidate raised {body[0][:80]}: {body[1][:TEXT_LIMIT]}")
        body = reply.get("f")
        self._fail(f"the candidate failed: {body}" if type(body) is str else "bad reply from the candidate")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._with_room(self._call_function, 0, args, kwargs)

    def _with_room(self, run: Callable[..., _T], *args: Any) -> _T:
        """``run`` with room for the channel's frames above the tests' recursion limit
        (``functions.ours``): a call, a read of the candidate's function's attribute, the
        next batch of its iterator or a comparison of its objects, made a few frames below
        the limit, ran out of frames in the channel's code, the harness's ``error`` or a
        right answer's ``bad reply`` (a fifty-first red team, for the three last). Made once
        this thread holds the floor (``floor``): the limit is the process's, not the thread's."""
        # ``ours`` where a call may cross inside this one (a function has crossed): the
        # channel's frames get room, with the record ``theirs`` reads. Chosen before the
        # floor is taken, with no frame of its own: each frame here is one level less of
        # the tests' recursion back and forth (a fifty-fourth red team).
        done: _T = self.floor.take(ours if self._functions.crossed else with_room, run, *args)
        return done

    def _call_function(self, target: int | str, args: tuple[Any, ...], kwargs: dict[str, Any], attribute: int = 0
                       ) -> Any:
        """A call of the candidate's entry point (``target`` 0) or of a function it returned;
        with ``attribute``, not a call but a read (1, ``args`` the name) or a write (2, the
        name and the value) of one of that function's attributes, done as a call is."""
        if self._in_flight:
            return self._crossings.nested_call(target, args, kwargs, attribute)
        return self._call(args, kwargs, target=target, attribute=attribute)

    def _function_attribute(self, target: int, name: str, value: tuple[Any, ...]) -> Any:
        return self._with_room(self._call_function, target, (name, *value), {}, 2 if value else 1)

    def _compare(self, *args: Any) -> Any:
        return self._with_room(self._call_function, *args)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any], resume: int | None = None, target: int | str = 0,
              attribute: int = 0) -> Any:
        """One call; with ``resume``, not of the candidate's function but the next batch
        of the iterator it returned under that handle (``args``: the value ``send()``
        gives it, if any), as ``(items, ending)``: it crosses as a call does, so what
        its batch did to the tests' objects is written back the same way. With
        ``target``, of the function the candidate returned under that handle.

        Our own ``MemoryError`` (the test server's memory is limited: ``test_side``) is
        the candidate's ``memory``, never an exception the tests can catch: raised into
        them, a test expecting the call to raise passed a wrong answer whose large
        reply the test server had no room left to read, and met in decoding it was the
        harness's ``error`` (a forty-second red team)."""
        return self.guarded(self._call_unguarded, args, kwargs, resume, target, attribute)

    def guarded(self, call: Callable[..., _T], *args: Any) -> _T:
        """``call``, where our own ``MemoryError`` is the candidate's ``memory`` (``_call``)."""
        try:
            return call(*args)
        except MemoryError:
            self.memory = True
            self._fail("the tests ran out of memory on what the candidate answered")

    def _call_unguarded(self, args: tuple[Any, ...], kwargs: dict[str, Any], resume: int | None, target: int | str,
                        attribute: int) -> Any:
        if self.fault:
            raise CandidateFault(self.fault)  # one fault ends the candidate: no more calls
        if self._in_flight:
            self._harness("the tests read the candidate's iterator from inside a function of theirs "
                          "that the candidate called (this does not cross)")
        self._in_step()
        nonce = os.urandom(16).hex()
        # The call's table (``shared_state``): what the candidate kept of earlier calls,
        # then the arguments' containers; what the call did to them comes back by number.
        self.last_call = None  # its references would keep what the tests dropped
        shared, first = self._kept.table()
        # Which iterator's batch this is, and the iterators the tests let go of since
        # (``iterators.LiveIterators.drop``): whatever becomes of the table.
        dropped, self._dropped = self._dropped, []
        iterator_fields = {key: value for key, value in (("i", resume), ("d", dropped), ("t", target),
                                                          ("at", attribute),
                                                          ("st", self._settings and self._settings.changed(users_limit()))) if value}

        def message() -> dict[str, Any]:
            made = {"n": nonce, **first, **iterator_fields, "a": encode(list(args), MAX_DEPTH, shared),
                    "k": encode(dict(kwargs), MAX_DEPTH, shared)}
            states = encode_states(shared)  # of the objects of the task's classes met above
            return {**made, "O": states} if states else made

        data = None
        if "s" in first:  # with the tests' changes to what is kept, more than the channel may carry
            try:
                data = frame(message())
            except CodecError:
                shared, first = self._kept.forget()
        self._send(message, data)
        self._in_flight += 1
        self._crossings.open(shared)
        try:
            reply = self._answer(nonce)
        finally:
            self._in_flight -= 1
            self._crossings.close()
        originals = len(shared.objects)  # what the reply may change: the crossings inside it numbered more
        self.calls += 1
        self.returned_bytes += self._reader.last_size
        if resume is not None and "r" in reply and "y" not in reply:
            self._fail("bad reply from the candidate")
        try:
            result = self._result(reply, shared) if "r" in reply else None
            changed = []
            if "w" in reply:  # returned or raised (red team: a sort, then a raise, left the list sorted)
                changed = self.write_back.apply(shared, reply["w"], originals)
            decode_states(reply.get("O", []), shared, REPLY_DEPTH)
            if "r" in reply:
                self._resendable(result)
            self.returned_references = self.returned_references or shared.references > 0
            if shared.references:  # without one, what came is a tree no larger than the message
                refuse_costly_to_visit([result, *changed])
                self.write_back.keep_reachable([result, *changed], shared, originals)
            self._kept.keep(shared, reply.get("h", []))
            if "y" in reply:
                result = self._batch_read(result, reply["y"]) if resume is not None \
                    else self._iterator(result, reply["y"])
        except CodecError as exc:
            self._fail(f"the candidate returned an invalid value: {exc}")
        except MemoryError:
            raise  # the candidate's (``_call``)
        except Exception as exc:  # noqa: BLE001 - our own code failed on the reply: never the tests' to catch
            self._reading_failed(exc)
        if "r" in reply:
            if resume is None and not target:  # the note names the entry point
                self.last_call = (args, kwargs, result)
            return result
        self.last_call = None
        self._raise_reply(reply)

    def map_calls(self, calls: list[tuple[Any, ...]], report_changes: bool = False) -> Iterator[tuple[bool, Any]]:
        """Every call of ``calls`` (positional arguments) sent in one message, answered
        one reply each, in order: ``(True, result)``, or ``(False, exception)`` for an
        exception the candidate raised (``_raised``; a fault raises ``CandidateFault`` as
        a call does). For generated checks: a call across the channel is a round trip
        between two processes (about 0.15 ms), a hundred of them most of a property
        check's time; here both sides work without waiting on each other.

        Arguments are copies and stay so: what the candidate does to them is not
        written back (the generated checks pass copies anyway), but with
        ``report_changes`` whether the call changed one is ``changed_arguments`` after its
        reply is yielded: a candidate that sorts its argument in place, where the task
        says to keep it, differs from the reference as plain Python shows it (asked only
        then: the candidate encodes each argument again to tell). Each reply is awaited
        at most the per-call limit from the moment the one before it was taken, so the
        limit is never shorter than a call's own time. Leaving the loop early is fine
        when the tests end there (the hang-up ends the candidate); a later call on this
        proxy is the harness's error (the unread replies would come first).
        """
        if self.fault:
            raise CandidateFault(self.fault)
        if self._in_flight:
            self._harness("a generated check called the candidate from inside a function the candidate called")
        self._in_step()
        nonce = os.urandom(16).hex()
        asked = {"c": 1} if report_changes else {}
        self._send(lambda: {"b": [encode(list(args)) for args in calls], "n": nonce, **asked})
        self._unread = len(calls)
        while self._unread:
            reply = self._answer(nonce)
            self._unread -= 1
            self.calls += 1
            self.returned_bytes += self._reader.last_size
            changed = reply.pop("w", None)
            if changed is not None and (type(changed) is not list or not changed):
                self._fail("bad reply from the candidate")
            self.changed_arguments = changed is not None
            if "r" in reply:
                result = self._result(reply) if "O" not in reply else self._result_with_objects(reply)
                yield True, self._iterator(result, reply["y"], as_data=True) if "y" in reply else result
                continue
            body = reply.get("e")
            if valid_reply(body):
                # Any exception is an output here, StopIteration too: ending the batch at
                # one left the rest of the inputs unrun, and two candidates that differ on
                # them agreed (red team: a wrong ``next(...)`` grouped with a right one).
                yield False, rebuilt(body, as_data=True) or Exception(body[1][:TEXT_LIMIT])
                continue
            self._raise_reply(reply)

    def _in_step(self) -> None:
        if self._unread:
            self._harness("the tests called the candidate again before reading every reply of a batch")

    def _harness(self, why: str) -> NoReturn:
        self.harness = why
        raise CandidateFault(self.harness)

    def _reading_failed(self, exc: Exception) -> NoReturn:
        """Our own code failed on what the candidate sent: the harness's error, never an
        exception the tests can catch."""
        name, text = describe(exc)
        self._harness(f"reading the candidate's reply failed: {name}: {text}")

    def _send(self, message: Callable[[], dict[str, Any]], data: bytes | None = None) -> None:
        try:
            data = frame(message()) if data is None else data
        except CodecError as exc:
            # Only plain data comes from the candidate: a value of another type is the tests'.
            theirs = not str(exc).startswith(UNSENDABLE_TYPE)
            if theirs and (self.returned_bytes >= CANDIDATE_SHARE_OF_ARGUMENTS or self.write_back.applied
                           or self.returned_references and str(exc) == TOO_DEEP):
                # The tests handed back values the candidate made (several at once: each
                # alone fits, see below), or arguments it changed (grown, or nested deeper
                # than the channel carries); a test's own argument this large is rare enough
                # that a candidate which returned megabytes is the likelier cause (red team).
                self._fail("the tests passed back values the candidate made or changed, too large or deep for the channel")
            self.harness = f"the tests passed an argument the channel cannot carry: {exc}"
            raise CandidateFault(self.harness) from None
        except Exception as exc:  # noqa: BLE001 - the tests' value broke our encoder: never the candidate's
            name, text = describe(exc)
            self.harness = f"the tests passed an argument the channel cannot carry: {name}: {text}"
            raise CandidateFault(self.harness) from None
        try:
            limit = self._limit()
            if limit is not None:  # the last recv left what remained of its deadline
                self._sock.settimeout(limit)
            self._sock.sendall(data)
        except TimeoutError:  # it stopped reading: still busy with an earlier call
            self._too_slow()
        except OSError:
            self.broken = True
            self._fail("the candidate process ended before answering")

    def _result(self, reply: dict[str, Any], shared: Shared | None = None) -> Any:
        """The returned value; with ``shared``, the tests' objects it names are themselves,
        and its lists, dicts and sets are numbered (``candidate_calls._returned``); the
        states of the objects of the task's classes in it are given later
        (``codec.decode_states``), and only then is it ``_resendable``."""
        try:
            if shared is not None:
                shared.numbering = False
            result = decode(reply["r"], REPLY_DEPTH, shared)
        except CodecError as exc:
            self._fail(f"the candidate returned an invalid value: {exc}")
        finally:
            if shared is not None:
                shared.numbering = True
        if shared is None:
            self._resendable(result)
        return result

    def _result_with_objects(self, reply: dict[str, Any]) -> Any:
        """A batch's result that holds objects of the task's classes: decoded in a table of
        its own, their states given after it (``candidate_calls._reply``)."""
        table = Shared()
        result = self._result(reply, table)
        try:
            decode_states(reply["O"], table, REPLY_DEPTH)
        except CodecError as exc:
            self._fail(f"the candidate returned an invalid value: {exc}")
        self._resendable(result)
        return result

    def _batch_read(self, items: Any, ending: Any, as_data: bool = False) -> tuple[list[Any], Any]:
        """A batch of a returned iterator's items, and how it ended (``iterators``): None
        at its end, an exception's reply, ``MORE`` where it was cut, or (read lazily,
        never ``as_data``) the handle to read on by."""
        if type(items) is not list or type(ending) is not list or len(ending) != 1:
            self._fail("bad reply from the candidate")
        end = ending[0]
        if not (end is None or end == iterators.MORE or valid_reply(end)
                or (type(end) is int and end > 0 or end == iterators.RETURNED and items) and not as_data):
            self._fail("bad reply from the candidate")
        return items, end

    def _iterator(self, items: Any, ending: Any, as_data: bool = False) -> Iterator[Any]:
        """The tests' generator over the candidate's returned iterator (``iterators``): it
        yields each batch's items, asks for the next batch where the candidate's has more
        (a call of its own, ``_call``), and ends as the candidate's did: at its end
        (returning what it returned), raising the exception it raised, or failing the
        candidate where it was cut (``as_data``: a generated check's output,
        ``IteratorCut``, and the batch goes on).
        ``send()`` crosses where nothing was read ahead of the tests; an exception
        thrown into it (``throw()``) cannot cross, and fails the candidate rather than
        go unseen by it."""
        if as_data:
            batch, end = self._batch_read(items, ending, as_data)
            return self._reading(batch, end, as_data)
        # Returned by a call: no items yet, the handle to read by, and whether it is a
        # generator (a map or a zip has no send() or throw(), as in plain Python).
        if type(items) is not list or items or type(ending) is not list or len(ending) != 2 \
                or type(ending[0]) is not int or ending[0] <= 0 or type(ending[1]) is not int or ending[1] not in (0, 1):
            self._fail("bad reply from the candidate")
        end = ending[0]
        reading = self._reading([], end, as_data)
        # Once the tests let go of it, read or not, the candidate lets go of its own at the
        # next call (its ``finally`` runs then; what it holds of the tests' is no longer
        # carried from call to call).
        weakref.finalize(reading, self._let_go, end)
        return reading if ending[1] else _PlainIterator(reading, self._fail)

    def _let_go(self, handle: int) -> None:
        self._dropped.append(handle)

    def _reading(self, batch: list[Any], end: Any, as_data: bool) -> Generator[Any, Any, Any]:
        while True:
            returned = batch.pop() if end == iterators.RETURNED else None  # after the items
            for i, item in enumerate(batch):
                try:
                    sent = yield item
                except GeneratorExit:
                    raise
                except BaseException:  # noqa: BLE001 - thrown by the tests, meant for the candidate's iterator
                    self._fail("the tests threw an exception into the candidate's iterator (throw() does not cross)")
                if sent is not None:
                    if i + 1 < len(batch) or type(end) is not int:
                        self._fail("the tests sent a value to the candidate's iterator after it was read ahead")
                    batch, end = self._with_room(self._call, (sent,), {}, end)
                    break
            else:
                if type(end) is not int:
                    break
                batch, end = self._with_room(self._call, (), {}, end)
        if end == iterators.RETURNED:
            return returned  # a generator's return value: ``yield from`` and ``StopIteration.value`` see it
        if end is not None:
            raise self._ended(end, as_data)

    def _ended(self, end: Any, as_data: bool) -> BaseException:
        """What the tests meet past a returned iterator's last item (``_iterator``)."""
        if end == iterators.MORE:
            cut = (f"the candidate's iterator yields more than is carried ({iterators.ITEMS_LIMIT:,} items "
                   f"or {iterators.SIZE_LIMIT:,} values for a generated check, {iterators.TOTAL_LIMIT:,} values "
                   f"for the tests)")
            if as_data:  # a generated check's output: an ending of its own, and the batch goes on
                return IteratorCut(cut)
            self.fault = cut
            return CandidateFault(self.fault)
        exc = rebuilt(end, as_data)
        if exc is None:  # a StopIteration, say: a fault, as from a call
            self.fault = f"the candidate's iterator raised {end[0][:80]}: {end[1][:TEXT_LIMIT]}"
            return CandidateFault(self.fault)
        return exc

    def _resendable(self, result: Any) -> None:
        if self._reader.last_size > REPLY_MAX_MESSAGE // 5:
            # Floats written short (1e15) grow 4.5x in our own encoding: what the candidate
            # returned must still fit once the tests pass it back (red team: an ERROR before).
            table = Shared(functions=self._functions)
            try:
                frame([encode(result, MAX_DEPTH, table), encode_states(table)], REPLY_MAX_MESSAGE)
            except CodecError:
                self._fail("the candidate returned a value too large for the channel once encoded")
