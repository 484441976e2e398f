"""The appeals app's writes: every use case as one function (STYLE.md, "Layers").

Other apps, views, the API, tasks and commands call these (and appeals.selectors for reads):

    intake       register_appeal, submit_mayor_line_appeal, complete_registration,
                 record_classification
    tickets      record_leader_instruction, dispatch_ticket, redispatch_ticket, accept_ticket,
                 return_ticket, reclassify_ticket, request_extension, approve_extension,
                 reject_extension, pause_ticket, resume_ticket, submit_reply, approve_reply,
                 send_back_reply, record_follow_up, reopen_ticket, close_ticket, answer_directly,
                 merge_appeal
    supervision  supervise_overdue_tickets, supervise_ticket
"""

from huiqi.appeals.services.intake import (
    complete_registration,
    record_classification,
    register_appeal,
    submit_mayor_line_appeal,
)
from huiqi.appeals.services.supervision import SupervisionReport, supervise_overdue_tickets, supervise_ticket
from huiqi.appeals.services.tickets import (
    accept_ticket,
    answer_directly,
    approve_extension,
    approve_reply,
    close_ticket,
    dispatch_ticket,
    merge_appeal,
    pause_ticket,
    reclassify_ticket,
    record_follow_up,
    record_leader_instruction,
    redispatch_ticket,
    reject_extension,
    reopen_ticket,
    request_extension,
    resume_ticket,
    return_ticket,
    send_back_reply,
    submit_reply,
)
from huiqi.appeals.time_limits import recompute_provisional_deadlines
from huiqi.appeals.workflow import perform_transition

__all__ = [
    "SupervisionReport",
    "accept_ticket",
    "answer_directly",
    "approve_extension",
    "approve_reply",
    "close_ticket",
    "complete_registration",
    "dispatch_ticket",
    "merge_appeal",
    "pause_ticket",
    "perform_transition",
    "reclassify_ticket",
    "recompute_provisional_deadlines",
    "record_classification",
    "record_follow_up",
    "record_leader_instruction",
    "redispatch_ticket",
    "register_appeal",
    "reject_extension",
    "reopen_ticket",
    "request_extension",
    "resume_ticket",
    "return_ticket",
    "send_back_reply",
    "submit_mayor_line_appeal",
    "submit_reply",
    "supervise_overdue_tickets",
    "supervise_ticket",
]
