//! NATS subject permissions per role, and the nats-server `authorization` block granting them.
//!
//! Who publishes and subscribes what is tabled in `docs/OPERATIONS.md` (Security, Service
//! identities), from the callers of each name in `common/src/names.rs`.
//!
//! Player events (placed, kicked) are published by gateways: matchmaking and moderation run
//! there. A worker never needs them, so a worker identity cannot forge one; a gateway
//! identity cannot forge a frame or a room's closing. JetStream is not used.

use super::Role;
use crate::names::Names;

/// What one identity may publish and subscribe to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    /// May publish a reply to the reply subject of a message it received (and nothing
    /// else there): how a room owner answers control requests without `_INBOX` rights.
    pub allow_responses: bool,
}

/// The permissions of `role` in the deployment named by `names`.
pub fn permissions(names: &Names, role: Role) -> Permissions {
    match role {
        Role::Gateway => Permissions {
            publish: vec![names.all_room_inputs(), names.all_room_controls(), names.rooms_new(), names.all_player_events()],
            subscribe: vec![names.all_room_states(), names.rooms_closed(), names.all_player_events(), names.all_inboxes()],
            allow_responses: false,
        },
        Role::Worker => Permissions {
            publish: vec![names.all_room_states(), names.rooms_closed(), names.rooms_new()],
            subscribe: vec![names.all_room_inputs(), names.all_room_controls(), names.rooms_new()],
            allow_responses: true,
        },
    }
}

/// How a user's password appears in the configuration.
#[derive(Clone, Debug)]
pub enum Password {
    /// Written into the file (tests).
    Literal(String),
    /// A `$VARIABLE` the server resolves from its environment (deployments).
    Env(String),
}

/// One user of the `authorization` block; `permissions: None` means unrestricted.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub password: Password,
    pub permissions: Option<Permissions>,
}

/// The nats-server `authorization { users = [...] }` block for `users`.
pub fn authorization(users: &[User]) -> String {
    let mut out = String::from("authorization {\n  users = [\n");
    for user in users {
        out.push_str("    {\n");
        out.push_str(&format!("      user: {}\n", quote(&user.name)));
        let password = match &user.password {
            Password::Literal(p) => quote(p),
            Password::Env(var) => format!("${var}"),
        };
        out.push_str(&format!("      password: {password}\n"));
        if let Some(p) = &user.permissions {
            out.push_str("      permissions: {\n");
            out.push_str(&format!("        publish: {{ allow: {} }}\n", list(&p.publish)));
            out.push_str(&format!("        subscribe: {{ allow: {} }}\n", list(&p.subscribe)));
            if p.allow_responses {
                out.push_str("        allow_responses: true\n");
            }
            out.push_str("      }\n");
        }
        out.push_str("    }\n");
    }
    out.push_str("  ]\n}\n");
    out
}

fn list(subjects: &[String]) -> String {
    format!("[{}]", subjects.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", "))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_role_may_publish_what_the_other_owns() {
        let names = Names::new("p");
        let gateway = permissions(&names, Role::Gateway);
        let worker = permissions(&names, Role::Worker);
        for owned_by_worker in [names.all_room_states(), names.rooms_closed()] {
            assert!(!gateway.publish.contains(&owned_by_worker), "{owned_by_worker}");
            assert!(worker.publish.contains(&owned_by_worker), "{owned_by_worker}");
        }
        assert!(!worker.publish.contains(&names.all_player_events()));
        assert!(!worker.publish.iter().any(|s| s.starts_with("_INBOX")), "the worker only answers requests");
        assert!(gateway.subscribe.contains(&names.all_inboxes()));
        for subject in gateway.publish.iter().chain(&gateway.subscribe).chain(&worker.publish).chain(&worker.subscribe) {
            assert!(subject.starts_with("p.") || subject.starts_with("_INBOX.p."), "{subject} is outside the prefix");
        }
    }

    #[test]
    fn passwords_are_quoted_or_read_from_the_environment() {
        let users = [
            User { name: "a".into(), password: Password::Literal("x\"y".into()), permissions: None },
            User { name: "b".into(), password: Password::Env("B_PASS".into()), permissions: None },
        ];
        let block = authorization(&users);
        assert!(block.contains(r#"password: "x\"y""#), "{block}");
        assert!(block.contains("password: $B_PASS"), "{block}");
    }
}
