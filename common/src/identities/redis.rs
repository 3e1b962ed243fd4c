//! The Redis ACL user of each role: every key of the deployment's prefix, no pub/sub
//! channel (Orrery uses none), the command categories the servers use, nothing dangerous.

use super::Role;
use crate::names::Names;

/// The rules after `ACL SETUSER <user>`: a fresh user (`reset`), enabled, with `password`,
/// limited to the keys of `names`' prefix.
pub fn acl_rules(names: &Names, password: &str) -> Vec<String> {
    [
        "reset",
        "on",
        &format!(">{password}"),
        &format!("~{}", names.all_keys()),
        "resetchannels",
        "-@all",
        "+@read",
        "+@write",
        "+@keyspace",
        "+@scripting",
        "+@transaction",
        "+@connection",
        "-@dangerous",
        "-function",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The whole command creating (or replacing) `role`'s user: `ACL SETUSER <user> <rules...>`.
pub fn acl_setuser(names: &Names, role: Role, password: &str) -> Vec<String> {
    let mut command = vec!["ACL".to_owned(), "SETUSER".to_owned(), role.user(names)];
    command.extend(acl_rules(names, password));
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_limited_to_the_prefix_and_no_channel_is_granted() {
        let rules = acl_rules(&Names::new("p"), "pw");
        assert!(rules.contains(&"~p:*".to_owned()));
        assert_eq!(rules.iter().filter(|r| r.starts_with('~') || r.starts_with('%')).count(), 1, "{rules:?}");
        assert!(rules.contains(&"resetchannels".to_owned()));
        assert!(rules.iter().position(|r| r == "-@dangerous") > rules.iter().position(|r| r == "+@keyspace"));
    }
}
