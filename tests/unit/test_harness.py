"""The sandbox's generated tests come from real modules (mypy reads them), with the task's values set."""

import pytest

from verifiers.harness.source import harness_source


def test_the_parameter_block_is_replaced_and_check_is_bound() -> None:
    source = harness_source("collect_outputs", {"_BESTOFN_INPUTS": "[(1,), (2,)]", "_BESTOFN_PER_CALL": "0.5",
                                                "_BESTOFN_SET_UP": "3.0", "_BESTOFN_VALUE_CHARS": "100"},
                            "_bestofn_collect")
    assert "_BESTOFN_INPUTS = [(1,), (2,)]\n" in source and "_BESTOFN_PER_CALL = 0.5\n" in source
    assert "# bestofn: parameters" not in source and source.endswith("\ncheck = _bestofn_collect\n")
    namespace: dict[str, object] = {}
    exec(compile(source, "<test>", "exec"), namespace)  # noqa: S102 - our own harness
    assert namespace["check"] is namespace["_bestofn_collect"]
    # The typing names mypy needs stay out of the namespace the task's prompt shares.
    assert not {"Any", "Callable", "FrameType"} & set(namespace)


def test_every_parameter_must_be_given_and_the_check_must_exist() -> None:
    with pytest.raises(ValueError, match="takes"):
        harness_source("collect_outputs", {"_BESTOFN_INPUTS": "[]"}, "_bestofn_collect")
    with pytest.raises(ValueError, match="no function"):
        harness_source("collect_outputs", {"_BESTOFN_INPUTS": "[]", "_BESTOFN_PER_CALL": "1.0",
                                           "_BESTOFN_SET_UP": "0.0", "_BESTOFN_VALUE_CHARS": "1"}, "_bestofn_nothing")
