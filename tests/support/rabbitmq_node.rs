//! A private RabbitMQ node for fault tests: its own node name, loopback
//! ports and data directory, so stopping it never touches a broker anyone
//! else uses. Every wait is bounded; the node is stopped and its directory
//! removed on drop.
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const BOOT_TIMEOUT: Duration = Duration::from_secs(90);

pub struct PrivateNode {
    name: String,
    port: u16,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl PrivateNode {
    /// Starts a node and waits until it takes AMQP connections.
    pub fn start() -> Result<PrivateNode, String> {
        let which = Command::new("sh")
            .args(["-c", "command -v rabbitmq-server && command -v rabbitmqctl"])
            .output()
            .map_err(|e| e.to_string())?;
        if !which.status.success() {
            return Err("rabbitmq-server is not installed".into());
        }
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err(
                "starting a RabbitMQ node needs root (it runs as the rabbitmq user)".into(),
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("tidings-rabbitmq-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let port = free_port()?;
        let dist_port = free_port()?;
        let name = format!("tidings-test-{port}@localhost");
        let path = |p: &str| -> PathBuf { dir.path().join(p) };
        std::fs::write(
            path("rabbitmq.conf"),
            format!("listeners.tcp.local = 127.0.0.1:{port}\n"),
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(path("enabled_plugins"), "[].\n").map_err(|e| e.to_string())?;
        let show = |p: &str| path(p).display().to_string();
        let env = vec![
            ("RABBITMQ_NODENAME".to_string(), name.clone()),
            ("RABBITMQ_NODE_PORT".to_string(), port.to_string()),
            ("RABBITMQ_DIST_PORT".to_string(), dist_port.to_string()),
            ("RABBITMQ_MNESIA_BASE".to_string(), show("mnesia")),
            ("RABBITMQ_LOG_BASE".to_string(), show("log")),
            ("RABBITMQ_CONFIG_FILE".to_string(), show("rabbitmq.conf")),
            (
                "RABBITMQ_ENABLED_PLUGINS_FILE".to_string(),
                show("enabled_plugins"),
            ),
            ("RABBITMQ_PID_FILE".to_string(), show("pid")),
        ];
        // The server drops to the rabbitmq user, which must own its files.
        run(Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(dir.path()))?;
        let node = PrivateNode {
            name,
            port,
            dir,
            env,
        };
        node.start_again()?;
        Ok(node)
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn ctl(&self, args: &[&str]) -> Result<(), String> {
        run(Command::new("rabbitmqctl")
            .args(["-n", &self.name])
            .args(args)
            .envs(self.env.iter().cloned()))
    }

    /// Starts the (stopped) node and waits for its AMQP port.
    pub fn start_again(&self) -> Result<(), String> {
        run(Command::new("rabbitmq-server")
            .arg("-detached")
            .envs(self.env.iter().cloned()))?;
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.ctl(&["await_startup", "--timeout", "30"]).is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "the node did not come up within {BOOT_TIMEOUT:?} (logs in {})",
            self.dir.path().display()
        ))
    }

    /// Stops the whole node (the Erlang VM too): clients see their
    /// connections closed and new ones refused.
    pub fn stop(&self) -> Result<(), String> {
        self.ctl(&["stop"])?;
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            if Instant::now() > deadline {
                return Err("the node did not stop".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    pub fn restart(&self) -> Result<(), String> {
        self.stop()?;
        self.start_again()
    }
}

impl Drop for PrivateNode {
    fn drop(&mut self) {
        let _ = self.ctl(&["stop"]);
    }
}
