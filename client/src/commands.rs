//! The commands a session sent and the room has not answered yet (the TypeScript SDK's
//! `CommandTracker`, sdk/src/session/commands.ts).
//!
//! A room applies a command at most once per (player, id) and answers a resent id with
//! its first outcome (protocol §4.3), so a command whose `CommandAck` has not come is
//! always safe to send again with the same id: after a reconnect, after
//! `RoomUnavailable`, or when the gateway has kept quiet for longer than it may.

use orrery_common::ClientMsgId;
use orrery_common::protocol::client::CommandOutcome;
use tokio::time::Instant;

/// One command not answered yet.
#[derive(Clone, Debug)]
pub struct Unanswered {
    pub id: ClientMsgId,
    pub payload: Vec<u8>,
    /// When it was last sent, or last heard of (a `RoomUnavailable` says the gateway is
    /// alive): the ack patience counts from here.
    pub since: Instant,
    /// How many times it went out so far.
    pub sends: u32,
}

/// A command the room answered: its first outcome and how many times it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub id: ClientMsgId,
    pub outcome: CommandOutcome,
    pub sends: u32,
}

/// Commands in the order they were added, each until its first `CommandAck`.
#[derive(Debug)]
pub struct CommandTracker {
    next: ClientMsgId,
    pending: Vec<Unanswered>,
}

impl CommandTracker {
    /// `first`: the first id. A random one keeps ids apart from an earlier session's with
    /// the same token, which the room may still remember (it answers those without
    /// applying them).
    pub fn new(first: ClientMsgId) -> Self {
        Self { next: first, pending: Vec::new() }
    }

    /// The id the next command gets.
    pub fn next_id(&self) -> ClientMsgId {
        self.next
    }

    /// A new command, not sent yet (`sends` 0): its id.
    pub fn add(&mut self, payload: Vec<u8>) -> ClientMsgId {
        let id = self.next;
        self.next = if id.get() == u32::MAX { ClientMsgId(1) } else { id.next() };
        self.pending.push(Unanswered { id, payload, since: Instant::now(), sends: 0 });
        id
    }

    /// `id` went out (again) now.
    pub fn sent(&mut self, id: ClientMsgId) {
        if let Some(c) = self.pending.iter_mut().find(|c| c.id == id) {
            c.sends += 1;
            c.since = Instant::now();
        }
    }

    /// The room answered `id`; `None` when no such command is waiting (a late duplicate
    /// ack of a command resent while its first answer was on its way).
    pub fn settle(&mut self, id: ClientMsgId, outcome: CommandOutcome) -> Option<Answered> {
        let at = self.pending.iter().position(|c| c.id == id)?;
        let c = self.pending.remove(at);
        Some(Answered { id, outcome, sends: c.sends })
    }

    /// The gateway is alive and says the room is slow: restart every command's patience.
    pub fn heard_of_all(&mut self) {
        let now = Instant::now();
        for c in &mut self.pending {
            c.since = now;
        }
    }

    /// The commands still unanswered, oldest first.
    pub fn unanswered(&self) -> &[Unanswered] {
        &self.pending
    }

    /// When the longest-waiting command (sent at least once) runs out of `patience`.
    pub fn due(&self, patience: std::time::Duration) -> Option<Instant> {
        self.pending.iter().filter(|c| c.sends > 0).map(|c| c.since + patience).min()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ids_increase_and_a_command_is_settled_once() {
        let mut t = CommandTracker::new(ClientMsgId(u32::MAX));
        let (a, b) = (t.add(vec![1]), t.add(vec![2]));
        assert_eq!((a, b), (ClientMsgId(u32::MAX), ClientMsgId(1)), "ids wrap past u32::MAX to 1, never 0");
        t.sent(a);
        t.sent(a);
        assert_eq!(t.settle(a, CommandOutcome::Accepted), Some(Answered { id: a, outcome: CommandOutcome::Accepted, sends: 2 }));
        assert_eq!(t.settle(a, CommandOutcome::Accepted), None, "a late duplicate ack answers nothing");
        assert_eq!(t.unanswered().iter().map(|c| c.id).collect::<Vec<_>>(), [b]);
    }

    #[test]
    fn patience_counts_from_the_last_send_of_a_sent_command() {
        let patience = Duration::from_secs(3);
        let mut t = CommandTracker::new(ClientMsgId(1));
        let id = t.add(vec![]);
        assert_eq!(t.due(patience), None, "not sent yet: nothing to wait for");
        t.sent(id);
        let first = t.due(patience).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        t.heard_of_all();
        assert!(t.due(patience).unwrap() >= first + Duration::from_millis(5), "heard of: the patience starts again");
    }
}
