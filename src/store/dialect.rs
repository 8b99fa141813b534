//! Where the three databases speak different SQL, in one place.
//!
//! PostgreSQL and MariaDB/MySQL are servers with row locks: work is taken
//! with `FOR UPDATE SKIP LOCKED` inside a transaction, so several processes
//! pass each other by. SQLite has one writer, and its statements need no
//! lock of their own. MariaDB has no `ON CONFLICT DO NOTHING` (it has
//! `INSERT IGNORE`) and no `UPDATE ... RETURNING`; its `INSERT ...
//! RETURNING` (10.5+) is written here by hand, as sea-query's MySQL
//! builder leaves the clause out.
use sea_orm::sea_query::{InsertStatement, OnConflict};
use sea_orm::{DbBackend, Statement};

/// True on a server that takes row locks (PostgreSQL, MariaDB/MySQL).
pub fn locks_rows(backend: DbBackend) -> bool {
    backend != DbBackend::Sqlite
}

/// `insert` that does nothing when one of the table's unique keys already
/// holds the row (`conflict` names the key on PostgreSQL and SQLite; on
/// MariaDB it is `INSERT IGNORE`, which checks every key). The number of
/// rows it affected says whether it inserted.
pub fn insert_if_absent(
    backend: DbBackend,
    mut insert: InsertStatement,
    conflict: OnConflict,
) -> Statement {
    if backend == DbBackend::MySql {
        let statement = backend.build(&insert);
        let sql = statement.sql.replacen("INSERT ", "INSERT IGNORE ", 1);
        return Statement { sql, ..statement };
    }
    insert.on_conflict(conflict);
    backend.build(&insert)
}

/// `insert` reading back every inserted row (`RETURNING *`).
pub fn insert_returning_all(backend: DbBackend, mut insert: InsertStatement) -> Statement {
    insert.returning_all();
    let statement = backend.build(&insert);
    if backend == DbBackend::MySql {
        let sql = format!("{} RETURNING *", statement.sql);
        return Statement { sql, ..statement };
    }
    statement
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Query};

    fn insert() -> InsertStatement {
        Query::insert()
            .into_table(Alias::new("t"))
            .columns([Alias::new("a")])
            .values_panic([1.into()])
            .to_owned()
    }

    #[test]
    fn mariadb_ignores_duplicates_and_returns_rows_by_hand() {
        let conflict = OnConflict::column(Alias::new("a")).do_nothing().to_owned();
        let sql = insert_if_absent(DbBackend::MySql, insert(), conflict.clone()).sql;
        assert_eq!(sql, "INSERT IGNORE INTO `t` (`a`) VALUES (?)");
        let sql = insert_if_absent(DbBackend::Postgres, insert(), conflict).sql;
        assert_eq!(
            sql,
            r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT ("a") DO NOTHING"#
        );
        let sql = insert_returning_all(DbBackend::MySql, insert()).sql;
        assert_eq!(sql, "INSERT INTO `t` (`a`) VALUES (?) RETURNING *");
        let sql = insert_returning_all(DbBackend::Postgres, insert()).sql;
        assert_eq!(sql, r#"INSERT INTO "t" ("a") VALUES ($1) RETURNING *"#);
    }
}
