//! Service identities: what each server role may do on NATS, Redis and PostgreSQL, derived
//! from the subject and key names in [`crate::names`], and rendered as the servers'
//! configuration. One place, so the tests, `docs/OPERATIONS.md` (checked against
//! [`operator_guide`]) and `orrery-worker service-identities` cannot drift apart.

pub mod nats;
pub mod postgres;
pub mod redis;

use crate::names::Names;

/// A kind of Orrery process that connects to the backing services under its own identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Gateway,
    Worker,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Gateway, Role::Worker];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gateway => "gateway",
            Role::Worker => "worker",
        }
    }

    /// The role's NATS and Redis user name in a deployment: `<prefix>-gateway`, `<prefix>-worker`.
    pub fn user(self, names: &Names) -> String {
        format!("{}-{}", names.prefix(), self.as_str())
    }

    /// The environment variable the rendered configuration names for this role's password
    /// on `service` (`NATS`, `REDIS`): `ORRERY_GATEWAY_NATS_PASSWORD`, ...
    pub fn password_variable(self, service: &str) -> String {
        format!("ORRERY_{}_{service}_PASSWORD", self.as_str().to_uppercase())
    }
}

/// The configuration an operator gives NATS, Redis and PostgreSQL for the deployment named
/// by `names`, with `runtime`/`migrator` as the PostgreSQL roles: the text of the
/// "Service identities" blocks in `docs/OPERATIONS.md`.
pub fn operator_guide(names: &Names, migrator: &postgres::RoleName, runtime: &postgres::RoleName, database: &str) -> String {
    let users: Vec<nats::User> = Role::ALL
        .iter()
        .map(|&role| nats::User {
            name: role.user(names),
            password: nats::Password::Env(role.password_variable("NATS")),
            permissions: Some(nats::permissions(names, role)),
        })
        .collect();
    let mut out = String::new();
    out.push_str("# ---- NATS: nats-server configuration (passwords from the server's environment) ----\n");
    out.push_str(&nats::authorization(&users));
    out.push_str("\n# ---- Redis: run once per server (redis-cli), or as lines of an ACL file ----\n");
    for role in Role::ALL {
        let password = format!("<{}>", role.password_variable("REDIS"));
        out.push_str(&redis::acl_setuser(names, role, &password).join(" "));
        out.push('\n');
    }
    out.push_str("\n-- ---- PostgreSQL: once, as a superuser ----\n");
    for statement in postgres::setup_statements(migrator, runtime, database) {
        out.push_str(&statement);
        out.push_str(";\n");
    }
    out.push_str(&format!("-- ---- then, in database {database}, after every migration (`orrery-worker migrate --grant-runtime-role {runtime}` runs these) ----\n"));
    for statement in postgres::runtime_grants(runtime) {
        out.push_str(&statement);
        out.push_str(";\n");
    }
    out
}
