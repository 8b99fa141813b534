//! Wiring: database, migrations, background workers and the HTTP server.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::api::{self, AppState};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::delivery::audience::FanoutRouting;
use crate::delivery::channels::Channels;
use crate::delivery::worker::{Dispatcher, Limits};
use crate::drivers::amqp::AmqpDriver;
use crate::drivers::email::Mailer;
use crate::drivers::webhook::WebhookDriver;
use crate::service::abuse_limits::{AbuseLimits, KeyedLimit};
use crate::service::message_posts::MessagePosts;
use crate::store;
use crate::store::fanout_targets::FanoutTargets;
use crate::store::metadata_cache::MetadataCache;

pub type AppDispatcher = Dispatcher<Channels>;

/// How long a graceful stop waits for delivery attempts in flight (a little
/// more than the webhook driver's total timeout).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// How long a graceful stop waits for HTTP requests in flight.
const HTTP_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How often SQLite's write-ahead log is copied into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    dispatcher: Arc<AppDispatcher>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

/// Options the tests change; production uses the defaults.
pub struct BuildOptions {
    pub clock: SharedClock,
    /// Start the background sweeper and delivery workers. Tests that drive
    /// workers step by step turn this off.
    pub background_workers: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            clock: Arc::new(SystemClock),
            background_workers: true,
        }
    }
}

impl Application {
    pub async fn build(settings: Settings, options: BuildOptions) -> anyhow::Result<Application> {
        let router = Arc::new(settings.router()?);
        let db = store::db::connect(&settings.database_url).await?;
        store::db::migrate(&db).await?;
        // Before listening: a key that cannot open the stored messages
        // stops the start here.
        let keys =
            crate::service::message_keys::resolve(&db, &settings, options.clock.now_ms()).await?;
        crate::service::message_keys::check(&db, &keys).await?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding TIDINGS_BIND={}", settings.bind))?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let secret =
            crate::service::secret::resolve(&db, &settings, options.clock.now_ms()).await?;
        let templates = Arc::new(crate::templates::Templates::load(
            settings.templates_dir.as_deref(),
        )?);
        let wake = Arc::new(tokio::sync::Notify::new());
        let fanouts_ready = Arc::new(tokio::sync::Notify::new());
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let fanout_targets = Arc::new(FanoutTargets::for_backend(db.get_database_backend()));
        let posts = MessagePosts::start(
            db.clone(),
            fanout_targets.clone(),
            fanouts_ready.clone(),
            metrics.clone(),
            keys.clone(),
        );
        let (rate, burst) = settings.project_rate();
        let page_rate = settings.page_rate_per_minute;
        let limits = AbuseLimits {
            per_project: KeyedLimit::new(rate, burst),
            per_page_client: KeyedLimit::new(f64::from(page_rate) / 60.0, page_rate),
        };
        let keystone = match settings.auth_mode() {
            crate::config::AuthMode::Keystone => Some(crate::service::keystone::Keystone::new(
                settings.keystone()?,
            )?),
            _ => None,
        };
        let state = AppState {
            db,
            clock: options.clock,
            settings: Arc::new(settings),
            secret,
            keys,
            templates,
            wake,
            fanouts_ready: fanouts_ready.clone(),
            metrics,
            metadata: Arc::new(MetadataCache::default()),
            fanout_targets,
            posts,
            router,
            limits: Arc::new(limits),
            keystone,
        };

        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(api::rate_limit))
                .wrap(actix_web::middleware::from_fn(api::authorize))
                .wrap(actix_web::middleware::from_fn(api::access_log))
                .app_data(data.clone())
                .configure(api::configure)
        })
        .listen(listener)
        .context("starting the HTTP server")?
        .shutdown_timeout(HTTP_SHUTDOWN_GRACE.as_secs())
        // Our own handler (run_until_stopped): actix would stop abruptly on
        // SIGINT, and its log line would say so.
        .disable_signals()
        .run();

        let channels = Channels {
            db: state.db.clone(),
            clock: state.clock.clone(),
            settings: state.settings.clone(),
            secret: state.secret.clone(),
            webhook: WebhookDriver::new(&state.settings.webhook_allow_nets)?,
            mailer: Mailer::from_settings(&state.settings)?,
            amqp: AmqpDriver::default(),
            templates: state.templates.clone(),
            metadata: state.metadata.clone(),
        };
        let limits = Limits {
            global: state.settings.delivery_concurrency,
            per_subscription: state.settings.delivery_per_subscription,
            lease: Duration::from_secs(state.settings.delivery_lease_secs),
            ..Limits::default()
        };
        let dispatcher = Dispatcher::new(
            state.db.clone(),
            state.clock.clone(),
            Arc::new(channels),
            limits,
            state.wake.clone(),
            fanouts_ready,
            state.metrics.clone(),
            FanoutRouting {
                router: state.router.clone(),
                metadata: state.metadata.clone(),
                keys: state.keys.clone(),
            },
        );

        let mut workers = Vec::new();
        if options.background_workers {
            let interval = Duration::from_secs(state.settings.sweep_interval_secs);
            let retention = Duration::from_secs(state.settings.delivery_retention_days * 86_400);
            workers.push(tokio::spawn(store::sweeper::run(
                state.db.clone(),
                state.clock.clone(),
                interval,
                retention,
            )));
            workers.push(tokio::spawn(Arc::clone(&dispatcher).run()));
            if state.settings.database_url.starts_with("sqlite:") {
                workers.push(tokio::spawn(store::checkpointer::run(
                    state.settings.database_url.clone(),
                    CHECKPOINT_INTERVAL,
                )));
            }
        }
        Ok(Application {
            port,
            server,
            state,
            dispatcher,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The delivery worker; tests drive it with `drain()`.
    pub fn dispatcher(&self) -> Arc<AppDispatcher> {
        Arc::clone(&self.dispatcher)
    }

    /// Serves until SIGINT or SIGTERM, then stops gracefully either way:
    /// no new connections, requests in flight answered, delivery attempts
    /// in flight finished and recorded; then the background workers stop.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut server = self.server;
        let result = tokio::select! {
            result = &mut server => result,
            signal = shutdown_signal() => {
                let signal = signal?;
                tracing::info!(
                    signal,
                    "{signal} received: stopping; requests and delivery attempts in flight finish \
                     (up to {} s), queued deliveries wait for the next start",
                    (HTTP_SHUTDOWN_GRACE + SHUTDOWN_GRACE).as_secs()
                );
                // The server future carries out the stop: poll it meanwhile.
                let ((), result) = tokio::join!(handle.stop(true), &mut server);
                result
            }
        }
        .context("HTTP server failed");
        self.dispatcher.shutdown(SHUTDOWN_GRACE).await;
        for worker in self.workers {
            worker.abort();
        }
        self.state.db.clone().close().await.ok();
        result
    }
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM and names the one that came.
async fn shutdown_signal() -> anyhow::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    })
}
