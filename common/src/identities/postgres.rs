//! PostgreSQL roles: a migrator that owns the schema and runs `orrery-worker migrate`, and a
//! runtime role for the gateways and workers with data rights only (no CREATE, DROP, ALTER).

/// A PostgreSQL role name Orrery writes into statements: `[a-z_][a-z0-9_]*`, at most 63
/// bytes, so it never needs quoting and cannot inject anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleName(String);

/// A role name outside `[a-z_][a-z0-9_]{0,62}`.
#[derive(Debug, thiserror::Error)]
#[error("a PostgreSQL role name here is [a-z_][a-z0-9_]* and at most 63 bytes, got {0:?}")]
pub struct InvalidRoleName(String);

impl RoleName {
    pub fn new(name: &str) -> Result<Self, InvalidRoleName> {
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        if first_ok && name.len() <= 63 && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidRoleName(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RoleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for RoleName {
    type Err = InvalidRoleName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// What a superuser runs once: both roles (passwords left for the operator to fill in), the
/// database owned by the migrator, and only `CONNECT` on it for the runtime role.
pub fn setup_statements(migrator: &RoleName, runtime: &RoleName, database: &str) -> Vec<String> {
    vec![
        format!("CREATE ROLE {migrator} LOGIN PASSWORD '<migrator password>'"),
        format!("CREATE ROLE {runtime} LOGIN PASSWORD '<runtime password>' NOSUPERUSER NOCREATEDB NOCREATEROLE"),
        format!("CREATE DATABASE {database} OWNER {migrator}"),
        format!("REVOKE ALL ON DATABASE {database} FROM PUBLIC"),
        format!("GRANT CONNECT ON DATABASE {database} TO {runtime}"),
    ]
}

/// What the migrator runs after every migration, so new tables are covered: data rights
/// on every table and sequence, read-only on the migrations table (the servers check it at
/// start), and no `CREATE` in the schema for anyone but its owner.
pub fn runtime_grants(runtime: &RoleName) -> Vec<String> {
    vec![
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_owned(),
        format!("GRANT USAGE ON SCHEMA public TO {runtime}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime}"),
        format!("REVOKE INSERT, UPDATE, DELETE ON TABLE _sqlx_migrations FROM {runtime}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {runtime}"),
    ]
}

/// Run [`runtime_grants`] on `pool` (as the migrator), in one transaction.
pub async fn grant_runtime(pool: &sqlx::PgPool, runtime: &RoleName) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for statement in runtime_grants(runtime) {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_that_would_need_quoting_are_refused() {
        assert!(RoleName::new("orrery_runtime").is_ok());
        for bad in ["", "Orrery", "a-b", "a;drop", "1a", &"a".repeat(64)] {
            assert!(RoleName::new(bad).is_err(), "{bad:?}");
        }
    }
}
