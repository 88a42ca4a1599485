"""The tests' side of the calls that cross inside one of their calls (``functions``,
``crossings``): the candidate calling a function of the tests' (``serve_callback``), and
the calls that function makes back to the candidate (``nested_call``), all in the table
of the tests' call in progress, kept in step at each crossing. Part of
``candidate_proxy.CandidateProxy``, whose channel it uses."""

from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING, Any

from . import floor
from .codec import MAX_DEPTH, REPLY_DEPTH, UNSENDABLE_TYPE, CodecError, Shared, decode_states, encode, encode_states
from .crossings import OpenCall
from .exceptions import exception_reply
from .framing import frame
from .functions import decode_call, encode_call, theirs
from .shared_state import refuse_costly_to_visit

if TYPE_CHECKING:
    from .candidate_proxy import CandidateProxy

RAISED_KEPT = 64
"""How many of the tests' exceptions raised to the candidate are remembered (``raised``)."""


class Crossings:
    """The crossings inside the tests' call in progress, and the tests' exceptions their
    functions raised to the candidate."""

    def __init__(self, proxy: CandidateProxy) -> None:
        self._proxy = proxy
        self._table: Shared | None = None
        """The table of the call in progress, which the crossings inside it share."""
        self._open: OpenCall | None = None
        """Its state once a call crosses inside it (``_current``)."""
        self._raised: dict[int, Exception] = {}
        """Exceptions of classes not the builtins' that the tests' functions raised to the
        candidate, by the token sent with each (``tests_exceptions``): the very
        one the candidate lets through reaches the tests as itself, so ``except Boom``
        catches it with its attributes (the candidate's side can only make a look-alike)."""
        self._tokens = itertools.count(1)

    def open(self, shared: Shared) -> None:
        """A call of the tests' is in progress, with this table."""
        self._table = shared

    def close(self) -> None:
        self._table = self._open = None

    def raised(self, token: Any) -> Exception | None:
        """The tests' own exception a reply's token names, if any."""
        return self._raised.get(token) if type(token) is int else None

    def _current(self) -> OpenCall | None:
        """The call in progress, as the crossings inside it share it (``crossings``); made
        when the first crossing comes, so a call that crosses nothing pays nothing."""
        if self._open is None and self._table is not None:
            self._open = OpenCall(self._table)
        return self._open

    def nested_call(self, target: int | str, args: tuple[Any, ...], kwargs: dict[str, Any], attribute: int = 0) -> Any:
        """A call the tests' function makes while the candidate waits on it (a memoized
        ``fib`` calling ``fib``, the candidate's wrapper): it goes on in the table of the
        call it is inside (``crossings.OpenCall``), with what the tests changed of it since, and what
        it does comes back as a call's changes do. Our own ``MemoryError`` is the
        candidate's ``memory`` (``CandidateProxy.guarded``), as in a call of the tests'
        own: raised into the tests' function, it caught it and passed a wrong answer (a
        forty-third red team)."""
        return self._proxy.guarded(self._nested_call, target, args, kwargs, attribute)

    def _nested_call(self, target: int | str, args: tuple[Any, ...], kwargs: dict[str, Any], attribute: int) -> Any:
        proxy = self._proxy
        opened = self._current()
        if opened is None:
            proxy._harness("a call of the candidate from inside a function of the tests' outside any call")
        shared = opened.shared
        nonce = os.urandom(16).hex()
        target_field = {key: value for key, value in (("t", target), ("at", attribute)) if value}

        def message() -> dict[str, Any]:
            sent_args, sent_kwargs = encode_call(args, kwargs, MAX_DEPTH, shared)
            made = {"n": nonce, "N": 1, **target_field, "a": sent_args, "k": sent_kwargs}
            found = opened.changes()
            if found:
                made["w"] = found
            states = encode_states(shared)
            return {**made, "O": states} if states else made

        proxy._send(message)
        opened.settled()
        proxy._in_flight += 1
        try:
            reply = proxy._answer(nonce)
        finally:
            proxy._in_flight -= 1
        proxy.calls += 1
        proxy.returned_bytes += proxy._reader.last_size
        if "h" in reply:
            proxy._fail("bad reply from the candidate")
        result = self._crossed_back(reply, shared, opened)
        if "r" not in reply:
            proxy._raise_reply(reply)
        proxy._resendable(result)
        if "y" in reply:  # read as the tests read it, once their call is over (``_call``)
            return proxy._iterator(result, reply["y"])
        return result

    def _crossed_back(self, reply: dict[str, Any], shared: Shared, opened: OpenCall) -> Any:
        """What a reply inside a call's crossings returned, its changes to the shared table
        made so on the tests' objects, and the table synced (``crossings.OpenCall``)."""
        proxy = self._proxy
        originals = len(shared.objects)
        try:
            result = proxy._result(reply, shared) if "r" in reply else None
            changed = proxy.write_back.apply(shared, reply["w"], originals) if "w" in reply else []
            decode_states(reply.get("O", []), shared, REPLY_DEPTH)
            if shared.references:
                refuse_costly_to_visit([result, *changed])
                proxy.write_back.keep_reachable([result, *changed], shared, originals)
        except CodecError as exc:
            proxy._fail(f"the candidate returned an invalid value: {exc}")
        except MemoryError:
            raise  # the candidate's (``CandidateProxy.guarded``)
        except Exception as exc:  # noqa: BLE001 - our own code failed on the reply: never the tests' to catch
            proxy._reading_failed(exc)
        opened.settled(changed)
        return result

    def serve_callback(self, request: dict[str, Any], nonce: str) -> None:
        """Run the tests' function the candidate called (``functions``) and send back what
        it returned or raised. It crosses inside the call in progress, in its table
        (``crossings.OpenCall``): what the candidate passes and what it changed of the
        table since arrive as a call's arguments and changes do, so the function works on
        the tests' own objects where the candidate passes them, and what it returns and
        changes goes back as a call's reply does the other way (``f(x) is x``; a callback that
        appends to the list it was given, or that removes itself from the tests' list of
        listeners, changes the candidate's too)."""
        proxy = self._proxy
        opened = self._current()
        if opened is None or request.pop("n", None) != nonce or not set(request) <= {"cb", "a", "k", "w", "O"} \
                or "a" not in request or "k" not in request:
            proxy._fail("bad reply from the candidate")
        proxy.returned_bytes += proxy._reader.last_size
        shared = opened.shared
        originals = len(shared.objects)
        try:
            fn = proxy._functions.own(request["cb"])
            args, kwargs = decode_call(request["a"], request["k"], REPLY_DEPTH, shared)
            changed = proxy.write_back.apply(shared, request["w"], originals) if "w" in request else []
            decode_states(request.get("O", []), shared, REPLY_DEPTH)
            if shared.references:
                refuse_costly_to_visit([args, kwargs, *changed])
                proxy.write_back.keep_reachable([args, kwargs, *changed], shared, originals)
        except CodecError as exc:
            proxy._fail(f"the candidate called a function of the tests' badly: {exc}")
        except MemoryError:
            raise  # the candidate's (``CandidateProxy.guarded``)
        except Exception as exc:  # noqa: BLE001 - as in ``_crossed_back``: a thirty-fourth red team's
            # TypeError of ours reached the tests' ``except TypeError`` and passed a wrong answer
            proxy._reading_failed(exc)
        if opened.synced:
            opened.settled(changed)
        else:  # the first crossing inside the call: the table as the tests sent it, and as the candidate changed it
            opened.sync()
        answer: dict[str, Any] = {"cr": 1}
        try:
            returned = theirs(lambda: fn(*args, **kwargs), floor.FRAMES)
        except Exception as exc:  # noqa: BLE001 - raised to the candidate, as in plain Python
            answer["e"] = exception_reply(exc)
            if type(exc).__module__ not in ("builtins", "__candidate__"):  # one the candidate's side makes a look-alike of
                answer["tk"] = token = next(self._tokens)
                self._raised[token] = exc
                while len(self._raised) > RAISED_KEPT:
                    del self._raised[next(iter(self._raised))]
        del args, kwargs
        try:
            if "e" not in answer:
                shared.numbering = False  # as a returned value is numbered (``candidate_calls._returned``)
                try:
                    answer["r"] = encode(returned, MAX_DEPTH, shared)
                finally:
                    shared.numbering = True
            found = opened.changes()
            if found:
                answer["w"] = found
            states = encode_states(shared)
            if states:
                answer["O"] = states
            opened.settled()
            data = frame(answer)
        except CodecError as exc:
            if not str(exc).startswith(UNSENDABLE_TYPE) and (request["a"] != [] or request["k"] != {}):
                # Made from what the candidate passed (a string it asked to be grown, say):
                # its doing, as a runaway answer's would be.
                proxy._fail(f"a function of the tests' made, from what the candidate passed it, a value the channel "
                            f"cannot carry: {exc}")
            proxy._harness(f"a function of the tests' returned a value the channel cannot carry: {exc}")
        try:
            proxy._sock.sendall(data)
        except OSError:
            proxy.broken = True
            proxy._fail("the candidate process ended before answering")

