//! The worker's behaviour as a pure function of (state, message): no DOM, no timers.

use crate::protocol::{FromCluster, PROTOCOL_VERSION, ToCluster};
use std::time::Duration;
use tidepool_shell::{Feed, Session, SessionConfig};

/// The clock's speed when the playground opens: virtual seconds per real second.
pub const DEFAULT_SPEED: u32 = 1;
/// Speeds above this are clamped: a tick must stay cheap.
pub const MAX_SPEED: u32 = 600;

/// Owns the terminal session (and through it the simulation) and answers protocol messages.
#[derive(Debug)]
pub struct ClusterHandler {
    session: Session,
    speed: u32,
}

impl ClusterHandler {
    pub fn new(config: &SessionConfig) -> Self {
        Self {
            session: Session::new(config),
            speed: DEFAULT_SPEED,
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    fn now_ms(&self) -> u64 {
        self.session.simulation().now().as_millis()
    }

    fn clock(&self) -> FromCluster {
        FromCluster::Clock {
            virtual_time_ms: self.now_ms(),
            speed: self.speed,
        }
    }

    /// Handles one message and returns the replies to send, in order.
    pub fn handle(&mut self, message: ToCluster) -> Vec<FromCluster> {
        match message {
            ToCluster::Ping { nonce } => vec![FromCluster::Pong {
                nonce,
                protocol_version: PROTOCOL_VERSION,
                seed: self.session.simulation().seed(),
                virtual_time_ms: self.now_ms(),
                prompt: self.session.prompt(),
            }],
            ToCluster::Advance { millis } => {
                self.session.advance(Duration::from_millis(millis));
                vec![self.clock()]
            }
            ToCluster::SetSpeed { speed } => {
                self.speed = speed.min(MAX_SPEED);
                vec![self.clock()]
            }
            ToCluster::Line { text } => {
                let before = self.now_ms();
                let reply = match self.session.feed_line(&text) {
                    Feed::NeedMore => FromCluster::Continue {
                        prompt: self.session.prompt(),
                    },
                    Feed::Done(output) => FromCluster::Output {
                        chunks: output.chunks,
                        exit_code: output.exit_code,
                        effects: output.effects,
                        prompt: self.session.prompt(),
                    },
                };
                // `sleep` and friends move the clock; tell the UI.
                if self.now_ms() == before {
                    vec![reply]
                } else {
                    vec![reply, self.clock()]
                }
            }
            ToCluster::Complete { line, cursor } => {
                let candidates = self.session.complete(&line, cursor as usize);
                vec![FromCluster::Completions {
                    line,
                    cursor,
                    candidates,
                }]
            }
        }
    }

    /// `real_elapsed` of wall time passed on the host: advance virtual time by it times the
    /// speed. Returns the clock update to broadcast (nothing while paused).
    pub fn tick(&mut self, real_elapsed: Duration) -> Option<FromCluster> {
        if self.speed == 0 {
            return None;
        }
        self.session
            .advance(real_elapsed.saturating_mul(self.speed));
        Some(self.clock())
    }
}

impl Default for ClusterHandler {
    fn default() -> Self {
        Self::new(&SessionConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Stream;

    #[test]
    fn ping_answers_pong_with_the_same_nonce_and_the_prompt() {
        let mut handler = ClusterHandler::new(&SessionConfig {
            seed: 5,
            ..SessionConfig::default()
        });
        assert_eq!(
            handler.handle(ToCluster::Ping { nonce: 77 }),
            vec![FromCluster::Pong {
                nonce: 77,
                protocol_version: PROTOCOL_VERSION,
                seed: 5,
                virtual_time_ms: 0,
                prompt: "controlplane $ ".to_owned(),
            }]
        );
    }

    #[test]
    fn advance_and_ticks_move_the_virtual_clock() {
        let mut handler = ClusterHandler::default();
        handler.handle(ToCluster::Advance { millis: 1_500 });
        assert_eq!(
            handler.handle(ToCluster::SetSpeed { speed: 10 }),
            vec![FromCluster::Clock {
                virtual_time_ms: 1_500,
                speed: 10
            }]
        );
        assert_eq!(
            handler.tick(Duration::from_millis(500)),
            Some(FromCluster::Clock {
                virtual_time_ms: 6_500,
                speed: 10
            })
        );
        handler.handle(ToCluster::SetSpeed { speed: 0 });
        assert_eq!(handler.tick(Duration::from_secs(1)), None);
    }

    #[test]
    fn a_kubectl_line_runs_in_the_session() {
        let mut handler = ClusterHandler::default();
        let replies = handler.handle(ToCluster::Line {
            text: "kubectl get nodes".to_owned(),
        });
        let [
            FromCluster::Output {
                chunks,
                exit_code,
                prompt,
                ..
            },
        ] = replies.as_slice()
        else {
            panic!("expected one Output, got {replies:?}");
        };
        assert_eq!(*exit_code, 0);
        assert_eq!(prompt, "controlplane $ ");
        let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
        assert!(text.starts_with("NAME "), "{text}");
        assert!(
            text.contains("controlplane") && text.contains("node01"),
            "{text}"
        );
        assert!(chunks.iter().all(|(stream, _)| *stream == Stream::Stdout));
    }

    #[test]
    fn a_heredoc_continues_then_completes() {
        let mut handler = ClusterHandler::default();
        let first = handler.handle(ToCluster::Line {
            text: "cat <<EOF > note.txt".to_owned(),
        });
        assert_eq!(
            first,
            vec![FromCluster::Continue {
                prompt: "> ".to_owned()
            }]
        );
        handler.handle(ToCluster::Line {
            text: "hello".to_owned(),
        });
        let done = handler.handle(ToCluster::Line {
            text: "EOF".to_owned(),
        });
        assert!(
            matches!(done.as_slice(), [FromCluster::Output { exit_code: 0, .. }]),
            "{done:?}"
        );
        assert_eq!(
            handler.session().read_file("note.txt").as_deref(),
            Some("hello\n")
        );
    }

    #[test]
    fn completion_returns_candidates() {
        let mut handler = ClusterHandler::default();
        let replies = handler.handle(ToCluster::Complete {
            line: "kubectl ge".to_owned(),
            cursor: 10,
        });
        let [FromCluster::Completions { candidates, .. }] = replies.as_slice() else {
            panic!("{replies:?}");
        };
        assert!(
            candidates.iter().any(|c| c.starts_with("get")),
            "{candidates:?}"
        );
    }
}
