"""The candidate's own process, once confined (``candidate_side._candidate_child``):
load the candidate and answer the tests' calls over its end of the channel, with
what the calls did to their arguments and what it keeps (``shared_state``).

Also how a candidate compiles (``compile_candidate``): the one function the candidate's
child and the guarded syntax and mypy workers compile with, so all agree.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import os
import threading
import socket
import time
from collections.abc import Callable
from typing import Any, NoReturn

from .codec import (
    MAX_DEPTH,
    REPLY_DEPTH,
    REPLY_MAX_MESSAGE,
    TEXT_LIMIT,
    CodecError,
    Shared,
    decode,
    decode_states,
    describe,
    encode,
    encode_states,
)
from . import interpreter_settings, iterators, task_classes, tests_exceptions
from .exceptions import exception_reply, rebuilt, valid_reply
from .crossings import OpenCall
from .functions import FunctionTable, decode_call, encode_call, theirs
from .framing import FrameReader, frame
from .shared_state import carried_on, changes, held, snapshots
from .write_back import apply_changes

_monotonic = time.monotonic  # bound at load: the candidate runs in this process and may patch time
CANDIDATE_FILENAME = "<candidate>"
"""The file name candidate code is compiled under, on either side."""
COMPILE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
"""What compiling a candidate can raise (ValueError: null bytes; the others: pathological nesting or constants)."""


def compile_candidate(source: str) -> Any:
    """A candidate's code object, the one way every stage compiles it: plain Python
    semantics (no ``from __future__`` of the compiling module leaks in)."""
    return compile(source, CANDIDATE_FILENAME, "exec", dont_inherit=True)


def serve_candidate(sock: socket.socket, source: str, entry: str) -> NoReturn:
    """Compile and load the candidate, then answer calls until the channel closes.

    Compiled here, in the candidate's own confined child, under its limits: CPython's
    compiler folds constants, and two 8 KB candidates of ``'x'*4096 + 'x'*4096 + ...``
    took the process compiling them to 13 GB (the verifier's own, when it compiled
    candidates ahead of the sandbox to save this child ~0.5 ms); their marshalled code
    could also outgrow the job message, or fail to marshal at all (red team). End to end the move cost
    nothing measurable (``--verifiers tests`` on the 328 HumanEval candidates, 1.12 s
    either way)."""
    exit_ = os._exit  # bound early: the candidate may patch the os module
    namespace: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    server = _Server(sock, exit_)
    try:
        exec(compile_candidate(source), namespace)  # noqa: S102 - this is the sandbox
        task_classes.accept(namespace, "__candidate__")  # the prompt's classes, as its program binds them
        server.fn = namespace.get(entry)
        ready: dict[str, Any] = {"ok": 1} if callable(server.fn) else {"f": f"no function named {entry!r}"[:TEXT_LIMIT]}
    except MemoryError:
        ready = {"m": "MemoryError while loading"}
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt... all mean "failed"
        name, text = describe(exc)
        ready = {"f": f"loading raised {name}: {text}"}
    try:
        sock.sendall(frame(ready))
        if "ok" not in ready:
            exit_(0)
        while True:
            try:
                call = server.reader.recv()
            except EOFError:
                exit_(0)
            server.serve(call)
    except MemoryError:
        try:
            sock.sendall(frame({"m": "MemoryError"}))
        finally:
            exit_(0)
    except BaseException:  # noqa: BLE001
        exit_(0)
    exit_(0)


class _Server:
    """The candidate's end of the channel: its calls, the functions that crossed either
    way (``functions``), and the calls the tests' own functions make while the candidate
    waits on one (served inside that wait, ``callback``)."""

    def __init__(self, sock: socket.socket, exit_: Callable[[int], NoReturn]) -> None:
        self.sock = sock
        self.reader = FrameReader(sock)
        self.exit = exit_
        self.fn: Any = None
        self.carried: list[Any] = []  # what the candidate still holds of earlier calls' tables (``shared_state.held``)
        self.live = iterators.LiveIterators()  # the iterators it returned that the tests are reading
        self.functions = FunctionTable(self.callback)
        self.functions.ordered = self.callback  # a comparison of the tests' objects, made by its name there
        self.live.may_call_back = lambda: self.functions.holds_theirs
        self.nonces: list[str] = []
        """The calls in progress, innermost last: a call of the tests' function answers to it."""
        self.open: OpenCall | None = None
        self.crossing = threading.RLock()

    def serve(self, call: Any) -> None:
        nonce = call["n"]
        self.nonces.append(nonce)
        try:
            self._serve(call, nonce)
        finally:
            self.nonces.pop()

    def _serve(self, call: dict[str, Any], nonce: str) -> None:
        sock, fn = self.sock, self.fn
        if "b" in call:  # a batch (the test side's ``map_calls``): a reply per call, copies only
            report = "c" in call  # whether each call changed an argument, only when asked
            for sent in call["b"]:
                shared = Shared() if report else None
                sock.sendall(_reply(fn, nonce, [decode(sent, MAX_DEPTH, shared), {}], shared)[0])
            return
        # The table starts with what the candidate kept from earlier calls, made what
        # the tests have made it since; then the arguments, never bound to a name here.
        # A call the tests' function makes inside a callback goes on in the table of
        # the call it is inside, with what the tests changed of it since.
        if "N" not in call:  # the tests' limit and decimal context, as plain Python shares them, before the arguments are made
            interpreter_settings.apply(call.get("st"))
        opened = self.open if "N" in call else OpenCall(Shared(_still_kept(call, self.carried), self.functions))
        if opened is None:
            self.exit(0)  # the tests' side never sends one outside a call
        shared = opened.shared
        shared.busy = True  # what the decoding runs of the candidate's crosses nothing (``callback``)
        try:
            if opened is not self.open:
                self.carried = []
                if "s" in call:
                    apply_changes(shared, call["s"], len(shared.objects), _unchanged)
            if "t" in call:
                fn = self.functions.own(call["t"])
                if "at" in call:  # not a call: one of its attributes read (1) or set (2)
                    fn = functools.partial(setattr if call["at"] == 2 else getattr, fn)
            originals = len(shared.objects)
            targets: list[Any] = []
            if opened is self.open:
                arguments: list[Any] = list(decode_call(call["a"], call["k"], MAX_DEPTH, shared))
                if "w" in call:
                    targets = apply_changes(shared, call["w"], originals, _unchanged)
            else:
                arguments = [decode(call["a"], MAX_DEPTH, shared), decode(call["k"], MAX_DEPTH, shared)]
            decode_states(call.get("O", []), shared)
            if opened is self.open:
                opened.settled(targets)
            del targets
        except CodecError as exc:
            # What the tests sent could not be made here (the candidate's program bound a
            # class of the task's to something else): its fault, said plainly.
            sock.sendall(frame({"n": nonce, "f": f"its arguments could not be made: {exc}"[:TEXT_LIMIT]}))
            self.exit(0)
        finally:
            shared.busy = False
        if opened is self.open:
            # Called from inside the tests' function: at the user's own recursion limit (``functions.theirs``).
            # An iterator it returns stays here, read as the tests read it (``live``): never run
            # to its end at once, calling the tests' functions for items nobody asked for (a
            # thirty-first red team).
            answer = _reply(functools.partial(_at_their_limit, fn), nonce, arguments, shared, refer=True,
                            opened=opened, live=self.live, dropped=[])[0]
        else:
            self.open = opened
            try:
                answer, self.carried = _reply(fn, nonce, arguments, shared, carry=True, live=self.live,
                                              resume=call.get("i"), dropped=call.get("d", []), opened=opened)
            finally:
                self.open = None
        del shared, arguments, opened
        sock.sendall(answer)

    def callback(self, handle: int | str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call the tests' function ``handle`` (a stand-in's ``__call__``), inside the
        tests' call in progress and its table (``crossings.OpenCall``): what it is passed
        crosses as that call's arguments do, with what the candidate changed of the table
        since; what the function returns and changes comes back so
        (``tests_crossings.Crossings.serve_callback``). A call the tests make to the
        candidate meanwhile is served inside the wait."""
        with self.crossing:  # one crossing at a time: the candidate's threads take turns (a twenty-ninth red team)
            opened = self.open
            if opened is None or not self.nonces:
                raise RuntimeError("the tests' function was called when the tests were calling nothing")
            shared = opened.shared
            if shared.busy:
                raise RuntimeError("the tests' function was called while the candidate's answer was being sent")
            point = shared.checkpoint()
            try:
                shared.busy = True
                sent_args, sent_kwargs = encode_call(args, kwargs, REPLY_DEPTH, shared)
                message: dict[str, Any] = {"n": self.nonces[-1], "cb": handle, "a": sent_args, "k": sent_kwargs}
                found = opened.changes()
                if found:
                    message["w"] = found
                states = encode_states(shared, REPLY_DEPTH)
                if states:
                    message["O"] = states
                data = frame(message, REPLY_MAX_MESSAGE)
            except BaseException:
                shared.rollback(point)  # nothing of it crossed: the two sides still number alike
                opened.abandoned()
                raise
            finally:
                shared.busy = False
            opened.settled()
            self.sock.sendall(data)
            self.live.callbacks += 1
            answer = self._answer_to_callback()
            originals = len(shared.objects)
            result: Any = None
            shared.busy = True  # what the decoding runs of the candidate's (a key's ``__hash__``) crosses nothing
            try:
                if "r" in answer:
                    shared.numbering = False
                    try:
                        result = decode(answer["r"], MAX_DEPTH, shared)
                    finally:
                        shared.numbering = True
                targets = apply_changes(shared, answer["w"], originals, _unchanged) if "w" in answer else []
                decode_states(answer.get("O", []), shared)
            finally:
                shared.busy = False
            opened.settled(targets)
            del targets
            if "r" not in answer:
                raise tests_exceptions.received(_raised_by_tests(answer.get("e")), answer.get("tk"))
            return result

    def _answer_to_callback(self) -> dict[str, Any]:
        while True:
            try:
                answer = self.reader.recv()
            except EOFError:
                self.exit(0)
            if type(answer) is dict and "cr" in answer:
                return answer
            if type(answer) is not dict or "N" not in answer:
                self.exit(0)  # the tests' side would never send it
            self.serve(answer)


def _reply(fn: Any, nonce: str, arguments: list[Any], shared: Shared | None, carry: bool = False,
           live: iterators.LiveIterators | None = None, resume: Any = None, dropped: Any = (), refer: bool = False,
           opened: OpenCall | None = None) -> tuple[bytes, list[Any]]:
    """The framed answer to one call, and what of its table the candidate still holds
    (with ``carry``: the returned value then crosses numbered too, and the reply says
    what is held, ``shared_state.held``; with ``refer``, numbered alone: a call the
    tests' function makes inside a callback). With ``opened``, the changes it sends are
    those since the last crossing of the call's table (``crossings.OpenCall``): the call may have
    called the tests' functions, which took what it had changed before them.

    ``arguments`` is ``[args, kwargs]``, emptied here, so that once the call is over
    nothing of ours holds them (the reference counts tell what the candidate kept).
    With ``shared`` (the arguments' containers as they arrived), what the call did to
    them is sent back, whether it returned or raised (a function that sorted its
    argument and then raised left it sorted: red team).

    With ``live`` (a single call's reply), a returned iterator is kept there for the tests
    to read as they go; ``resume`` is then not a call of ``fn`` but the next batch of the
    one it names (``args``: the value the tests sent it, if any), and first the
    iterators the tests ``dropped`` are let go of (their ``finally`` may change the
    tests' objects: what this call did). Without it (a generated check's batch), one
    is run to its end now."""
    try:
        started = _monotonic()
        # Inside a crossing the table is in step already (``crossings``): no snapshot to take.
        before = snapshots(shared.objects) if shared is not None and (opened is None or not opened.synced) else {}
        if opened is not None and not opened.synced:
            opened.sync(before)
        bookkeeping = _monotonic() - started
        reply: dict[str, Any] = {"n": nonce}
        args, kwargs = arguments
        arguments.clear()
        returned: Any = None

        def the_tests(x: Any) -> bool:
            return shared is not None and shared.index_of(x) is not None

        if live is not None:
            live.drop(dropped)
        made_from = len(shared.objects) if shared is not None else 0  # what the reply numbers is the candidate's
        try:
            if live is not None and resume is not None:
                returned, ending = live.next_batch(resume, args, exception_reply, the_tests)
                reply["y"] = [ending]
            else:
                returned = fn(*args, **kwargs)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - the test may expect it: ship it as data
            if resume is not None:
                raise  # our own table refused the batch (a handle never given): the candidate's fault
            reply["e"] = exception_reply(exc)
            through = tests_exceptions.let_through(exc)  # one of the tests' own, let through
            if isinstance(through, str):
                return frame({"n": nonce, "f": through[:TEXT_LIMIT]}), []
            if through is not None:
                reply["tk"], made_of_it = through
                if made_of_it:
                    reply["tc"] = made_of_it
        else:
            if "y" not in reply and iterators.is_iterator(returned):
                if live is not None:  # and whether it is a generator: only one has send() and throw()
                    reply["y"] = [live.returned(returned), int(iterators.is_generator(returned))]
                    returned = []
                else:
                    returned, ending = iterators.drained(returned, exception_reply, the_tests)
                    reply["y"] = [ending]
        if shared is not None:
            shared.busy = True  # the reply is made of the table from here: the candidate's code run meanwhile crosses nothing
        own: Shared | None = None  # a batch's result's own table, where objects may cross in it
        if "e" not in reply:
            if carry or refer:
                reply["r"] = _returned(returned, shared)
            else:
                # A generated check's batch: each result alone (the arguments are copies),
                # in a table of its own where the prompt defines classes, so their objects
                # cross with their states; they were the candidate's crash on every input,
                # a right answer's and a wrong one's alike (a thirty-third red team).
                own = Shared() if task_classes.objects_accepted() else None
                reply["r"] = _returned(returned, own)
        del args, kwargs, returned
        carried: list[Any] = []
        if shared is not None:
            started = _monotonic()
            found = changes(shared, before) if opened is None else opened.changes()
            del before
            if found:
                reply["w"] = found
            if carry or refer:  # a batch's changes say only that there were some
                states = encode_states(shared, REPLY_DEPTH)  # of the objects of the task's classes sent above
                if states:
                    reply["O"] = states
            if opened is not None:
                # Inside a crossing, the table stays in step for the crossing's next turn;
                # at the call's end, let go (its lists would count as held).
                if carry:
                    opened.release()
                else:
                    opened.settled()
            # A table of two is the call's own argument list and keyword dict and nothing
            # else (no container crossed, none is kept): nothing there to keep.
            if carry and len(shared.objects) > 2:
                numbers = [i for i in held(shared.objects) if carried_on(shared.objects[i])]
                if numbers:
                    reply["h"] = numbers
                    carried = [shared.objects[i] for i in numbers]
                    if live is not None:
                        live.kept.update(id(x) for x in carried[bisect.bisect_left(numbers, made_from):])
            if live is not None:
                live.bookkeeping = bookkeeping + _monotonic() - started
        if own is not None:
            states = encode_states(own, REPLY_DEPTH)
            if states:
                reply["O"] = states
        if carry and (changed_since := tests_exceptions.stale()) is not None:
            return frame({"n": nonce, "f": changed_since}), []
        return frame(reply, REPLY_MAX_MESSAGE), carried
    except MemoryError:
        return frame({"n": nonce, "m": "MemoryError"}), []
    except CodecError as exc:
        return frame({"n": nonce, "f": str(exc)[:TEXT_LIMIT]}), []
    except BaseException as exc:  # noqa: BLE001 - SystemExit & co: cannot be swallowed by the test
        name, text = describe(exc)
        return frame({"n": nonce, "f": f"{name}: {text}"}), []
    finally:
        if shared is not None:
            shared.busy = False


def _at_their_limit(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return theirs(lambda: fn(*args, **kwargs))


def _raised_by_tests(body: Any) -> Exception:
    """What a function of the tests' raised, made here: as ``exceptions.rebuilt`` makes
    it, but a builtin class itself whatever it is (a ``StopIteration`` from the tests'
    ``it.__next__`` ends the candidate's loop, as in plain Python; the other way, one the
    candidate raises to the tests is its fault, never the end of their loop)."""
    if not valid_reply(body):
        return RuntimeError("the tests' function raised what cannot cross")
    made = rebuilt(body, as_data=True, task_bases=True) or RuntimeError(body[1])
    builtin = getattr(builtins, body[0], None)
    if body[3] and isinstance(builtin, type) and issubclass(builtin, Exception) and type(made) is not builtin:
        try:
            return builtin(*made.args)
        except Exception:  # noqa: BLE001 - a builtin that takes other arguments: the look-alike
            return made
    return made


def _still_kept(call: dict[str, Any], carried: list[Any]) -> list[Any]:
    """What of the kept objects opens this call's table, as the tests say
    (``shared_state.Kept.table``): those they can still reach (``"o"``), or none where
    they could not send what they changed (``"x"``)."""
    if "x" in call:
        return []
    numbers = call.get("o", [])
    if type(numbers) is not list or any(type(i) is not int or not 0 <= i < len(carried) for i in numbers):
        raise CodecError("malformed list of kept objects")
    return [carried[i] for i in numbers]


def _returned(value: Any, shared: Shared | None) -> Any:
    """The returned value, encoded: what the table numbers (the tests' objects) by
    reference, so ``candidate(xs) is xs`` holds, and its own lists, dicts and sets
    numbered, so one the candidate keeps (a memo's list) is the tests' object while they
    hold it; tuples as copies (numbering every tuple of a large result cost 40%: red team)."""
    if shared is None:
        return encode(value, REPLY_DEPTH)
    shared.numbering = False
    try:
        return encode(value, REPLY_DEPTH, shared)
    finally:
        shared.numbering = True


def _unchanged(_target: Any) -> None:
    """The candidate's copies need no undo."""
