//! IAM as AWS enforces it, locally.
//!
//! Every function's role is taken from template.yaml *as SAM expands it*
//! (`scripts/sam_transform.py`, the aws-sam-translator `sam deploy` uses): the
//! `AWS::IAM::Role` SAM generates for each function, with its inline policies.
//!
//! - [`function_credentials`] creates those roles in moto and assumes them: every function,
//!   wherever it runs locally (watch, in-process tests, the event pump's invocations), signs
//!   with credentials of its own role. moto (started by `scripts/moto_server.py` with IAM
//!   enforced) refuses an action the role does not allow. moto checks actions only, so the
//!   local copy of a policy names `Resource: "*"`.
//! - [`check`] closes that gap: moto records every request made with a role's credentials
//!   (`LOOKOUT_IAM_AUDIT_DIR`), and each record must be allowed by the role's statements with
//!   their real resources (table, index, queue, secret, schedule group, SES identities, the
//!   role passed to the scheduler). Each permission of the template must also be the only one
//!   allowing some recorded request, so deleting any single permission from template.yaml
//!   fails the check.
//!
//! The parts:
//!
//! - `roles`: the roles SAM generates ([`FunctionRole`], [`function_roles`]) and the policy
//!   moto gets for each ([`local_policy`]),
//! - `credentials`: the roles created and assumed in moto ([`function_credentials`]) and the
//!   credentials file ([`credentials_file`]),
//! - `audit`: the requests moto recorded ([`Record`], [`read_records`]) and what IAM checks
//!   for each ([`needs`]),
//! - `policy_eval`: statements as grants ([`Grant`]) and IAM's wildcard match ([`glob`]),
//! - `check`: [`check`] and its [`Report`].

mod audit;
mod check;
mod credentials;
mod policy_eval;
mod roles;

pub use audit::{needs, read_records, Need, Record};
pub use check::{check, Report};
pub use credentials::{
    credentials_file, function_credentials, RoleCredentials, ADMIN_KEY_ID, ADMIN_SECRET,
    ADMIN_USER, ROLE_PROFILES_ENV,
};
pub use policy_eval::{glob, Grant};
pub use roles::{function_roles, local_policy, transformed, FunctionRole};
