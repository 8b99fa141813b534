//! Rows whose body is sealed by a message key (`messages.body`,
//! `fanouts.payload`), for the startup check and key rotation.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::fanout::{self, Entity as Fanout};
use super::entities::message::{self, Entity as Message};

/// Which table a sealed row is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Messages,
    Fanouts,
}

/// One sealed row: its key (seq or id), the message id it is bound to, the
/// sealed text and the id of the key that sealed it.
#[derive(Debug, Clone)]
pub struct SealedRow {
    pub row: i64,
    pub message_id: String,
    pub text: String,
    pub key_id: String,
}

/// Every key id some row is sealed with.
pub async fn key_ids_in_use(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let mut ids: Vec<String> = Message::find()
        .select_only()
        .column(message::Column::KeyId)
        .filter(message::Column::KeyId.is_not_null())
        .distinct()
        .into_tuple::<String>()
        .all(db)
        .await?;
    let fanout_ids: Vec<String> = Fanout::find()
        .select_only()
        .column(fanout::Column::KeyId)
        .filter(fanout::Column::KeyId.is_not_null())
        .distinct()
        .into_tuple::<String>()
        .all(db)
        .await?;
    for id in fanout_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Up to `limit` rows of `table` sealed by a key other than `current`,
/// oldest first.
pub async fn sealed_by_others(
    db: &impl ConnectionTrait,
    table: Table,
    current: &str,
    limit: u64,
) -> Result<Vec<SealedRow>, DbErr> {
    let rows: Vec<(i64, String, String, Option<String>)> = match table {
        Table::Messages => {
            Message::find()
                .select_only()
                .column(message::Column::Seq)
                .column(message::Column::Id)
                .column(message::Column::Body)
                .column(message::Column::KeyId)
                .filter(message::Column::KeyId.is_not_null())
                .filter(message::Column::KeyId.ne(current))
                .order_by_asc(message::Column::Seq)
                .limit(limit)
                .into_tuple()
                .all(db)
                .await?
        }
        Table::Fanouts => {
            Fanout::find()
                .select_only()
                .column(fanout::Column::Id)
                .column(fanout::Column::MessageId)
                .column(fanout::Column::Payload)
                .column(fanout::Column::KeyId)
                .filter(fanout::Column::KeyId.is_not_null())
                .filter(fanout::Column::KeyId.ne(current))
                .order_by_asc(fanout::Column::Id)
                .limit(limit)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(row, message_id, text, key_id)| {
            Some(SealedRow {
                row,
                message_id,
                text,
                key_id: key_id?,
            })
        })
        .collect())
}

/// Replaces one row's sealed text, only while it is still sealed by
/// `was_key` (a row deleted or re-sealed meanwhile is left alone).
pub async fn reseal(
    db: &impl ConnectionTrait,
    table: Table,
    row: &SealedRow,
    text: String,
    key_id: &str,
) -> Result<bool, DbErr> {
    let result = match table {
        Table::Messages => {
            Message::update_many()
                .col_expr(message::Column::Body, Expr::value(text))
                .col_expr(message::Column::KeyId, Expr::value(key_id))
                .filter(message::Column::Seq.eq(row.row))
                .filter(message::Column::KeyId.eq(row.key_id.as_str()))
                .exec(db)
                .await?
        }
        Table::Fanouts => {
            Fanout::update_many()
                .col_expr(fanout::Column::Payload, Expr::value(text))
                .col_expr(fanout::Column::KeyId, Expr::value(key_id))
                .filter(fanout::Column::Id.eq(row.row))
                .filter(fanout::Column::KeyId.eq(row.key_id.as_str()))
                .exec(db)
                .await?
        }
    };
    Ok(result.rows_affected > 0)
}
