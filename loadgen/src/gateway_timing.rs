//! The gateways' own timings of the input pipeline and of their fan-out, read from
//! their `/metrics`.
//!
//! Each gateway times every input it can (from reading it to writing the frame that
//! acknowledges it, minus the input's wait in the owner for its tick:
//! `orrery_gateway_input_pipeline_seconds`). That is exact where the client-side figure
//! is an estimate, but it comes as histogram buckets: the load generator reads them at the
//! start and the end of the window, sums the difference over the gateways, and reports the
//! share of inputs within each target and quantiles interpolated inside their bucket (as
//! Prometheus' `histogram_quantile` does).

use serde::Serialize;

/// The gateways' timing of the input pipeline.
pub const PIPELINE: &str = "orrery_gateway_input_pipeline_seconds";
/// The gateways' timing of their fan-out: frame in hand → written to a socket.
pub const FANOUT: &str = "orrery_gateway_fanout_seconds";

/// Cumulative bucket counts: (upper bound in seconds, inputs at most that), ascending,
/// ending with `+Inf`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Buckets(Vec<(f64, u64)>);

impl Buckets {
    /// The buckets of `metric` in a Prometheus text exposition, if it has them.
    pub fn parse(text: &str, metric: &str) -> Option<Self> {
        let prefix = format!("{metric}_bucket{{le=\"");
        let mut buckets: Vec<(f64, u64)> = text
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix(&prefix)?;
                let (le, count) = rest.split_once("\"}")?;
                let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
                Some((le, count.trim().parse().ok()?))
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        (!buckets.is_empty()).then_some(Self(buckets))
    }

    /// What was counted between `earlier` and `self` (same buckets).
    pub fn since(&self, earlier: &Self) -> Self {
        Self(self.0.iter().map(|&(le, n)| (le, n.saturating_sub(earlier.count_at(le)))).collect())
    }

    /// Both gateways' counts together (same buckets).
    pub fn add(&mut self, other: &Self) {
        if self.0.is_empty() {
            *self = other.clone();
            return;
        }
        for (le, n) in &mut self.0 {
            *n += other.count_at(*le);
        }
    }

    fn count_at(&self, le: f64) -> u64 {
        self.0.iter().find(|(l, _)| *l == le).map_or(0, |(_, n)| *n)
    }

    pub fn count(&self) -> u64 {
        self.0.last().map_or(0, |(_, n)| *n)
    }

    /// The share of samples at most `le` seconds (`le` must be a bucket bound).
    pub fn share_within(&self, le: f64) -> Option<f64> {
        let total = self.count();
        (total > 0).then(|| self.count_at(le) as f64 / total as f64)
    }

    /// The `q` quantile in seconds, linear inside its bucket; `None` without data or when
    /// it falls in the `+Inf` bucket.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = q * total as f64;
        let mut lower = (0.0, 0u64);
        for &(le, n) in &self.0 {
            if n as f64 >= rank {
                if le.is_infinite() {
                    return None;
                }
                let inside = (n - lower.1) as f64;
                let into = if inside > 0.0 { (rank - lower.1 as f64) / inside } else { 1.0 };
                return Some(lower.0 + (le - lower.0) * into);
            }
            lower = (le, n);
        }
        None
    }
}

/// What the report says about one of the gateways' timings.
#[derive(Debug, Serialize)]
pub struct GatewayTiming {
    /// Samples in the window, over all gateways.
    pub count: u64,
    pub p50_us: Option<f64>,
    pub p90_us: Option<f64>,
    pub p99_us: Option<f64>,
    /// Share of samples within 250 µs and 1 ms (exact: both are bucket bounds).
    pub within_250us: Option<f64>,
    pub within_1ms: Option<f64>,
    /// The window's cumulative buckets: (upper bound in seconds, samples).
    pub buckets: Vec<(f64, u64)>,
}

impl GatewayTiming {
    pub fn of(b: &Buckets) -> Self {
        let us = |q| b.quantile(q).map(|s| s * 1e6);
        Self {
            count: b.count(),
            p50_us: us(0.5),
            p90_us: us(0.9),
            p99_us: us(0.99),
            within_250us: b.share_within(0.00025),
            within_1ms: b.share_within(0.001),
            buckets: b.0.clone(),
        }
    }

    /// `N timed: p50 …, p90 …, p99 …; within 250 µs …, within 1 ms …` for the text report.
    pub fn summary_line(&self) -> String {
        let us = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.0} µs"));
        let pct = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{:.1} %", v * 100.0));
        format!(
            "{} timed: p50 {}, p90 {}, p99 {} (interpolated in buckets); within 250 µs {}, within 1 ms {}",
            self.count,
            us(self.p50_us),
            us(self.p90_us),
            us(self.p99_us),
            pct(self.within_250us),
            pct(self.within_1ms)
        )
    }
}

/// Every gateway's metrics now (`None` for a gateway that does not answer: the caller
/// counts it as an error).
pub async fn read_all(apis: &[orrery_client::http::Api]) -> Vec<Option<String>> {
    futures::future::join_all(apis.iter().map(|api| async move { api.metrics().await.ok() })).await
}

/// `metric`'s buckets over the window, summed over the gateways that answered both times.
pub fn window(before: &[Option<String>], after: &[Option<String>], metric: &str) -> Buckets {
    let mut total = Buckets::default();
    for (b, a) in before.iter().zip(after) {
        let parse = |text: &Option<String>| text.as_deref().and_then(|t| Buckets::parse(t, metric));
        if let (Some(b), Some(a)) = (parse(b), parse(a)) {
            total.add(&a.since(&b));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "\
# HELP orrery_gateway_input_pipeline_seconds Time ...
# TYPE orrery_gateway_input_pipeline_seconds histogram
orrery_gateway_input_pipeline_seconds_bucket{le=\"0.0001\"} 5
orrery_gateway_input_pipeline_seconds_bucket{le=\"0.00025\"} 10
orrery_gateway_input_pipeline_seconds_bucket{le=\"0.001\"} 10
orrery_gateway_input_pipeline_seconds_bucket{le=\"+Inf\"} 10
orrery_gateway_input_pipeline_seconds_sum 0.001
orrery_gateway_input_pipeline_seconds_count 10
orrery_gateway_joins_total 3
";

    const AFTER: &str = "\
orrery_gateway_input_pipeline_seconds_bucket{le=\"0.0001\"} 55
orrery_gateway_input_pipeline_seconds_bucket{le=\"0.00025\"} 110
orrery_gateway_input_pipeline_seconds_bucket{le=\"0.001\"} 208
orrery_gateway_input_pipeline_seconds_bucket{le=\"+Inf\"} 210
";

    #[test]
    fn the_window_is_the_difference_and_quantiles_interpolate_inside_a_bucket() {
        let w = window(&[Some(BEFORE.into())], &[Some(AFTER.into())], PIPELINE);
        // 50 inputs ≤ 100 µs, 50 more ≤ 250 µs, 98 more ≤ 1 ms, 2 above.
        assert_eq!(w.count(), 200);
        assert_eq!(w.share_within(0.00025), Some(0.5));
        assert_eq!(w.share_within(0.001), Some(0.99));
        let p50 = w.quantile(0.5).unwrap();
        assert!((p50 - 0.00025).abs() < 1e-12, "the 100th of 200 is the last of the ≤ 250 µs bucket: {p50}");
        let p125 = w.quantile(0.125).unwrap();
        assert!((p125 - 0.00005).abs() < 1e-12, "the 25th of the first bucket's 50 is half way into it: {p125}");
        assert_eq!(w.quantile(0.999), None, "in the +Inf bucket");
    }

    #[test]
    fn gateways_add_up_and_a_silent_one_is_left_out() {
        let (b, a) = (Some(BEFORE.to_owned()), Some(AFTER.to_owned()));
        let w = window(&[b.clone(), b.clone(), None], &[a.clone(), a, b], PIPELINE);
        assert_eq!(w.count(), 400);
        assert_eq!(Buckets::parse("orrery_gateway_joins_total 3\n", PIPELINE), None);
    }
}
