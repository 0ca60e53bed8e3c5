//! Every log line of the test process, for the "no secret in the logs" checks.

use std::sync::{Arc, Mutex};

/// What the process-wide TRACE subscriber has written so far.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything captured, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Installs, once per test process, a global TRACE subscriber writing into a buffer. Global
/// rather than `set_default`: with a single thread-local dispatcher, tracing caches a callsite as
/// disabled when another test thread hits it first, and events would go missing at random.
/// Other tests' output lands in the same buffer, which only makes the secret check stricter.
pub fn capture_all_logs() -> Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let writer = capture.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
            capture
        })
        .clone()
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
