//! Per-container log buffers: timestamped lines, bounded like the kubelet's log rotation.

use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Lines kept per container instance (older lines are rotated away).
pub const MAX_LINES: usize = 2_000;

/// One container instance's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogBuffer {
    lines: VecDeque<(VirtualTime, String)>,
}

impl LogBuffer {
    pub fn push(&mut self, at: VirtualTime, line: String) {
        if self.lines.len() >= MAX_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back((at, line));
    }

    pub fn lines(&self) -> impl Iterator<Item = &(VirtualTime, String)> {
        self.lines.iter()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_bounded() {
        let mut b = LogBuffer::default();
        for i in 0..MAX_LINES + 5 {
            b.push(VirtualTime::ZERO, i.to_string());
        }
        assert_eq!(b.len(), MAX_LINES);
        assert_eq!(b.lines().next().map(|l| l.1.as_str()), Some("5"));
    }
}
