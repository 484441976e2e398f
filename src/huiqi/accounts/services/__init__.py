"""Writes about accounts and organisation: departments, staff, enterprise users, passwords, sign-in.

Who may do what (等保 level 3, GB/T 22239-2019 8.1.4.2: 三权分立 — the system, security and audit
administrators are separate accounts, each with only the rights of its duty):
- the system administrator (system_admin) creates departments and accounts and changes roles;
- the security administrator (security_admin) unlocks accounts and resets passwords;
- the audit administrator (audit_admin) only reads the audit log (core), nothing here;
- everyone changes their own password.
One account holds one role (User.role). No one changes their own role, and the system administrator
cannot edit the accounts of the security or audit administrators (who would otherwise be controlled
by the person they check). `actor=None` means the platform itself (a management command such as
`huiqi load_demo`); views and the API always pass the signed-in user.

Staff need a department, except the roles that act for the whole city: the three administrators
and a city leader (a district leader is given the district's department and then sees its work).
"""

from huiqi.accounts.services.common import (
    ADMINISTRATOR_ROLES,
    CITY_WIDE_ROLES,
    STAFF_ROLES,
    UNCHANGED,
    DepartmentCodeTakenError,
    DepartmentInvalidError,
    PasswordInvalidError,
    RoleSeparationError,
    Unchanged,
    UserInvalidError,
    UsernameTakenError,
    validate_new_password,
)
from huiqi.accounts.services.organisation import (
    check_department_placement,
    create_department,
    update_department,
)
from huiqi.accounts.services.signin import (
    change_password,
    issue_api_token,
    record_sign_in,
    record_sign_in_failure,
    record_sign_out,
    reset_password,
    unlock_user,
)
from huiqi.accounts.services.users import (
    check_role_separation,
    check_staff_assignment,
    create_enterprise_user,
    create_staff_user,
    link_enterprise_user,
    unlink_enterprise_user,
    update_staff_user,
)

__all__ = [
    "ADMINISTRATOR_ROLES",
    "CITY_WIDE_ROLES",
    "STAFF_ROLES",
    "UNCHANGED",
    "DepartmentCodeTakenError",
    "DepartmentInvalidError",
    "PasswordInvalidError",
    "RoleSeparationError",
    "Unchanged",
    "UserInvalidError",
    "UsernameTakenError",
    "change_password",
    "check_department_placement",
    "check_role_separation",
    "check_staff_assignment",
    "create_department",
    "create_enterprise_user",
    "create_staff_user",
    "issue_api_token",
    "link_enterprise_user",
    "record_sign_in",
    "record_sign_in_failure",
    "record_sign_out",
    "reset_password",
    "unlink_enterprise_user",
    "unlock_user",
    "update_department",
    "update_staff_user",
    "validate_new_password",
]
