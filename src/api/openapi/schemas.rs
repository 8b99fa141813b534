//! The shapes of request and answer bodies, for the OpenAPI document only:
//! the handlers build their JSON with `serde_json`, and
//! `tests/api/openapi.rs` plus the schemathesis run check that what they
//! send matches these. Fields the server may leave out or send as `null`
//! are `Option`s; objects take further keys (clients must ignore unknown
//! ones, as Zaqar's do).
#![allow(dead_code)]
use serde_json::Value;
use utoipa::ToSchema;

/// Zaqar's error body: every 4xx and 5xx answer has it.
#[derive(ToSchema)]
pub struct ErrorBody {
    pub title: String,
    pub description: Option<String>,
}

#[derive(ToSchema)]
pub struct Link {
    pub rel: String,
    pub href: String,
}

#[derive(ToSchema)]
pub struct Health {
    pub storage_reachable: bool,
    #[schema(value_type = Object)]
    pub operation_status: Value,
    #[schema(value_type = Object)]
    pub message_volume: Value,
}

#[derive(ToSchema)]
pub struct QueueItem {
    pub name: String,
    pub href: String,
    /// With `detailed=true`.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

#[derive(ToSchema)]
pub struct QueueList {
    pub queues: Vec<QueueItem>,
    pub links: Vec<Link>,
    /// With `with_count=true`.
    pub count: Option<i64>,
}

#[derive(ToSchema)]
pub struct QueueStats {
    #[schema(value_type = Object)]
    pub messages: Value,
}

/// One JSON-patch operation on `/metadata/<key>`.
#[derive(ToSchema)]
pub struct PatchOperation {
    /// `add`, `replace` or `remove`.
    pub op: String,
    /// `/metadata/<key>`.
    pub path: String,
    #[schema(value_type = Option<Value>)]
    pub value: Option<Value>,
}

#[derive(ToSchema)]
pub struct Purge {
    /// `messages` and/or `subscriptions`; both when left out.
    pub resource_types: Option<Vec<String>>,
}

#[derive(ToSchema)]
pub struct Share {
    /// `messages`, `subscriptions`, `claims`.
    pub paths: Option<Vec<String>>,
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub methods: Option<Vec<String>>,
    /// ISO 8601, in the future.
    pub expires: Option<String>,
}

#[derive(ToSchema)]
pub struct NewMessage {
    /// Any JSON value.
    #[schema(value_type = Value)]
    pub body: Value,
    /// Seconds.
    pub ttl: Option<i64>,
    /// Seconds before it can be claimed.
    pub delay: Option<i64>,
}

#[derive(ToSchema)]
pub struct MessagesPost {
    pub messages: Vec<NewMessage>,
}

#[derive(ToSchema)]
pub struct Posted {
    pub resources: Vec<String>,
}

#[derive(ToSchema)]
pub struct Message {
    pub id: String,
    pub href: String,
    pub ttl: i64,
    pub age: i64,
    #[schema(value_type = Value)]
    pub body: Value,
    pub checksum: Option<String>,
}

#[derive(ToSchema)]
pub struct MessageList {
    pub messages: Vec<Message>,
    pub links: Option<Vec<Link>>,
}

#[derive(ToSchema)]
pub struct ClaimRequest {
    /// Seconds.
    pub ttl: Option<i64>,
    /// Seconds added to the claimed messages' lives.
    pub grace: Option<i64>,
}

#[derive(ToSchema)]
pub struct Claim {
    pub age: i64,
    pub ttl: i64,
    pub href: Option<String>,
    pub messages: Vec<Message>,
}

#[derive(ToSchema)]
pub struct RouteProbe {
    /// The message body to route.
    #[schema(value_type = Value)]
    pub body: Value,
}

#[derive(ToSchema)]
pub struct Routes {
    pub event_type: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub subscriptions: Vec<Value>,
    pub links: Vec<Link>,
}

#[derive(ToSchema)]
pub struct SubscriptionRequest {
    /// `https://...`, `mailto:...` or `amqp://...`.
    pub subscriber: String,
    /// Seconds.
    pub ttl: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
}

#[derive(ToSchema)]
pub struct SubscriptionPatch {
    pub subscriber: Option<String>,
    pub ttl: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
}

#[derive(ToSchema)]
pub struct Subscribed {
    pub subscription_id: String,
}

#[derive(ToSchema)]
pub struct Subscription {
    pub id: String,
    pub source: String,
    /// Passwords shown as `***`.
    pub subscriber: String,
    pub ttl: i64,
    pub age: i64,
    /// `signing_secret` shown as `***`.
    #[schema(value_type = Object)]
    pub options: Value,
    pub confirmed: bool,
    pub status: String,
}

#[derive(ToSchema)]
pub struct SubscriptionList {
    pub subscriptions: Vec<Subscription>,
    pub links: Vec<Link>,
}

#[derive(ToSchema)]
pub struct Confirm {
    pub confirmed: bool,
}

#[derive(ToSchema)]
pub struct Attempt {
    pub at: String,
    pub outcome: String,
    pub code: Option<i64>,
    pub detail: Option<String>,
    pub duration_ms: Option<i64>,
}

#[derive(ToSchema)]
pub struct Delivery {
    pub id: String,
    pub kind: String,
    pub message_id: Option<String>,
    pub status: String,
    pub attempts: Vec<Attempt>,
    pub next_attempt_at: Option<String>,
    pub reason: Option<String>,
}

#[derive(ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<Delivery>,
    pub links: Vec<Link>,
}

#[derive(ToSchema)]
pub struct SuppressionRequest {
    /// `manual` (the default), `hard_bounce`, `complaint`, `unsubscribe_all`.
    pub reason: Option<String>,
    /// ISO 8601, in the future.
    pub expires: Option<String>,
}

#[derive(ToSchema)]
pub struct Suppression {
    pub address: String,
    pub reason: String,
    pub created: String,
    pub expires: Option<String>,
    pub source: Option<String>,
    /// `project` or `server`.
    pub scope: String,
    pub href: String,
}

#[derive(ToSchema)]
pub struct SuppressionList {
    pub suppressions: Vec<Suppression>,
    pub links: Vec<Link>,
}

#[derive(ToSchema)]
pub struct Bounce {
    pub id: String,
    pub href: String,
    pub received: String,
    pub kind: Option<String>,
    /// `permanent`, `transient`, `complaint`, `ignored`, `unmatched`,
    /// `unrecognised`.
    pub classification: String,
    pub project: Option<String>,
    pub delivery_id: Option<String>,
    #[schema(value_type = Value)]
    pub details: Value,
    /// `GET /v2/bounces/{id}` only.
    pub raw: Option<String>,
}

#[derive(ToSchema)]
pub struct BounceList {
    pub bounces: Vec<Bounce>,
    pub links: Vec<Link>,
}

#[derive(ToSchema)]
pub struct TemplateSetRequest {
    /// A minijinja template for the subject line.
    pub subject: String,
    /// A minijinja template for the text part.
    pub text: String,
    /// A minijinja template for the HTML part (escaped); derived from the
    /// text when left out.
    pub html: Option<String>,
}

#[derive(ToSchema)]
pub struct TemplateSetEntry {
    pub name: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub created: String,
    pub updated: String,
    pub href: String,
}

#[derive(ToSchema)]
pub struct TemplateSetList {
    pub templates: Vec<TemplateSetEntry>,
    pub links: Vec<Link>,
}

#[derive(ToSchema)]
pub struct Preview {
    pub template: String,
    pub event_type: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `GET /v2/topics`: the queue list under the topics' own key.
#[derive(ToSchema)]
pub struct TopicList {
    pub topics: Vec<QueueItem>,
    pub links: Vec<Link>,
    pub count: Option<i64>,
}
