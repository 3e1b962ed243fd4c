//! Hot snapshots of every room of the worker, written in batches: one Redis round trip
//! (one pipeline, [`HotSnapshots::write_many`]) for all the writes that came in while the
//! previous batch was under way, instead of one round trip per room. Rooms that tick in the
//! same wake-up (`tick_grid.rs`) are due together, so their writes share a batch.
//!
//! Each write keeps its own answer (written, or refused: the room is fenced, I2); a batch
//! Redis could not take fails every write in it, as a single write would have.

use crate::metrics::Metrics;
use crate::snapshot::{HotSnapshots, HotWrite};
use tokio::sync::{mpsc, oneshot};

/// Most writes in one pipeline.
const MOST_PER_BATCH: usize = 512;

/// Why a batched write has no answer.
#[derive(Debug, thiserror::Error)]
pub enum HotBatchError {
    #[error("redis: {0}")]
    Redis(String),
    #[error("the hot snapshot writer has stopped")]
    Stopped,
}

type Answer = oneshot::Sender<Result<bool, HotBatchError>>;

/// The worker's hot snapshot writer; cheap to clone.
#[derive(Clone)]
pub struct HotBatcher {
    tx: mpsc::UnboundedSender<(HotWrite, Answer)>,
}

impl HotBatcher {
    /// Start the writer over `hot`.
    pub fn spawn(hot: HotSnapshots, metrics: Metrics) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(hot, metrics, rx));
        Self { tx }
    }

    /// Write `write` in the next batch: `Ok(false)` means refused (ownership is lost).
    pub async fn write(&self, write: HotWrite) -> Result<bool, HotBatchError> {
        let (answer, answered) = oneshot::channel();
        self.tx.send((write, answer)).map_err(|_| HotBatchError::Stopped)?;
        answered.await.map_err(|_| HotBatchError::Stopped)?
    }
}

async fn run(hot: HotSnapshots, metrics: Metrics, mut rx: mpsc::UnboundedReceiver<(HotWrite, Answer)>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        let (writes, answers): (Vec<HotWrite>, Vec<Answer>) = std::mem::take(&mut batch).into_iter().unzip();
        metrics.hot_batches.inc();
        match hot.write_many(&writes).await {
            Ok(written) => {
                for (answer, ok) in answers.into_iter().zip(written) {
                    let _ = answer.send(Ok(ok));
                }
            }
            Err(e) => {
                for answer in answers {
                    let _ = answer.send(Err(HotBatchError::Redis(e.to_string())));
                }
            }
        }
    }
}
