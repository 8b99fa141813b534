//! Several write statements in as few round trips as the backend allows.
//!
//! The SQLite driver runs each connection on a thread of its own, and every
//! statement is a hand-off to that thread and back. Measured here, a hand-off
//! costs about as much as a small INSERT itself, so a transaction of five
//! statements spent most of its time waking threads. SQLite takes several
//! statements (with their parameters, bound in order) in one request, so
//! writes whose results nobody reads travel together. PostgreSQL's extended
//! protocol allows one statement per prepared query: there they run one by
//! one.
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryTrait, Statement, Value,
};

/// Rows per INSERT statement: within SQLite's bound-parameter limit (32,766)
/// and PostgreSQL's (65,535) at the widest row here (sixteen columns).
pub const INSERT_CHUNK: usize = 1000;

/// INSERT statements for `rows`, a chunk of rows each, in order.
pub fn insert_statements<A: ActiveModelTrait>(backend: DbBackend, rows: Vec<A>) -> Vec<Statement> {
    let mut rows = rows.into_iter();
    let mut statements = Vec::new();
    loop {
        let chunk: Vec<A> = rows.by_ref().take(INSERT_CHUNK).collect();
        if chunk.is_empty() {
            return statements;
        }
        statements.push(A::Entity::insert_many(chunk).build(backend));
    }
}

/// Builds the statements to run as one unit.
#[derive(Debug, Default)]
pub struct WriteBatch {
    statements: Vec<Statement>,
}

impl WriteBatch {
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }

    pub fn push(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Runs every statement on `db` (normally the caller's transaction), in
    /// order. Returns the rows affected, summed.
    pub async fn execute(self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        let backend = db.get_database_backend();
        if backend != DbBackend::Sqlite || self.statements.len() < 2 {
            let mut affected = 0;
            for statement in self.statements {
                affected += db.execute_raw(statement).await?.rows_affected();
            }
            return Ok(affected);
        }
        let mut sql = String::new();
        let mut values: Vec<Value> = Vec::new();
        for statement in self.statements {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
            if let Some(v) = statement.values {
                values.extend(v.0);
            }
        }
        let joined = Statement::from_sql_and_values(backend, sql, values);
        Ok(db.execute_raw(joined).await?.rows_affected())
    }
}
