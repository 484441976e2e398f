"""What each transition of appeals/workflow.py does besides changing the state: the rows it writes
(replies, extensions, follow-ups), the deadlines it moves and the notices it sends.

Only `workflow.perform_transition` calls this package, inside its transaction and after its checks of
state, version, role and scope; the effects change the locked ticket and its appeal in memory
(perform_transition saves them) and may write the ticket's own child rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huiqi.appeals.effects import handling, replies
from huiqi.appeals.effects.step import Step, jsonable, schedule_notices, snapshot
from huiqi.appeals.enums import ExtensionDecision, TicketAction

A = TicketAction

__all__ = ["EFFECTS", "Step", "apply", "jsonable", "schedule_notices", "snapshot"]

EFFECTS: dict[TicketAction, Callable[[Step], Any]] = {
    A.INSTRUCT: handling.instruct,
    A.DISPATCH: handling.dispatch,
    A.REDISPATCH: handling.redispatch,
    A.ACCEPT: handling.accept,
    A.RETURN: handling.return_to_dispatchers,
    A.RECLASSIFY: handling.reclassify,
    A.REQUEST_EXTENSION: handling.request_extension,
    A.APPROVE_EXTENSION: lambda step: handling.decide_extension(step, ExtensionDecision.APPROVED),
    A.REJECT_EXTENSION: lambda step: handling.decide_extension(step, ExtensionDecision.REJECTED),
    A.PAUSE: handling.pause,
    A.RESUME: handling.resume,
    A.SUBMIT_REPLY: replies.submit_reply,
    A.APPROVE_REPLY: replies.approve_reply,
    A.SEND_BACK_REPLY: replies.send_back_reply,
    A.RECORD_FOLLOW_UP: replies.record_follow_up_effect,
    A.REOPEN: replies.reopen,
    A.CLOSE: replies.close_effect,
    A.DIRECT_REPLY: replies.direct_reply,
    A.MERGE: replies.merge,
}


def apply(action: TicketAction, step: Step) -> None:
    EFFECTS[action](step)
