//! Logs as hclog-style JSON lines on stderr, which Terraform parses and shows under `TF_LOG`.
//!
//! Terraform reads a provider's stderr line by line: a JSON object with `@level`, `@message` (a
//! string) and `@timestamp` (exactly six fractional digits) becomes a log entry at that level;
//! every other key is shown as `key=value`. The level is `TF_LOG_PROVIDER_<NAME>`, else
//! `TF_LOG_PROVIDER`, else `TF_LOG`; with none of them set nothing is logged at all.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The level filter Terraform's environment asks for.
pub fn level_from_env(provider_name: &str, env: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let specific = format!("TF_LOG_PROVIDER_{}", provider_name.to_ascii_uppercase());
    let raw = [specific.as_str(), "TF_LOG_PROVIDER", "TF_LOG"].iter().find_map(|k| env(k).filter(|v| !v.is_empty()));
    match raw.map(|v| v.trim().to_ascii_uppercase()).as_deref() {
        None | Some("OFF") => LevelFilter::OFF,
        Some("TRACE") | Some("JSON") => LevelFilter::TRACE,
        Some("DEBUG") => LevelFilter::DEBUG,
        Some("INFO") => LevelFilter::INFO,
        Some("WARN") => LevelFilter::WARN,
        Some("ERROR") => LevelFilter::ERROR,
        // Terraform treats any other value as TRACE.
        Some(_) => LevelFilter::TRACE,
    }
}

/// Install the global subscriber for a provider process (no-op when logging is off).
pub fn init(provider_name: &str) {
    let level = level_from_env(provider_name, |k| std::env::var(k).ok());
    if level == LevelFilter::OFF {
        return;
    }
    let layer = HclogLayer::new(format!("provider.{provider_name}"), Box::new(std::io::stderr()));
    let _ = tracing_subscriber::registry().with(layer.with_filter(level)).try_init();
}

type Sink = Box<dyn Write + Send>;

/// A `tracing` layer writing hclog JSON lines.
pub struct HclogLayer {
    module: String,
    out: Mutex<Sink>,
}

impl HclogLayer {
    /// A layer that writes lines for `module` (`provider.terraform-provider-jamf`) to `out`.
    pub fn new(module: String, out: Sink) -> HclogLayer {
        HclogLayer { module, out: Mutex::new(out) }
    }

    /// A layer writing into a shared buffer (tests).
    pub fn to_buffer(module: &str, buf: Arc<Mutex<Vec<u8>>>) -> HclogLayer {
        HclogLayer::new(module.to_string(), Box::new(SharedBuf(buf)))
    }
}

struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer poisoned").extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fields recorded on a span, carried by every event inside it.
struct SpanFields(Map<String, Json>);

struct JsonVisitor<'a>(&'a mut Map<String, Json>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(key(field), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(key(field), Json::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(key(field), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(key(field), Json::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(key(field), Json::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(key(field), Json::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(key(field), Json::from(format!("{value:?}")));
    }
}

fn key(field: &Field) -> String {
    match field.name() {
        "message" => "@message".to_string(),
        other => other.to_string(),
    }
}

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// `2006-01-02T15:04:05.000000Z`: the only layout hclog accepts (six fractional digits).
pub fn timestamp_now() -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    time::OffsetDateTime::now_utc().format(&fmt).unwrap_or_default()
}

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(f) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut JsonVisitor(&mut f.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    for (k, v) in &f.0 {
                        line.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        event.record(&mut JsonVisitor(&mut line));
        line.insert("@level".into(), Json::from(level_name(event.metadata().level())));
        line.insert("@timestamp".into(), Json::from(timestamp_now()));
        line.insert("@module".into(), Json::from(self.module.as_str()));
        line.entry("@message").or_insert_with(|| Json::from(""));
        if let Some(target) = event.metadata().module_path() {
            line.insert("@caller".into(), Json::from(target));
        }
        let mut bytes = serde_json::to_vec(&Json::Object(line)).unwrap_or_default();
        bytes.push(b'\n');
        // One write per line so concurrent events never interleave.
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(&bytes);
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(level_from_env("jamf", env(&[])), LevelFilter::OFF);
        assert_eq!(level_from_env("jamf", env(&[("TF_LOG", "debug")])), LevelFilter::DEBUG);
        assert_eq!(level_from_env("jamf", env(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", "WARN")])), LevelFilter::WARN);
        assert_eq!(
            level_from_env("jamf", env(&[("TF_LOG_PROVIDER", "WARN"), ("TF_LOG_PROVIDER_JAMF", "trace")])),
            LevelFilter::TRACE
        );
        assert_eq!(level_from_env("jamf", env(&[("TF_LOG", "JSON")])), LevelFilter::TRACE);
    }

    #[test]
    fn lines_are_hclog_json() {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sub = tracing_subscriber::registry().with(HclogLayer::to_buffer("provider.test", buf.clone()));
        tracing::subscriber::with_default(sub, || {
            let span = tracing::debug_span!("rpc", tf_rpc = "PlanResourceChange");
            let _g = span.enter();
            tracing::info!(count = 3, "hello");
        });
        let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
        let line: Json = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["@level"], "info");
        assert_eq!(line["@message"], "hello");
        assert_eq!(line["@module"], "provider.test");
        assert_eq!(line["tf_rpc"], "PlanResourceChange");
        assert_eq!(line["count"], 3);
        let ts = line["@timestamp"].as_str().unwrap();
        // 2026-11-25T01:02:03.123456Z
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.');
    }
}
